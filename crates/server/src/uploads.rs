//! tus 1.0 resumable uploads under `/api/uploads`: core, creation, termination, expiration and
//! checksum (sha1).
//!
//! Owns the upload files in `<data>/uploads/` and their rows. Bodies are streamed to disk in
//! bounded memory; the offset a client is told is always flushed to disk first; the declared
//! size is checked before anything is stored; the first bytes must look like a video
//! container, and an upload refused as not a video is deleted at once, since no request could
//! ever make it one. A termination stops a PATCH still in flight rather than waiting for the
//! client's dropped connection to be noticed. It never uses a client file name as a path.

use crate::app::AppState;
use crate::auth;
use crate::error::ApiFailure;
use crate::sniff::{SNIFF_BYTES, Sniffed, sniff};
use crate::store::{UploadRecord, new_id, now_ms};
use crate::upload_claims::{StopSignal, UploadClaim};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, post};
use base64::Engine;
use futures_util::StreamExt;
use sha1::{Digest, Sha1};
use std::io::{Seek, SeekFrom, Write};
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::mpsc;
use vidpush_protocol::UploadId;
use vidpush_protocol::ids::is_well_formed;
use vidpush_protocol::limits::{NAMED_FORMATS, TUS_VERSION};

/// Extensions announced by `OPTIONS`.
const TUS_EXTENSIONS: &str = "creation,termination,expiration,checksum";

/// While one PATCH streams, received bytes are flushed and the offset recorded every this many
/// bytes, so a crash in the middle of a huge PATCH loses at most this much.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// Body frames in flight between the network and the disk writer: the bound on an upload's
/// memory (a frame is at most a few hundred KiB).
const FRAMES_IN_FLIGHT: usize = 16;

/// The writer's buffer: large sequential writes keep the disk at full speed.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// Longest file name kept for display.
const MAX_FILE_NAME_CHARS: usize = 200;

/// The tus routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/uploads", post(create).options(discover))
        .route(
            "/api/uploads/{id}",
            head(status)
                .patch(append)
                .delete(terminate)
                .options(discover),
        )
}

/// tus discovery (`OPTIONS` without CORS preflight headers) must reach [`discover`] even
/// though the CORS layer answers every `OPTIONS` itself: this middleware sits outside it and
/// takes such requests first.
pub async fn discovery_before_cors(
    State(app): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_discovery = request.method() == axum::http::Method::OPTIONS
        && request.uri().path().starts_with("/api/uploads")
        && !request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_discovery {
        return discover(State(app)).await;
    }
    next.run(request).await
}

/// `OPTIONS`: what this tus server supports.
async fn discover(State(app): State<AppState>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    headers.insert("Tus-Version", HeaderValue::from_static(TUS_VERSION));
    headers.insert("Tus-Extension", HeaderValue::from_static(TUS_EXTENSIONS));
    headers.insert(
        "Tus-Max-Size",
        HeaderValue::from(app.config.max_upload_bytes),
    );
    headers.insert("Tus-Checksum-Algorithm", HeaderValue::from_static("sha1"));
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// `POST /api/uploads`: creates an empty upload of the declared size.
async fn create(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let owner = auth::caller(&app.gateway, &headers, &uri)?;
    if headers.contains_key("Upload-Defer-Length") {
        return Err(ApiFailure::BadRequest(
            "this server needs the size up front: send Upload-Length, not Upload-Defer-Length"
                .into(),
        ));
    }
    let length = number_header(&headers, "Upload-Length")?.ok_or_else(|| {
        ApiFailure::BadRequest("Upload-Length is missing: send the file's size in bytes".into())
    })?;
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
    let metadata = parse_metadata(headers.get("Upload-Metadata"))?;
    let upload = UploadRecord {
        id: UploadId(new_id()),
        length,
        offset: 0,
        file_name: display_name(metadata.get("filename").or(metadata.get("name"))),
        file_type: metadata
            .get("filetype")
            .or(metadata.get("type"))
            .cloned()
            .unwrap_or_default(),
        owner,
        updated_at_ms: now_ms(),
    };
    tokio::fs::File::create(app.upload_path(&upload.id)).await?;
    app.store.create_upload(upload.clone()).await?;
    tracing::info!(upload = %upload.id, length, "upload created");
    let mut response = StatusCode::CREATED.into_response();
    let h = response.headers_mut();
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert(
        header::LOCATION,
        header_value(format!("/api/uploads/{}", upload.id)),
    );
    h.insert(
        "Upload-Expires",
        header_value(app.expires_at(upload.updated_at_ms)),
    );
    Ok(response)
}

/// `HEAD /api/uploads/{id}`: how many bytes the server has.
async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let upload = owned_upload(&app, &id, &headers, &uri).await?;
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert("Upload-Offset", HeaderValue::from(upload.offset));
    h.insert("Upload-Length", HeaderValue::from(upload.length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if upload.offset < upload.length {
        h.insert(
            "Upload-Expires",
            header_value(app.expires_at(upload.updated_at_ms)),
        );
    }
    Ok(response)
}

/// `DELETE /api/uploads/{id}`: abandons an upload and frees its space.
async fn terminate(
    State(app): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let upload = owned_upload(&app, &id, &headers, &uri).await?;
    // A person who cancels mid-upload aborts the PATCH and sends this at once, before the
    // server has noticed the aborted connection: stop that PATCH instead of refusing.
    let _writing = app.upload_claims.claim_stopping_holder(&upload.id).await?;
    if !discard(&app, &upload.id).await? {
        // Terminated by another request, or turned into a job, while this one waited.
        return Err(not_found());
    }
    tracing::info!(upload = %upload.id, "upload terminated");
    Ok((StatusCode::NO_CONTENT, [("Tus-Resumable", TUS_VERSION)]).into_response())
}

/// `PATCH /api/uploads/{id}`: appends the body at `Upload-Offset`.
async fn append(
    State(app): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/offset+octet-stream" {
        return Err(ApiFailure::UnsupportedMedia(
            "a tus PATCH must have Content-Type: application/offset+octet-stream".into(),
        ));
    }
    let claimed = number_header(&headers, "Upload-Offset")?
        .ok_or_else(|| ApiFailure::BadRequest("Upload-Offset is missing".into()))?;
    let checksum = parse_checksum(headers.get("Upload-Checksum"))?;
    let upload = owned_upload(&app, &id, &headers, &uri).await?;
    let claim = app.claim_upload(&upload.id)?;
    let stop = claim.stop_signal();
    // Re-read under the claim: another PATCH may have finished in between.
    let upload = app.store.upload(&upload.id).await?.ok_or_else(not_found)?;
    if claimed != upload.offset {
        return Err(ApiFailure::Conflict(format!(
            "the server has {} bytes of this upload, not {claimed}: ask with HEAD and continue from there",
            upload.offset
        )));
    }

    // The body ends early when a termination raises the stop signal.
    let mut stream = body.into_data_stream().take_until(stop.raised());
    let mut first = Vec::new();
    if upload.offset == 0 {
        // Read just enough to recognise the container before storing a single byte.
        while first.iter().map(Bytes::len).sum::<usize>() < SNIFF_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => first.push(chunk),
                Some(Err(_)) | None => break,
            }
        }
        let head: Vec<u8> = first
            .iter()
            .flat_map(|c| c.iter().copied())
            .take(SNIFF_BYTES)
            .collect();
        if stop.is_raised() {
            return Err(stopped_by_termination(&upload.id));
        }
        if let Err(refusal) = check_video_head(&head, upload.length) {
            if matches!(refusal, ApiFailure::UnsupportedMedia(_)) {
                discard(&app, &upload.id).await?;
                tracing::info!(upload = %upload.id, "upload refused as not a video and deleted");
            }
            return Err(refusal);
        }
    }

    let remaining = upload.length - upload.offset;
    let (tx, rx) = mpsc::channel::<Bytes>(FRAMES_IN_FLIGHT);
    let start = upload.offset;
    let write = WriteJob {
        app: app.clone(),
        id: upload.id.clone(),
        start,
        limit: remaining,
        expected_sha1: checksum,
        runtime: tokio::runtime::Handle::current(),
        stop: stop.clone(),
        _claim: claim,
    };
    // The writer owns the claim and records the offset itself: if the client goes away and
    // this handler is dropped mid-body, the bytes that arrived are still flushed and
    // recorded, and no resumed PATCH can write to the file until the writer is done.
    let writer = tokio::task::spawn_blocking(move || write.run(rx));

    let mut overflow = false;
    let mut sent: u64 = 0;
    let mut frames = futures_util::stream::iter(first.into_iter().map(Ok)).chain(stream);
    while let Some(frame) = frames.next().await {
        let Ok(mut chunk) = frame else {
            tracing::info!(upload = %upload.id, "client went away mid-PATCH; keeping what arrived");
            break;
        };
        if sent + chunk.len() as u64 > remaining {
            chunk.truncate((remaining - sent) as usize);
            overflow = true;
        }
        sent += chunk.len() as u64;
        if tx.send(chunk).await.is_err() || overflow {
            break;
        }
    }
    drop((tx, frames));
    let offset = writer.await.map_err(ApiFailure::internal)??;
    if overflow {
        return Err(ApiFailure::TooLarge(format!(
            "the upload declared {} bytes and more were sent; the first {} were kept",
            upload.length, upload.length
        )));
    }
    if offset == upload.length {
        tracing::info!(upload = %upload.id, bytes = offset, "upload complete");
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert("Upload-Offset", HeaderValue::from(offset));
    if offset < upload.length {
        h.insert("Upload-Expires", header_value(app.expires_at(now_ms())));
    }
    Ok(response)
}

/// One PATCH's disk writer: everything it needs to write, flush and record on its own.
struct WriteJob {
    app: AppState,
    id: UploadId,
    /// The offset the PATCH starts at.
    start: u64,
    /// Bytes the upload still lacks; more are not written.
    limit: u64,
    /// The `Upload-Checksum` digest, when the client sent one: then nothing is recorded
    /// unless the whole body matches, and no checkpoints are taken.
    expected_sha1: Option<Vec<u8>>,
    /// To record offsets from this blocking thread.
    runtime: tokio::runtime::Handle,
    /// Raised when the upload is being terminated: then the writer stops at once and records
    /// nothing, since the termination deletes the file as soon as the claim is released.
    stop: StopSignal,
    /// Held until the writer is done, so no other request writes to the same file meanwhile.
    _claim: UploadClaim,
}

impl WriteJob {
    /// Writes received frames at `start`, flushing to disk before recording any offset (at
    /// every checkpoint and at the end). Returns the offset recorded.
    fn run(self, mut rx: mpsc::Receiver<Bytes>) -> Result<u64, ApiFailure> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(self.app.upload_path(&self.id))?;
        file.seek(SeekFrom::Start(self.start))?;
        let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        let mut hasher = self.expected_sha1.is_some().then(Sha1::new);
        let mut written: u64 = 0;
        let mut since_checkpoint: u64 = 0;
        while let Some(chunk) = rx.blocking_recv() {
            if self.stop.is_raised() {
                break;
            }
            let take = chunk.len().min((self.limit - written) as usize);
            out.write_all(&chunk[..take])?;
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk[..take]);
            }
            written += take as u64;
            since_checkpoint += take as u64;
            if hasher.is_none() && since_checkpoint >= CHECKPOINT_BYTES {
                self.record(&mut out, written)?;
                since_checkpoint = 0;
            }
        }
        if self.stop.is_raised() {
            return Err(stopped_by_termination(&self.id));
        }
        if let (Some(hasher), Some(expected)) = (hasher, &self.expected_sha1)
            && hasher.finalize().as_slice() != expected.as_slice()
        {
            return Err(ApiFailure::ChecksumMismatch);
        }
        self.record(&mut out, written)?;
        Ok(self.start + written)
    }

    /// Flushes and syncs what was written, then records the new offset.
    fn record(
        &self,
        out: &mut std::io::BufWriter<std::fs::File>,
        written: u64,
    ) -> Result<(), ApiFailure> {
        out.flush()?;
        out.get_ref().sync_data()?;
        self.runtime.block_on(
            self.app
                .store
                .set_upload_offset(&self.id, self.start + written),
        )?;
        Ok(())
    }
}

/// Refuses an upload whose first bytes are not a known video container.
fn check_video_head(head: &[u8], length: u64) -> Result<(), ApiFailure> {
    match sniff(head) {
        Sniffed::Video(_) => Ok(()),
        Sniffed::NotVideo(what) => Err(ApiFailure::UnsupportedMedia(format!(
            "this file is not a video: it looks like {what}. Choose an {NAMED_FORMATS} file"
        ))),
        Sniffed::TooShort if (head.len() as u64) < length => Err(ApiFailure::BadRequest(format!(
            "the first PATCH must carry at least {SNIFF_BYTES} bytes (or the whole file) so the server can check it is a video"
        ))),
        Sniffed::TooShort => Err(ApiFailure::UnsupportedMedia(format!(
            "this file is only {length} bytes: far too short to be a video"
        ))),
    }
}

/// The upload named by `raw`, if it exists and the caller may touch it.
async fn owned_upload(
    app: &AppState,
    raw: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<UploadRecord, ApiFailure> {
    let caller = auth::caller(&app.gateway, headers, uri)?;
    if !is_well_formed(raw) {
        return Err(not_found());
    }
    let upload = app
        .store
        .upload(&UploadId(raw.to_owned()))
        .await?
        .ok_or_else(not_found)?;
    auth::ensure_owner(&caller, &upload.owner, "upload")?;
    Ok(upload)
}

/// The answer of a PATCH stopped because its upload is being terminated: tus answers requests
/// to a terminated upload with 404.
fn stopped_by_termination(id: &UploadId) -> ApiFailure {
    tracing::info!(upload = %id, "PATCH stopped: the upload is being terminated");
    ApiFailure::NotFound(
        "this upload was cancelled while the request was sending it; start a new upload to send the file again".into(),
    )
}

fn not_found() -> ApiFailure {
    ApiFailure::NotFound("no upload with that id: it may have expired or been used for a job; start the upload again".into())
}

fn require_tus(headers: &HeaderMap) -> Result<(), ApiFailure> {
    match headers.get("Tus-Resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiFailure::TusVersion),
    }
}

fn number_header(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiFailure> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiFailure::BadRequest(format!("{name} must be a whole number of bytes"))
                })
        })
        .transpose()
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs.
fn parse_metadata(
    value: Option<&HeaderValue>,
) -> Result<std::collections::HashMap<String, String>, ApiFailure> {
    let mut pairs = std::collections::HashMap::new();
    let Some(value) = value else { return Ok(pairs) };
    let bad = || {
        ApiFailure::BadRequest(
            "Upload-Metadata must be comma-separated `key base64value` pairs".into(),
        )
    };
    for pair in value
        .to_str()
        .map_err(|_| bad())?
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad())?;
        pairs.insert(
            key.to_owned(),
            String::from_utf8_lossy(&decoded).into_owned(),
        );
    }
    Ok(pairs)
}

/// Parses `Upload-Checksum: sha1 <base64>`; other algorithms are refused by name.
fn parse_checksum(value: Option<&HeaderValue>) -> Result<Option<Vec<u8>>, ApiFailure> {
    let Some(value) = value else { return Ok(None) };
    let text = value.to_str().unwrap_or("");
    let (algorithm, encoded) = text.split_once(' ').unwrap_or((text, ""));
    if algorithm != "sha1" {
        return Err(ApiFailure::BadRequest(format!(
            "checksum algorithm {algorithm:?} is not supported; use sha1"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map(Some)
        .map_err(|_| {
            ApiFailure::BadRequest("Upload-Checksum must be `sha1 <base64 digest>`".into())
        })
}

/// A client's file name made safe to display: no control characters, bounded length.
fn display_name(name: Option<&String>) -> String {
    let cleaned: String = name
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(MAX_FILE_NAME_CHARS)
                .collect()
        })
        .unwrap_or_default();
    if cleaned.trim().is_empty() {
        "video".to_owned()
    } else {
        cleaned
    }
}

/// `1.5 GB`-style sizes for messages.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn header_value(text: String) -> HeaderValue {
    HeaderValue::from_str(&text).expect("ids and HTTP dates are plain ASCII")
}

/// Deletes an upload's row and file; the caller holds its claim. False when the row was
/// already gone (terminated, expired or turned into a job by another request).
async fn discard(app: &AppState, id: &UploadId) -> Result<bool, ApiFailure> {
    let existed = app.store.delete_upload(id).await?;
    remove_if_present(&app.upload_path(id)).await?;
    Ok(existed)
}

async fn remove_if_present(path: &std::path::Path) -> std::io::Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Deletes unfinished uploads that received nothing for the configured expiry.
pub async fn sweep_expired(app: &AppState) -> Result<usize, ApiFailure> {
    let cutoff = now_ms().saturating_sub(app.config.upload_expiry_secs * 1000);
    let stale = app.store.stale_uploads(cutoff).await?;
    for id in &stale {
        let Ok(_writing) = app.claim_upload(id) else {
            continue;
        };
        discard(app, id).await?;
        tracing::info!(upload = %id, "expired upload removed");
    }
    Ok(stale.len())
}

impl AppState {
    /// `Upload-Expires` for an upload last touched at `updated_at_ms`.
    fn expires_at(&self, updated_at_ms: u64) -> String {
        let at = UNIX_EPOCH
            + Duration::from_millis(updated_at_ms)
            + Duration::from_secs(self.config.upload_expiry_secs);
        httpdate::fmt_http_date(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_decoded() {
        let value = HeaderValue::from_static(
            "filename bXkgdmlkZW8ubXA0,filetype dmlkZW8vbXA0,is_confidential",
        );
        let pairs = parse_metadata(Some(&value)).unwrap();
        assert_eq!(pairs["filename"], "my video.mp4");
        assert_eq!(pairs["filetype"], "video/mp4");
        assert_eq!(pairs["is_confidential"], "");
        assert!(parse_metadata(Some(&HeaderValue::from_static("filename !!!"))).is_err());
    }

    #[test]
    fn display_names_lose_control_characters() {
        assert_eq!(
            display_name(Some(&"../../etc/\u{7}passwd\n".to_owned())),
            "../../etc/passwd"
        );
        assert_eq!(display_name(None), "video");
    }

    #[test]
    fn sizes_read_like_a_person_wrote_them() {
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(10_000_000_000_000), "10.0 TB");
    }
}
