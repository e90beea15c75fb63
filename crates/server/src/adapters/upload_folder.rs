//! [`UploadSpace`] in the data folder: each multipart upload is one file of its full length,
//! `<data>/uploads/<id>.part`, that parts are written into at their offsets by
//! `PUT /api/multipart/{id}/parts/{n}` (the local stand-in for S3's `UploadPart`), with the
//! part records in the [`UploadStore`]. tus uploads use the same files.

use crate::clock::now_ms;
use crate::ports::{StoreError, UploadRecord, UploadSpace, UploadStore};
use crate::uploads::multipart::part_url::{PART_URL_LIFETIME, PartSigner};
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{SignedPart, UploadedPart};

/// The uploads folder.
pub struct UploadFolder {
    /// `<data>/uploads`, which exists.
    dir: PathBuf,
    /// Signs the part URLs that `PUT` handler checks.
    signer: PartSigner,
    /// Where the stored parts are recorded.
    records: Arc<dyn UploadStore>,
}

impl UploadFolder {
    /// Uploads in `dir`, parts recorded in `records`, part URLs signed by `signer`.
    pub fn new(dir: PathBuf, signer: PartSigner, records: Arc<dyn UploadStore>) -> Self {
        Self {
            dir,
            signer,
            records,
        }
    }

    /// The file holding an upload's bytes: named by its id, never by the client.
    pub fn path(&self, id: &UploadId) -> PathBuf {
        upload_path(&self.dir, id)
    }
}

/// `<dir>/<id>.part`.
pub fn upload_path(dir: &std::path::Path, id: &UploadId) -> PathBuf {
    dir.join(format!("{id}.part"))
}

fn failed(error: std::io::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

#[async_trait]
impl UploadSpace for UploadFolder {
    async fn begin(&self, upload: &UploadRecord, _part_size: u64) -> Result<(), StoreError> {
        let file = tokio::fs::File::create(self.path(&upload.id))
            .await
            .map_err(failed)?;
        file.set_len(upload.length).await.map_err(failed)
    }

    async fn part_url(&self, upload: &UploadId, number: u32) -> Result<SignedPart, StoreError> {
        let expires_at_ms = now_ms() + PART_URL_LIFETIME.as_millis() as u64;
        let query = self.signer.sign(upload, number, expires_at_ms);
        Ok(SignedPart {
            // Relative to the API's base URL, which only the page knows (a sub-path, a proxy).
            url: format!("api/multipart/{upload}/parts/{number}?{query}"),
            expires_at_ms,
        })
    }

    async fn parts(&self, upload: &UploadId) -> Result<Vec<UploadedPart>, StoreError> {
        self.records.parts(upload).await
    }

    /// Each part was written into its range of the one file as it arrived.
    async fn join(&self, _upload: &UploadId, _parts: &[UploadedPart]) -> Result<(), StoreError> {
        Ok(())
    }

    async fn head(&self, upload: &UploadId, len: usize) -> Result<Vec<u8>, StoreError> {
        let file = tokio::fs::File::open(self.path(upload))
            .await
            .map_err(failed)?;
        let mut head = Vec::with_capacity(len);
        file.take(len as u64)
            .read_to_end(&mut head)
            .await
            .map_err(failed)?;
        Ok(head)
    }

    async fn remove(&self, upload: &UploadId) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(upload)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
            _ => Ok(()),
        }
    }
}
