//! tus 1.0 resumable uploads under `/api/uploads`, for tus clients: core, creation,
//! termination, expiration and checksum (sha1). The routes and their handlers live here; the
//! handlers read headers with [`tus_headers`](super::tus_headers), judge the first bytes with
//! [`video_check`](super::video_check), put PATCH bodies on disk with
//! [`writer`](super::writer), and date expiry with [`expiry`](super::expiry).
//!
//! The declared size is checked before anything is stored; the first bytes must look like a
//! video container, and an upload refused as not a video is deleted at once, since no request
//! could ever make it one. A termination stops a PATCH still in flight rather than waiting for
//! the client's dropped connection to be noticed. It never uses a client file name as a path.

use super::{check_declared_size, discard, not_found, owned_upload};
use crate::auth::{self, SourceIp};
use crate::clock::now_ms;
use crate::error::ApiFailure;
use crate::ids::new_id;
use crate::ports::UploadRecord;
use crate::state::AppState;
use crate::uploads::tus_headers::{
    display_name, header_value, number_header, parse_checksum, parse_metadata, require_tus,
};
use crate::uploads::video_check::{check_video_head, read_first_frames};
use crate::uploads::writer::{stalling_body, stopped_by_termination, write_body};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, post};
use futures_util::StreamExt;
use vidpush_protocol::UploadId;
use vidpush_protocol::limits::TUS_VERSION;

/// Extensions announced by `OPTIONS`.
const TUS_EXTENSIONS: &str = "creation,termination,expiration,checksum";

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

/// tus discovery (`OPTIONS` without CORS preflight headers) must reach the `discover` handler even
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
#[tracing::instrument(skip_all)]
async fn create(
    State(app): State<AppState>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let owner = auth::caller(&app, source, &headers, &uri)?;
    if headers.contains_key("Upload-Defer-Length") {
        return Err(ApiFailure::BadRequest(
            "this server needs the size up front: send Upload-Length, not Upload-Defer-Length"
                .into(),
        ));
    }
    let length = number_header(&headers, "Upload-Length")?.ok_or_else(|| {
        ApiFailure::BadRequest("Upload-Length is missing: send the file's size in bytes".into())
    })?;
    check_declared_size(&app, length)?;
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
    app.uploads.create_upload(upload.clone()).await?;
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
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let upload = owned_upload(&app, &id, source, &headers, &uri).await?;
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
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn terminate(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    require_tus(&headers)?;
    let upload = owned_upload(&app, &id, source, &headers, &uri).await?;
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
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn append(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
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
    let upload = owned_upload(&app, &id, source, &headers, &uri).await?;
    let slot = app.upload_writers.take()?;
    let claim = app.claim_upload(&upload.id)?;
    let stop = claim.stop_signal();
    // Re-read under the claim: another PATCH may have finished in between.
    let upload = app
        .uploads
        .upload(&upload.id)
        .await?
        .ok_or_else(not_found)?;
    if claimed != upload.offset {
        return Err(ApiFailure::Conflict(format!(
            "the server has {} bytes of this upload, not {claimed}: ask with HEAD and continue from there",
            upload.offset
        )));
    }

    // The body ends early when a termination raises the stop signal, or when it stops
    // arriving: a vanished client must not hold the upload's claim forever.
    let mut stream = stalling_body(body, app.config.body_timeout()).take_until(stop.raised());
    let first = if upload.offset == 0 {
        // Read just enough to recognise the container before storing a single byte.
        let first = read_first_frames(&mut stream).await;
        if stop.is_raised() {
            return Err(stopped_by_termination(&upload.id));
        }
        if let Err(refusal) = check_video_head(&first, upload.length) {
            if matches!(refusal, ApiFailure::UnsupportedMedia(_)) {
                discard(&app, &upload.id).await?;
                tracing::info!(upload = %upload.id, "upload refused as not a video and deleted");
            }
            return Err(refusal);
        }
        first
    } else {
        Vec::new()
    };

    let frames = futures_util::stream::iter(first.into_iter().map(Ok)).chain(stream);
    let offset = write_body(&app, &upload, (claim, slot), checksum, frames).await?;
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
