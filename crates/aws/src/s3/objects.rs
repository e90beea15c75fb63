//! [`JobObjects`] on S3. Keys: `uploads/{uploadId}` (where the page's multipart upload lands),
//! `jobs/{jobId}/source`, `jobs/{jobId}/thumbnails/{index}.jpg`, `jobs/{jobId}/result.json`.
//! The page reads thumbnails and results through presigned GETs the API redirects to, so its
//! URLs stay the same as locally; the worker downloads the source to its own disk, since the
//! decoder reads a file.

use super::failed;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use vidpush_protocol::{JobId, UploadId};
use vidpush_server::ports::{JobObjects, StoreError, Stored};

/// How long a presigned GET works. Long enough for a page to load a storyboard of thumbnails,
/// short enough that a leaked link soon stops working; the API makes a new one per request.
pub const PRESIGNED_GET: Duration = Duration::from_secs(15 * 60);

/// A job's objects in one bucket.
pub struct S3Objects {
    client: Client,
    /// The bucket.
    bucket: String,
    /// Where the worker keeps downloaded sources (its local disk).
    scratch: PathBuf,
}

/// The key a finished upload's bytes are stored under.
pub fn upload_key(upload: &UploadId) -> String {
    format!("uploads/{}", upload.as_str())
}

fn source_key(job: &JobId) -> String {
    format!("jobs/{}/source", job.as_str())
}

fn thumbnail_key(job: &JobId, index: u32) -> String {
    format!("jobs/{}/thumbnails/{index}.jpg", job.as_str())
}

fn result_key(job: &JobId) -> String {
    format!("jobs/{}/result.json", job.as_str())
}

impl S3Objects {
    /// Objects in `bucket`; sources are downloaded into `scratch`.
    pub fn new(client: Client, bucket: impl Into<String>, scratch: impl Into<PathBuf>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            scratch: scratch.into(),
        }
    }

    async fn put(&self, key: String, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// A presigned GET of `key`, or `None` when there is no such object.
    async fn presigned(&self, key: String) -> Result<Option<Stored>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Ok(None);
            }
            Err(error) => return Err(failed(error)),
        }
        let presigning = PresigningConfig::expires_in(PRESIGNED_GET)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(failed)?;
        Ok(Some(Stored::At(request.uri().to_owned())))
    }

    /// Deletes every object under `prefix`.
    async fn delete_prefix(&self, prefix: String) -> Result<(), StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for object in page.map_err(failed)?.contents.unwrap_or_default() {
                if let Some(key) = object.key {
                    self.client
                        .delete_object()
                        .bucket(&self.bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(failed)?;
                }
            }
        }
        Ok(())
    }

    fn local_source(&self, job: &JobId) -> PathBuf {
        self.scratch.join(format!("{}.source", job.as_str()))
    }

    /// Removes the worker's downloaded copy of a job's source (the object stays in S3 as long
    /// as the job): the worker calls it when it is done with the job.
    pub async fn forget_local(&self, job: &JobId) {
        let _ = tokio::fs::remove_file(self.local_source(job)).await;
    }
}

/// Logs a failed clean-up: the objects stay until the bucket's lifecycle or a later removal.
fn log_leftover(what: &str, job: &JobId, result: Result<(), StoreError>) {
    if let Err(error) = result {
        tracing::warn!(job = %job, %error, "could not remove the job's {what}");
    }
}

#[async_trait]
impl JobObjects for S3Objects {
    /// A server-side copy, then the upload's object goes (S3 copies up to 5 GB in one call,
    /// above the largest upload allowed).
    async fn adopt_upload(&self, upload: &UploadId, job: &JobId) -> Result<(), StoreError> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{}", self.bucket, upload_key(upload)))
            .key(source_key(job))
            .send()
            .await
            .map_err(failed)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(upload_key(upload))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Streams the source to the worker's disk, chunk by chunk.
    async fn source_file(&self, job: &JobId) -> Result<PathBuf, StoreError> {
        let path = self.local_source(job);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(path);
        }
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(source_key(job))
            .send()
            .await
            .map_err(failed)?;
        let disk = |e: std::io::Error| StoreError::Unavailable(format!("the worker's disk: {e}"));
        tokio::fs::create_dir_all(&self.scratch)
            .await
            .map_err(disk)?;
        let partial = path.with_extension("partial");
        let mut file = tokio::fs::File::create(&partial).await.map_err(disk)?;
        let mut body = object.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| StoreError::Unavailable(format!("S3 download: {e}")))?
        {
            file.write_all(&chunk).await.map_err(disk)?;
        }
        file.sync_all().await.map_err(disk)?;
        tokio::fs::rename(&partial, &path).await.map_err(disk)?;
        Ok(path)
    }

    async fn put_thumbnail(
        &self,
        job: &JobId,
        index: u32,
        jpeg: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.put(thumbnail_key(job, index), jpeg, "image/jpeg")
            .await
    }

    /// One PUT: S3 makes an object visible whole or not at all.
    async fn put_result(&self, job: &JobId, json: Vec<u8>) -> Result<(), StoreError> {
        self.put(result_key(job), json, "application/json").await
    }

    /// A presigned GET: the page's player streams and seeks it (S3 answers range requests).
    async fn source(&self, job: &JobId) -> Result<Option<Stored>, StoreError> {
        self.presigned(source_key(job)).await
    }

    async fn result(&self, job: &JobId) -> Result<Option<Stored>, StoreError> {
        self.presigned(result_key(job)).await
    }

    async fn thumbnail(&self, job: &JobId, index: u32) -> Result<Option<Stored>, StoreError> {
        self.presigned(thumbnail_key(job, index)).await
    }

    async fn remove_all(&self, job: &JobId) {
        let _ = tokio::fs::remove_file(self.local_source(job)).await;
        let prefix = format!("jobs/{}/", job.as_str());
        log_leftover("objects", job, self.delete_prefix(prefix).await);
    }
}
