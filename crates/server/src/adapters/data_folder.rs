//! [`JobObjects`] in the data folder: `<data>/jobs/<id>/` holds `source`, `thumbnails/<n>.jpg`
//! and `result.json`; uploads wait in `<data>/uploads/<id>.part` until a job adopts them.

use crate::ports::{JobObjects, StoreError, Stored};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use vidpush_protocol::{JobId, UploadId};

/// The data folder's job objects.
pub struct DataFolder {
    /// Where uploads are written (`<data>/uploads`).
    uploads_dir: PathBuf,
    /// Where job folders live (`<data>/jobs`).
    jobs_dir: PathBuf,
}

impl DataFolder {
    /// The objects under these two folders (which exist).
    pub fn new(uploads_dir: PathBuf, jobs_dir: PathBuf) -> Self {
        Self {
            uploads_dir,
            jobs_dir,
        }
    }

    fn dir(&self, job: &JobId) -> PathBuf {
        self.jobs_dir.join(job.as_str())
    }

    fn thumbnail_path(&self, job: &JobId, index: u32) -> PathBuf {
        self.dir(job)
            .join("thumbnails")
            .join(format!("{index}.jpg"))
    }
}

fn failed(error: std::io::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

#[async_trait]
impl JobObjects for DataFolder {
    async fn adopt_upload(&self, upload: &UploadId, job: &JobId) -> Result<(), StoreError> {
        let dir = self.dir(job);
        tokio::fs::create_dir_all(&dir).await.map_err(failed)?;
        let file = self.uploads_dir.join(format!("{upload}.part"));
        tokio::fs::rename(file, dir.join("source"))
            .await
            .map_err(failed)
    }

    async fn source_file(&self, job: &JobId) -> Result<PathBuf, StoreError> {
        Ok(self.dir(job).join("source"))
    }

    async fn source(&self, job: &JobId) -> Result<Option<Stored>, StoreError> {
        let path = self.dir(job).join("source");
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => Ok(Some(Stored::File(path))),
            Ok(_) => Ok(None),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(failed(error)),
        }
    }

    async fn put_thumbnail(
        &self,
        job: &JobId,
        index: u32,
        jpeg: Vec<u8>,
    ) -> Result<(), StoreError> {
        let path = self.thumbnail_path(job, index);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(failed)?;
        }
        tokio::fs::write(path, jpeg).await.map_err(failed)
    }

    async fn put_result(&self, job: &JobId, json: Vec<u8>) -> Result<(), StoreError> {
        write_atomically(&self.dir(job).join("result.json"), json)
            .await
            .map_err(failed)
    }

    async fn result(&self, job: &JobId) -> Result<Option<Stored>, StoreError> {
        read_if_present(&self.dir(job).join("result.json")).await
    }

    async fn thumbnail(&self, job: &JobId, index: u32) -> Result<Option<Stored>, StoreError> {
        read_if_present(&self.thumbnail_path(job, index)).await
    }

    async fn remove_all(&self, job: &JobId) {
        remove_quietly(&self.dir(job)).await;
    }
}

/// The file's bytes, or `None` when there is no such file.
async fn read_if_present(path: &Path) -> Result<Option<Stored>, StoreError> {
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(Some(Stored::Bytes(bytes))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(failed(error)),
    }
}

/// Writes a file so that it is either absent or complete, even across a power cut.
async fn write_atomically(path: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    let target = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, &target)?;
        if let Some(parent) = target.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Removes a file or folder, logging (not failing) when it cannot.
async fn remove_quietly(path: &Path) {
    let result = match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_dir() => tokio::fs::remove_dir_all(path).await,
        Ok(_) => tokio::fs::remove_file(path).await,
        Err(_) => Ok(()),
    };
    if let Err(error) = result {
        tracing::warn!(path = %path.display(), %error, "could not remove a job's files");
    }
}
