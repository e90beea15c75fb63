//! [`JobObjects`]: each job's stored objects — the source video, the thumbnails, the result.

use super::records::StoreError;
use async_trait::async_trait;
use std::path::PathBuf;
use vidpush_protocol::{JobId, UploadId};

/// Where a stored object can be read.
pub enum Stored {
    /// Its bytes, to send as they are (the local data folder).
    Bytes(Vec<u8>),
    /// A URL it can be fetched from for a while (a presigned S3 GET): the API redirects there.
    At(String),
    /// A local file, large enough to be streamed with range requests rather than read whole
    /// (the source video, which the page's player seeks in).
    File(PathBuf),
}

/// A job's objects. The source is what the decoder reads, so it is handed over as a local
/// file (on AWS, downloaded first); it stays as long as the job, so the page plays it after a
/// reload and a failed or cancelled job can run again. The thumbnails and the result are
/// written once and read by the page through the API.
#[async_trait]
pub trait JobObjects: Send + Sync + 'static {
    /// Makes a finished upload's bytes the job's source (locally a rename; on S3 the object
    /// is already stored).
    async fn adopt_upload(&self, upload: &UploadId, job: &JobId) -> Result<(), StoreError>;

    /// A local file holding the job's source, for the decoder.
    async fn source_file(&self, job: &JobId) -> Result<PathBuf, StoreError>;

    /// The job's source video for the page to play; `None` once it is removed.
    async fn source(&self, job: &JobId) -> Result<Option<Stored>, StoreError>;

    /// Stores shot `index`'s thumbnail.
    async fn put_thumbnail(&self, job: &JobId, index: u32, jpeg: Vec<u8>)
    -> Result<(), StoreError>;

    /// Stores the full result: afterwards it is either whole or absent, never partial.
    async fn put_result(&self, job: &JobId, json: Vec<u8>) -> Result<(), StoreError>;

    /// The stored result, if any.
    async fn result(&self, job: &JobId) -> Result<Option<Stored>, StoreError>;

    /// Shot `index`'s stored thumbnail, if any.
    async fn thumbnail(&self, job: &JobId, index: u32) -> Result<Option<Stored>, StoreError>;

    /// Removes every object of the job (the job is deleted).
    async fn remove_all(&self, job: &JobId);
}
