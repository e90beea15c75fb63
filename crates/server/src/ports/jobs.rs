//! [`JobStore`]: jobs and their event streams.

use super::records::{JobCursor, JobPage, JobRecord, StoreError, UploadRecord};
use async_trait::async_trait;
use vidpush_protocol::{EventBody, JobEvent, JobId, JobState};

/// Jobs and each job's stream of events. Every event gets the job's next `seq` (1, 2, 3 … with
/// no gap) in the same atomic step that stores it: a SQLite transaction locally, a conditional
/// transaction on DynamoDB (retried when another writer took the `seq`).
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Turns a finished upload into a queued job in one atomic step: the upload record goes,
    /// the job and its first event (`job.queued`) come. Returns the job and that event.
    /// `sensitivity` is kept with the job (see [`JobRecord::sensitivity`]).
    async fn create_job(
        &self,
        upload: UploadRecord,
        job: JobId,
        sensitivity: Option<f64>,
    ) -> Result<(JobRecord, JobEvent), StoreError>;

    /// The job with this id, if any.
    async fn job(&self, id: &JobId) -> Result<Option<JobRecord>, StoreError>;

    /// Up to `limit` jobs of `owner` (exactly: `None` lists the jobs made without a token),
    /// newest first, starting after `after`. One query: on DynamoDB, an index keyed by owner
    /// (a fixed key standing for "no owner") and creation time, read backwards with `Limit`
    /// and `ExclusiveStartKey`.
    async fn jobs_of(
        &self,
        owner: Option<&str>,
        after: Option<&JobCursor>,
        limit: usize,
    ) -> Result<JobPage, StoreError>;

    /// Deletes the job and its events; whether it existed. Once it returns, the job is gone
    /// for every reader and no event can be appended to it. On DynamoDB the job item goes in
    /// one conditional delete, and its event items after it (unreachable already).
    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError>;

    /// Every job in one of `states` (restart recovery).
    async fn jobs_in(&self, states: &[JobState]) -> Result<Vec<JobRecord>, StoreError>;

    /// Stores `body` as the job's next event and moves the job's state when the event does.
    /// `None` once the job is final: nothing follows `job.completed`, `job.failed` or
    /// `job.cancelled`.
    async fn append_event(
        &self,
        job: &JobId,
        body: EventBody,
    ) -> Result<Option<JobEvent>, StoreError>;

    /// Queues a job that failed or was cancelled again: stores `job.queued` as its next event
    /// and moves it to `queued`, in one step conditional on the job still being failed or
    /// cancelled (a DynamoDB conditional transaction). `None` when it is not.
    async fn requeue_ended(&self, job: &JobId) -> Result<Option<JobEvent>, StoreError>;

    /// The job's stored events with `seq > after_seq`, in order, as their JSON text.
    async fn events_after(&self, job: &JobId, after_seq: u64) -> Result<Vec<String>, StoreError>;
}
