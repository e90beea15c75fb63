//! Storing and pushing job events, in that order, and replaying them to new subscribers.
//!
//! Owns the per-job ordering guarantee: every event of a job is stored, then pushed to the
//! job's subscribers through the gateway's `@connections` interface, while holding that job's
//! lock; a subscription is recorded and its replay pushed under the same lock. Because the
//! gateway delivers pushes to one connection in the order they were posted, a subscriber sees
//! every `seq` exactly in order, replayed ones before live ones. It never talks to a socket
//! directly and never pushes an event it has not stored.

use crate::ports::{JobStore, Push, PushError, StoreError, Subscriptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Mutex as AsyncMutex;
use tokio::sync::mpsc;
use vidpush_protocol::{EventBody, JobEvent, JobId};

/// Stores and pushes job events; cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    /// Where events are stored first.
    job_store: Arc<dyn JobStore>,
    /// Who follows each job.
    subscriptions: Arc<dyn Subscriptions>,
    /// `@connections`.
    push: Arc<dyn Push>,
    /// One lock per job with activity, so pushes of different jobs never wait on each other.
    job_locks: Arc<Mutex<HashMap<JobId, Arc<AsyncMutex<()>>>>>,
    /// Where jobs whose last subscriber went away (its connection gone) are reported, for the
    /// job pipeline to apply its orphan policy.
    orphans: mpsc::Sender<JobId>,
}

/// Orphan notices waiting for the job pipeline. Each is a few bytes and is read at once; should
/// this many ever pile up, further notices are dropped, which only lets those jobs finish.
pub const ORPHAN_NOTICES_QUEUED: usize = 1024;

impl Publisher {
    /// A publisher over `store`, pushing through `connections` and reporting jobs that lost
    /// their last subscriber to `orphans` (the receiving end goes to [`Jobs`](crate::jobs::Jobs)).
    pub fn new(
        job_store: Arc<dyn JobStore>,
        subscriptions: Arc<dyn Subscriptions>,
        push: Arc<dyn Push>,
        orphans: mpsc::Sender<JobId>,
    ) -> Self {
        Self {
            job_store,
            subscriptions,
            push,
            job_locks: Arc::default(),
            orphans,
        }
    }

    fn lock_for(&self, job: &JobId) -> Arc<AsyncMutex<()>> {
        let mut locks = self.job_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(job.clone()).or_default().clone()
    }

    /// Forgets a finished job's lock (nothing more will be published for it).
    fn release(&self, job: &JobId) {
        self.job_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(job);
    }

    /// Stores `body` as the job's next event, then pushes it to every subscriber. Returns
    /// `None` when the job is already in a final state (nothing may follow a final event).
    pub async fn publish(
        &self,
        job: &JobId,
        body: EventBody,
    ) -> Result<Option<JobEvent>, StoreError> {
        let lock = self.lock_for(job);
        let guard = lock.lock().await;
        let Some(event) = self.job_store.append_event(job, body).await? else {
            return Ok(None);
        };
        self.push_stored(job, &event).await?;
        drop(guard);
        if event.body.state_after().is_some_and(|s| s.is_final()) {
            self.release(job);
        }
        Ok(Some(event))
    }

    /// Queues a failed or cancelled job again (see [`JobStore::requeue_ended`]) and pushes its
    /// new `job.queued`, under the job's lock like every other event. `None` when the job is
    /// not failed or cancelled.
    pub async fn requeue_ended(&self, job: &JobId) -> Result<Option<JobEvent>, StoreError> {
        let lock = self.lock_for(job);
        let _guard = lock.lock().await;
        let Some(event) = self.job_store.requeue_ended(job).await? else {
            return Ok(None);
        };
        self.push_stored(job, &event).await?;
        Ok(Some(event))
    }

    /// Pushes an event that was already stored (the first `job.queued` is stored together
    /// with its job) to the job's subscribers.
    pub async fn push_stored(&self, job: &JobId, event: &JobEvent) -> Result<(), StoreError> {
        let text = event.to_json();
        for connection in self.subscriptions.subscribers(job).await? {
            self.post_or_forget(job, &connection, text.clone()).await?;
        }
        Ok(())
    }

    /// Records that `connection` follows `job` and replays every stored event after
    /// `after_seq` to it, all under the job's lock, so no live event can overtake the replay.
    /// `before_replay` runs under the lock too, right before the replay (the subscribe route
    /// uses it to send its `subscribed` reply first). Returns how many events were replayed.
    pub async fn subscribe_and_replay(
        &self,
        job: &JobId,
        connection: &str,
        after_seq: u64,
        before_replay: impl AsyncFnOnce(),
    ) -> Result<usize, StoreError> {
        let lock = self.lock_for(job);
        let _guard = lock.lock().await;
        self.subscriptions.subscribe(job, connection).await?;
        before_replay().await;
        let events = self.job_store.events_after(job, after_seq).await?;
        let count = events.len();
        for text in events {
            if !self.post_or_forget(job, connection, text).await? {
                break;
            }
        }
        Ok(count)
    }

    /// Posts one message; a connection that is gone loses its subscription. Returns whether
    /// the connection is still there.
    async fn post_or_forget(
        &self,
        job: &JobId,
        connection: &str,
        text: String,
    ) -> Result<bool, StoreError> {
        match self.push.post(connection, text).await {
            Ok(()) => Ok(true),
            Err(PushError::Gone) => {
                tracing::debug!(%job, connection, "subscriber is gone; removing its subscription");
                self.subscriptions.unsubscribe(job, connection).await?;
                if self.subscriptions.subscribers(job).await?.is_empty() {
                    // Full or closed (the server is stopping): the job simply runs on.
                    let _ = self.orphans.try_send(job.clone());
                }
                Ok(false)
            }
            Err(error @ PushError::TooLarge { .. }) => {
                // Events are built to stay far below the limit, so this is a bug worth a loud
                // log, not a reason to stop the job.
                tracing::error!(%job, connection, %error, "push refused");
                Ok(true)
            }
            Err(error) => {
                // The event is stored: the page gets it by replay when it resubscribes.
                tracing::warn!(%job, connection, %error, "push failed");
                Ok(true)
            }
        }
    }
}
