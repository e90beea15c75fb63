//! The page's multipart uploads on S3, the contract of Uppy's `@uppy/aws-s3` that the page
//! already speaks locally: the upload is S3's own multipart upload, each part URL a presigned
//! `UploadPart` the browser `PUT`s to directly (API Gateway and Lambda never carry the bytes:
//! their payload limit is below S3's 5 MiB minimum part), `ListParts` is the resume, and the
//! bucket's lifecycle rule aborts what is never completed.

use super::failed;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use std::time::Duration;
use vidpush_protocol::multipart::UploadedPart;
use vidpush_server::ports::StoreError;

/// How long a part URL works: long enough for one part on a slow link, and each part gets a
/// fresh one when its turn comes.
pub const PART_URL_TTL: Duration = Duration::from_secs(15 * 60);

/// S3's smallest part (every part but the last).
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// Multipart uploads into one bucket.
pub struct S3Multipart {
    client: Client,
    bucket: String,
}

impl S3Multipart {
    /// Uploads into `bucket`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// Starts an upload to `key`; S3's upload id.
    pub async fn create(&self, key: &str, content_type: &str) -> Result<String, StoreError> {
        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key);
        if !content_type.is_empty() {
            request = request.content_type(content_type);
        }
        request
            .send()
            .await
            .map_err(failed)?
            .upload_id
            .ok_or_else(|| StoreError::Unavailable("S3 started an upload without an id".into()))
    }

    /// A presigned `PUT` for part `number` (1-based), valid for [`PART_URL_TTL`].
    pub async fn part_url(
        &self,
        key: &str,
        upload: &str,
        number: u32,
    ) -> Result<String, StoreError> {
        let presigning = PresigningConfig::expires_in(PART_URL_TTL)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .part_number(i32::try_from(number).unwrap_or(i32::MAX))
            .presigned(presigning)
            .await
            .map_err(failed)?;
        Ok(request.uri().to_owned())
    }

    /// The parts S3 holds, by number: what a resuming page skips.
    pub async fn parts(&self, key: &str, upload: &str) -> Result<Vec<UploadedPart>, StoreError> {
        let mut parts = Vec::new();
        let mut pages = self
            .client
            .list_parts()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for part in page.map_err(failed)?.parts.unwrap_or_default() {
                let (Some(number), Some(etag)) = (part.part_number, part.e_tag) else {
                    continue;
                };
                parts.push(UploadedPart {
                    part_number: u32::try_from(number).unwrap_or(0),
                    size: part.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    etag,
                });
            }
        }
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    /// Joins the parts into the object.
    pub async fn complete(
        &self,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), StoreError> {
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|part| {
                        CompletedPart::builder()
                            .part_number(i32::try_from(part.part_number).unwrap_or(i32::MAX))
                            .e_tag(&part.etag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .multipart_upload(completed)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Throws the upload and its parts away.
    pub async fn abort(&self, key: &str, upload: &str) -> Result<(), StoreError> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }
}
