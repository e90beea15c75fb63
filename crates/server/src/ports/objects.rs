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
}

/// A job's objects. The source is what the decoder reads, so it is handed over as a local
/// file (on AWS, downloaded first); the thumbnails and the result are written once and read
/// by the page through the API.
#[async_trait]
pub trait JobObjects: Send + Sync + 'static {
    /// Makes a finished upload's bytes the job's source (locally a rename; on S3 the object
    /// is already stored).
    async fn adopt_upload(&self, upload: &UploadId, job: &JobId) -> Result<(), StoreError>;

    /// A local file holding the job's source, for the decoder.
    async fn source_file(&self, job: &JobId) -> Result<PathBuf, StoreError>;

    /// Stores shot `index`'s thumbnail.
    async fn put_thumbnail(&self, job: &JobId, index: u32, jpeg: Vec<u8>)
    -> Result<(), StoreError>;

    /// Stores the full result: afterwards it is either whole or absent, never partial.
    async fn put_result(&self, job: &JobId, json: Vec<u8>) -> Result<(), StoreError>;

    /// The stored result, if any.
    async fn result(&self, job: &JobId) -> Result<Option<Stored>, StoreError>;

    /// Shot `index`'s stored thumbnail, if any.
    async fn thumbnail(&self, job: &JobId, index: u32) -> Result<Option<Stored>, StoreError>;

    /// Removes the source (the job needs it no more); nothing when it is already gone.
    async fn remove_source(&self, job: &JobId);

    /// Removes the thumbnails (a job that starts over makes them again).
    async fn remove_thumbnails(&self, job: &JobId);

    /// Removes every object of the job.
    async fn remove_all(&self, job: &JobId);
}
