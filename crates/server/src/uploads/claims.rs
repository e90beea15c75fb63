//! Who is writing to which upload right now: at most one request per upload, and a way for a
//! tus termination to stop that request instead of being refused by it.
//!
//! Owns the in-memory claim table only; it never touches upload files or rows. A claim is held
//! by whoever writes (a PATCH and its disk writer, job creation, the expiry sweep) and released
//! when dropped. Each claim carries a [`StopSignal`] the holder watches while it waits on the
//! network, so a `DELETE` can ask an in-flight PATCH to stop and then wait — for a bounded
//! time — until it has let go.

use crate::error::ApiFailure;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use vidpush_protocol::UploadId;

/// How long a termination waits for the request writing to the upload to stop after it was
/// asked to. A stopped PATCH finishes at most its current disk write (a frame of a few hundred
/// KiB, or one checkpoint of a 1 MiB buffer and an fsync), which takes milliseconds; a holder
/// still busy after this long is stuck on the disk, and the client is told to retry (423).
pub const STOP_WAIT: Duration = Duration::from_secs(5);

/// The claim table, shared by every handler; cheap to clone.
#[derive(Clone, Default)]
pub struct UploadClaims {
    /// Each held claim's stop switch, by upload: set to `true` to ask the holder to stop.
    held: Arc<Mutex<HashMap<UploadId, watch::Sender<bool>>>>,
}

/// Held while a request writes to an upload; releases the claim when dropped.
pub struct UploadClaim {
    /// The table to leave on drop.
    claims: UploadClaims,
    /// The upload claimed.
    id: UploadId,
    /// Raised when a termination wants this holder to stop.
    stop: StopSignal,
}

/// Tells a claim holder that the upload is being terminated and it should stop writing.
///
/// Clones count as part of the claim: a termination waits until the claim and every clone are
/// gone, so a holder that hands a clone to a helper (the disk writer) is waited for too.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl UploadClaims {
    /// Claims an upload for writing; refused (423) while another request writes to it.
    pub fn claim(&self, id: &UploadId) -> Result<UploadClaim, ApiFailure> {
        self.try_claim(id).map_err(|_| ApiFailure::Locked)
    }

    /// Claims an upload to terminate it: if another request holds it, asks that request to
    /// stop and waits for it to let go, for at most [`STOP_WAIT`] in all.
    pub async fn claim_stopping_holder(&self, id: &UploadId) -> Result<UploadClaim, ApiFailure> {
        let deadline = tokio::time::Instant::now() + STOP_WAIT;
        loop {
            let holder = match self.try_claim(id) {
                Ok(claim) => return Ok(claim),
                Err(holder) => holder,
            };
            holder.send_replace(true);
            if tokio::time::timeout_at(deadline, holder.closed())
                .await
                .is_err()
            {
                tracing::warn!(upload = %id, "the request writing to the upload did not stop in time");
                return Err(ApiFailure::Locked);
            }
        }
    }

    /// The claim, or the stop switch of the request that holds it.
    fn try_claim(&self, id: &UploadId) -> Result<UploadClaim, watch::Sender<bool>> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(holder) = held.get(id) {
            return Err(holder.clone());
        }
        let (switch, stop) = watch::channel(false);
        held.insert(id.clone(), switch);
        Ok(UploadClaim {
            claims: self.clone(),
            id: id.clone(),
            stop: StopSignal(stop),
        })
    }
}

impl UploadClaim {
    /// The signal a termination raises to stop this holder.
    pub fn stop_signal(&self) -> StopSignal {
        self.stop.clone()
    }
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        self.claims
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl StopSignal {
    /// Whether a termination asked the holder to stop.
    pub fn is_raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a termination asks the holder to stop; never, if none does. Boxed, so
    /// it can end a stream with `take_until` without pinning by hand.
    pub fn raised(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut stop = self.0.clone();
        Box::pin(async move {
            if stop.wait_for(|raised| *raised).await.is_err() {
                // The claim is gone, and with it anyone who could ask.
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload() -> UploadId {
        UploadId("u1".into())
    }

    #[test]
    fn a_second_claim_is_locked_until_the_first_is_dropped() {
        let claims = UploadClaims::default();
        let first = claims.claim(&upload()).unwrap();
        assert!(matches!(claims.claim(&upload()), Err(ApiFailure::Locked)));
        drop(first);
        assert!(claims.claim(&upload()).is_ok());
    }

    #[tokio::test]
    async fn a_termination_stops_the_holder_and_takes_over_the_claim() {
        let claims = UploadClaims::default();
        let held = claims.claim(&upload()).unwrap();
        let stop = held.stop_signal();
        let holder = tokio::spawn(async move {
            stop.raised().await;
            assert!(stop.is_raised());
            drop(held);
        });
        let taken = claims.claim_stopping_holder(&upload()).await;
        assert!(taken.is_ok(), "the termination got the claim");
        holder.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_holder_that_never_stops_leaves_the_termination_locked_after_the_wait() {
        let claims = UploadClaims::default();
        let _stuck = claims.claim(&upload()).unwrap();
        let started = tokio::time::Instant::now();
        let refused = claims.claim_stopping_holder(&upload()).await;
        assert!(matches!(refused, Err(ApiFailure::Locked)));
        assert_eq!(started.elapsed(), STOP_WAIT);
    }
}
