//! [`JobQueue`]: where created jobs wait for a worker.

use super::records::StoreError;
use async_trait::async_trait;
use vidpush_protocol::JobId;

/// The queue is full: the client is told how long to wait (503 with `Retry-After`).
#[derive(Debug)]
pub struct QueueFull {
    /// Seconds to wait before trying again.
    pub retry_after_secs: u64,
}

/// Created jobs waiting for a worker. Delivery is at least once: a worker skips a job that is
/// no longer queued, so a job delivered twice (SQS after a visibility timeout, a restart)
/// runs once.
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// A place for one more job, or how long to wait. Taken before the job is created, so a
    /// created job always has its place and creation never fails half-way.
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull>;

    /// Queues a job found queued after a restart, waiting for room.
    async fn requeue(&self, job: JobId) -> Result<(), StoreError>;

    /// The next job for a worker, waiting for one.
    async fn next(&self) -> Option<JobId>;

    /// The worker is finished with a job [`next`](Self::next) gave it (run to a final state, or
    /// skipped as no longer queued): the queue forgets it. A job never marked done comes back
    /// (SQS: after its visibility timeout, until the dead-letter queue takes it), so a worker
    /// that dies mid-job loses nothing. The in-process queue forgets a job when it hands it out.
    async fn done(&self, _job: &JobId) {}
}

/// A reserved place in the [`JobQueue`].
#[async_trait]
pub trait QueuePlace: Send {
    /// Puts the created job in this place.
    async fn put(self: Box<Self>, job: JobId) -> Result<(), StoreError>;
}
