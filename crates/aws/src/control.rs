//! [`JobControl`] for the AWS functions, where the job runner is another process (the worker):
//! a new or retried job goes on the queue; a cancel is stored as the job's final event and
//! pushed, and the worker running the job notices the stored state within
//! [`CANCEL_CHECK`](crate::worker::CANCEL_CHECK) and stops its analysis.

use crate::settings::Resources;
use crate::wiring::AwsPorts;
use async_trait::async_trait;
use std::sync::Arc;
use vidpush_protocol::{EventBody, JobId};
use vidpush_server::backend::JobControl;
use vidpush_server::jobs::retry_ended;
use vidpush_server::ports::{JobObjects, JobQueue, JobStore, QueueFull, QueuePlace, StoreError};
use vidpush_server::publisher::Publisher;

/// Jobs controlled through the store and the queue; no orphan policy (on AWS jobs run to the
/// end with nobody watching).
pub struct StoredJobControl {
    /// Stores, then pushes, events.
    pub publisher: Publisher,
    /// Jobs and their events.
    pub job_store: Arc<dyn JobStore>,
    /// Each job's objects, removed with the job.
    pub objects: Arc<dyn JobObjects>,
    /// Where jobs wait for a worker.
    pub queue: Arc<dyn JobQueue>,
}

impl StoredJobControl {
    /// Over the adapters of `ports`, queueing on the queue of `resources`.
    pub fn over(ports: &AwsPorts, resources: &Resources) -> Self {
        Self {
            publisher: ports.publisher.clone(),
            job_store: ports.job_store.clone(),
            objects: ports.objects.clone(),
            queue: Arc::new(ports.queue(resources)),
        }
    }
}

#[async_trait]
impl JobControl for StoredJobControl {
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        self.queue.reserve()
    }

    async fn cancel(&self, job: &JobId, reason: &str) -> Result<bool, StoreError> {
        let body = EventBody::Cancelled {
            reason: reason.to_owned(),
        };
        // The source, thumbnails and result stay with the job: the page plays and exports a
        // cancelled job's shots, and it can run again.
        Ok(self.publisher.publish(job, body).await?.is_some())
    }

    async fn retry(&self, job: &JobId) -> Result<Result<bool, QueueFull>, StoreError> {
        retry_ended(self.reserve(), &self.publisher, job).await
    }

    /// The cancel is stored first, so a worker running the job stops; the job's records go at
    /// once (nothing can be appended afterwards), and its objects after them. A thumbnail the
    /// worker was writing in that instant is removed by the worker itself, which removes the
    /// objects of a job it finds deleted when its turn ends.
    async fn delete(&self, job: &JobId) -> Result<bool, StoreError> {
        self.cancel(job, "deleted by request").await?;
        let existed = self.job_store.delete_job(job).await?;
        self.objects.remove_all(job).await;
        Ok(existed)
    }

    fn orphaned(&self, _job: JobId) {}
}
