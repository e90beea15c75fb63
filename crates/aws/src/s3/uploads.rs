//! [`UploadSpace`] on S3: the page's multipart upload is S3's own, under
//! [`upload_key`]; its part URLs are presigned `UploadPart`s the browser sends parts to
//! directly, `ListParts` is the resume, and S3's upload id is kept on the upload's DynamoDB
//! record. A joined upload is judged a video from its first bytes (a ranged `GET`), since the
//! bytes never passed through the API.

use super::{S3Multipart, failed, upload_key};
use crate::dynamodb::DynamoStore;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use std::time::{SystemTime, UNIX_EPOCH};
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{SignedPart, UploadedPart};
use vidpush_server::ports::{StoreError, UploadRecord, UploadSpace};

/// Uploads into one bucket, with S3's upload ids on the upload records.
pub struct S3Uploads {
    client: Client,
    bucket: String,
    multipart: S3Multipart,
    records: DynamoStore,
}

impl S3Uploads {
    /// Uploads into `bucket`; `records` holds the upload records.
    pub fn new(client: Client, bucket: impl Into<String>, records: DynamoStore) -> Self {
        let bucket = bucket.into();
        Self {
            multipart: S3Multipart::new(client.clone(), bucket.clone()),
            client,
            bucket,
            records,
        }
    }

    /// S3's id of the upload's multipart upload.
    async fn s3_id(&self, upload: &UploadId) -> Result<String, StoreError> {
        self.records.s3_upload_id(upload).await?.ok_or_else(|| {
            StoreError::Unavailable(format!("upload {upload} has no S3 multipart upload"))
        })
    }
}

#[async_trait]
impl UploadSpace for S3Uploads {
    async fn begin(&self, upload: &UploadRecord, _part_size: u64) -> Result<(), StoreError> {
        let key = upload_key(&upload.id);
        let s3_id = self.multipart.create(&key, &upload.file_type).await?;
        if !self.records.set_s3_upload_id(&upload.id, &s3_id).await? {
            // The record went in between (an abort): the S3 upload goes too.
            self.multipart.abort(&key, &s3_id).await?;
        }
        Ok(())
    }

    async fn part_url(&self, upload: &UploadId, number: u32) -> Result<SignedPart, StoreError> {
        let s3_id = self.s3_id(upload).await?;
        let expires_at = SystemTime::now() + super::multipart::PART_URL_TTL;
        let url = self
            .multipart
            .part_url(&upload_key(upload), &s3_id, number)
            .await?;
        Ok(SignedPart {
            url,
            expires_at_ms: expires_at
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        })
    }

    async fn parts(&self, upload: &UploadId) -> Result<Vec<UploadedPart>, StoreError> {
        let s3_id = self.s3_id(upload).await?;
        self.multipart.parts(&upload_key(upload), &s3_id).await
    }

    async fn join(&self, upload: &UploadId, parts: &[UploadedPart]) -> Result<(), StoreError> {
        let s3_id = self.s3_id(upload).await?;
        self.multipart
            .complete(&upload_key(upload), &s3_id, parts)
            .await
    }

    async fn head(&self, upload: &UploadId, len: usize) -> Result<Vec<u8>, StoreError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(upload_key(upload))
            .range(format!("bytes=0-{}", len.saturating_sub(1)))
            .send()
            .await
            .map_err(failed)?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("S3 download: {e}")))?;
        Ok(bytes.into_bytes().into_iter().take(len).collect())
    }

    /// Aborts the multipart upload if it was never joined, and deletes the object if it was.
    async fn remove(&self, upload: &UploadId) -> Result<(), StoreError> {
        let key = upload_key(upload);
        if let Some(s3_id) = self.records.s3_upload_id(upload).await? {
            match self.multipart.abort(&key, &s3_id).await {
                Ok(()) => return Ok(()),
                // Already joined (or aborted): the object, if any, goes below.
                Err(error) => tracing::debug!(%upload, %error, "no multipart upload to abort"),
            }
        }
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }
}
