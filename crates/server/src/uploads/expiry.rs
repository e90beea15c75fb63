//! tus expiration: when an upload counts as abandoned, the `Upload-Expires` date a client is
//! told, and the background sweep that removes abandoned uploads.
//!
//! An upload, finished or not, that received no bytes for the configured expiry and that no
//! job used is abandoned. A job takes its upload's file into the job's folder and its row out
//! of the uploads table, so a video a job used is never swept here: it follows the job, which
//! keeps it while it is queued or running and deletes it when it ends (the results and
//! thumbnails stay; there is no job retention yet).
//!
//! Owns the expiry rule and the sweeper task. It never removes an upload a request is writing
//! to: the sweep skips any upload whose claim it cannot take, and looks again next time.

use crate::background::Background;
use crate::clock::now_ms;
use crate::error::ApiFailure;
use crate::state::AppState;
use crate::uploads::discard;
use std::time::Duration;

/// Longest pause between two looks for abandoned uploads.
const MAX_EXPIRY_SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// Shortest pause between two looks: each look is a query, so never spin.
const MIN_EXPIRY_SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Starts the task that looks for abandoned uploads until the server stops; a sweep under way
/// when it stops finishes first, so no upload is left half deleted.
pub(crate) fn spawn_sweeper(state: AppState, background: &Background) {
    // Look ten times per expiry period, so an upload outlives its expiry by 10% at most.
    let sweep_every = (Duration::from_secs(state.config.upload_expiry_secs) / 10)
        .clamp(MIN_EXPIRY_SWEEP_INTERVAL, MAX_EXPIRY_SWEEP_INTERVAL);
    background.spawn(|stop| async move {
        let mut every = tokio::time::interval(sweep_every);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = every.tick() => {}
            }
            if let Err(error) = sweep_expired(&state).await {
                tracing::warn!(%error, "expired-upload sweep failed");
            }
        }
    });
}

/// Deletes uploads, finished or not, that received nothing for the configured expiry and that
/// no job took.
pub async fn sweep_expired(app: &AppState) -> Result<usize, ApiFailure> {
    let cutoff = now_ms().saturating_sub(app.config.upload_expiry_secs * 1000);
    let stale = app.uploads.stale_uploads(cutoff).await?;
    for id in &stale {
        let Ok(_writing) = app.claim_upload(id) else {
            continue;
        };
        discard(app, id).await?;
        tracing::info!(upload = %id, "expired upload removed");
    }
    Ok(stale.len())
}
