//! [`JobControl`] for the AWS functions, where the job runner is another process (the worker):
//! a cancel is stored as the job's final event and pushed; the worker running the job notices
//! the stored state within [`CANCEL_CHECK`](crate::worker::CANCEL_CHECK) and stops its analysis.

use async_trait::async_trait;
use vidpush_protocol::{EventBody, JobId};
use vidpush_server::backend::JobControl;
use vidpush_server::ports::StoreError;
use vidpush_server::publisher::Publisher;

/// Cancels by storing; no orphan policy (on AWS jobs run to the end with nobody watching).
pub struct StoredJobControl {
    /// Stores, then pushes, the `job.cancelled` event.
    pub publisher: Publisher,
}

#[async_trait]
impl JobControl for StoredJobControl {
    async fn cancel(&self, job: &JobId, reason: &str) -> Result<bool, StoreError> {
        let body = EventBody::Cancelled {
            reason: reason.to_owned(),
        };
        // The source, thumbnails and result stay with the job: the page plays and exports a
        // cancelled job's shots, and it can run again.
        Ok(self.publisher.publish(job, body).await?.is_some())
    }

    fn orphaned(&self, _job: JobId) {}
}
