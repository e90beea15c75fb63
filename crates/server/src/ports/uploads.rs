//! [`UploadStore`]: upload records and the parts of multipart uploads.

use super::records::{StoreError, UploadRecord};
use async_trait::async_trait;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::UploadedPart;

/// Upload records (either protocol) and the stored parts of multipart uploads. The bytes
/// themselves are objects, not records.
#[async_trait]
pub trait UploadStore: Send + Sync + 'static {
    /// Records a new, empty tus upload.
    async fn create_upload(&self, upload: UploadRecord) -> Result<(), StoreError>;

    /// Records a new, empty multipart upload with its part size, in one atomic step.
    async fn create_multipart(
        &self,
        upload: UploadRecord,
        part_size: u64,
    ) -> Result<(), StoreError>;

    /// The upload with this id, if any.
    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>, StoreError>;

    /// Records that bytes up to `offset` are on disk (after they were flushed).
    async fn set_upload_offset(&self, id: &UploadId, offset: u64) -> Result<(), StoreError>;

    /// Forgets an upload and its parts (its object is the caller's to remove); whether it
    /// existed.
    async fn delete_upload(&self, id: &UploadId) -> Result<bool, StoreError>;

    /// Uploads with no activity since `before_ms`: the expiry sweep removes them.
    async fn stale_uploads(&self, before_ms: u64) -> Result<Vec<UploadId>, StoreError>;

    /// The part size of a multipart upload; `None` for a tus upload or no upload at all.
    async fn part_size(&self, id: &UploadId) -> Result<Option<u64>, StoreError>;

    /// Records a part that is stored (fsynced), replacing an earlier copy of the same part,
    /// and counts it as activity. False when the upload is gone or already complete.
    async fn record_part(&self, id: &UploadId, part: UploadedPart) -> Result<bool, StoreError>;

    /// Every stored part of an upload, by part number.
    async fn parts(&self, id: &UploadId) -> Result<Vec<UploadedPart>, StoreError>;

    /// Marks a multipart upload whole: its offset becomes its length, so a job can take it.
    async fn finish_multipart(&self, id: &UploadId) -> Result<(), StoreError>;
}
