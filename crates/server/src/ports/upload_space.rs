//! [`UploadSpace`]: where a multipart upload's bytes go — the data folder locally, S3's own
//! multipart upload on AWS — so the same `/api/multipart` handlers run in both homes.

use super::records::{StoreError, UploadRecord};
use async_trait::async_trait;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{SignedPart, UploadedPart};

/// The bytes of multipart uploads. The upload's record (owner, size, part size) is the
/// [`UploadStore`](super::UploadStore)'s; this port holds what the page sends.
#[async_trait]
pub trait UploadSpace: Send + Sync + 'static {
    /// Makes room for an upload whose record was just created (locally a file of its full
    /// length that parts are written into; on S3 `CreateMultipartUpload`).
    async fn begin(&self, upload: &UploadRecord, part_size: u64) -> Result<(), StoreError>;

    /// Where the page `PUT`s part `number` and until when it may: relative to the API's base
    /// URL locally, a presigned `UploadPart` URL on S3.
    async fn part_url(&self, upload: &UploadId, number: u32) -> Result<SignedPart, StoreError>;

    /// The parts stored so far, by number (what a resuming page skips).
    async fn parts(&self, upload: &UploadId) -> Result<Vec<UploadedPart>, StoreError>;

    /// Joins the parts, already checked against [`parts`](Self::parts), into the upload's
    /// object (S3's `CompleteMultipartUpload`; locally they are already in place).
    async fn join(&self, upload: &UploadId, parts: &[UploadedPart]) -> Result<(), StoreError>;

    /// Up to `len` first bytes of a joined upload: what the video check reads.
    async fn head(&self, upload: &UploadId, len: usize) -> Result<Vec<u8>, StoreError>;

    /// Removes the upload's bytes, joined or not; removing what is already gone is fine.
    async fn remove(&self, upload: &UploadId) -> Result<(), StoreError>;
}
