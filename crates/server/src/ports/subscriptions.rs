//! [`Subscriptions`]: which connection follows which job.

use super::records::StoreError;
use async_trait::async_trait;
use vidpush_protocol::JobId;

/// Which connections follow which job. `$disconnect` is best-effort on AWS, so a push that
/// finds its connection gone removes the subscription too, and the AWS adapter gives each
/// record a time to live.
#[async_trait]
pub trait Subscriptions: Send + Sync + 'static {
    /// Records that `connection` follows `job` (again is fine).
    async fn subscribe(&self, job: &JobId, connection: &str) -> Result<(), StoreError>;

    /// Removes one subscription; whether it existed.
    async fn unsubscribe(&self, job: &JobId, connection: &str) -> Result<bool, StoreError>;

    /// Removes every subscription of a closed connection; the jobs it followed.
    async fn drop_connection(&self, connection: &str) -> Result<Vec<JobId>, StoreError>;

    /// The connections following a job.
    async fn subscribers(&self, job: &JobId) -> Result<Vec<String>, StoreError>;
}
