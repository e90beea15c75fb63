//! Uploads: the page's S3-style multipart protocol and tus 1.0 for tus clients, both writing
//! into the same upload files and records.
//!
//! Owns the upload files in `<data>/uploads/` and their records: creating them, and deleting
//! them for a termination or abort, a refusal, or the expiry sweep (`discard`).
//!
//! - [`multipart`]: `/api/multipart`, signed part URLs, parts in parallel (the page's protocol).
//! - [`tus`]: `/api/uploads`, tus 1.0 (tus-js-client, Uppy's tus plugin).
//! - [`tus_headers`]: reading the tus request headers into checked values.
//! - [`video_check`] and [`sniff`]: refusing what is not a video from its first bytes.
//! - [`writer`]: streaming a PATCH body to disk under the cap on writers, and the body timeout.
//! - [`claims`]: one writer per upload, and stopping it when the upload is terminated.
//! - [`expiry`]: the `Upload-Expires` date and the sweep that removes abandoned uploads.

pub mod claims;
pub mod expiry;
pub mod multipart;
pub mod sniff;
pub mod tus;
pub mod tus_headers;
pub mod video_check;
pub mod writer;

use crate::auth::{self, SourceIp};
use crate::error::ApiFailure;
use crate::ports::UploadRecord;
use crate::state::AppState;
use axum::http::{HeaderMap, Uri};
use vidpush_protocol::UploadId;
use vidpush_protocol::ids::is_well_formed;
use vidpush_protocol::sizes::human_bytes;

/// Refuses a declared size before anything is stored: empty (400) or over the limit (413).
/// Both upload protocols ask this first.
pub(crate) fn check_declared_size(app: &AppState, length: u64) -> Result<(), ApiFailure> {
    if length == 0 {
        return Err(ApiFailure::BadRequest(
            "the file is empty (0 bytes): choose a video file".into(),
        ));
    }
    let max = app.config.max_upload_bytes;
    if length > max {
        return Err(ApiFailure::TooLarge(format!(
            "the file is {} but this server takes at most {}: choose a smaller file",
            human_bytes(length),
            human_bytes(max)
        )));
    }
    Ok(())
}

/// The upload named by `raw`, if it exists and the caller may touch it.
pub(crate) async fn owned_upload(
    app: &AppState,
    raw: &str,
    source: SourceIp,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<UploadRecord, ApiFailure> {
    let caller = auth::caller(app, source, headers, uri)?;
    if !is_well_formed(raw) {
        return Err(not_found());
    }
    let upload = app
        .uploads
        .upload(&UploadId(raw.to_owned()))
        .await?
        .ok_or_else(not_found)?;
    auth::ensure_owner(&caller, &upload.owner, "upload")?;
    Ok(upload)
}

pub(crate) fn not_found() -> ApiFailure {
    ApiFailure::NotFound("no upload with that id: it may have expired or been used for a job; start the upload again".into())
}

/// Deletes an upload's row and bytes; the caller holds its claim. False when the row was
/// already gone (terminated, expired or turned into a job by another request).
pub(crate) async fn discard(app: &AppState, id: &UploadId) -> Result<bool, ApiFailure> {
    // The bytes first: on S3 their removal reads the record.
    app.upload_space.remove(id).await?;
    Ok(app.uploads.delete_upload(id).await?)
}
