//! Multipart uploads under `/api/multipart`: the page's one upload protocol, on S3's model
//! (create, sign a part, `PUT` the part to its URL, list parts, complete, abort), so the same
//! page uploads straight to S3 on AWS and to this server locally.
//!
//! Modules: [`part_url`] signs and checks the expiring part URLs; [`in_flight`] lets parts of
//! one upload arrive in parallel and keeps a completion from judging a part still being
//! written; [`part_writer`] streams a part into its byte range of the upload's file with its
//! `ETag` and an fsync. The part records go through the [`UploadStore`] port.
//!
//! [`UploadStore`]: crate::ports::UploadStore
//!
//! A multipart upload is an ordinary upload (file in `<data>/uploads/`, row, owner, expiry), so
//! `POST /api/jobs` and the expiry sweep need nothing new. As with tus, the declared size is
//! checked before anything is stored (413), part 1's first bytes must look like a video (415,
//! and the upload is deleted), and no client file name becomes a path.

pub mod in_flight;
pub mod part_url;
pub mod part_writer;

use crate::auth::{self, SourceIp};
use crate::clock::now_ms;
use crate::error::{ApiFailure, json_body};
use crate::ids::new_id;
use crate::ports::UploadRecord;
use crate::state::AppState;
use crate::uploads::sniff::SNIFF_BYTES;
use crate::uploads::tus_headers::display_name;
use crate::uploads::video_check::{check_video_head, read_first_frames};
use crate::uploads::writer::stalling_body;
use crate::uploads::{check_declared_size, discard, owned_upload};
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use part_url::PartUrlError;
use part_writer::{PartPlace, write_part};
use vidpush_protocol::UploadId;
use vidpush_protocol::ids::is_well_formed;
use vidpush_protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, MAX_PARTS, SignedPart, UploadedPart, part_count,
    part_size_for,
};

/// Most characters of the browser's MIME type kept for an upload: real types are a few dozen.
const MAX_FILE_TYPE_CHARS: usize = 100;

/// The multipart routes every home serves: create, sign, list, complete, abort.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/multipart", post(create))
        .route("/api/multipart/{id}", delete(abort))
        .route("/api/multipart/{id}/parts", get(list))
        .route("/api/multipart/{id}/parts/{part}/url", get(sign))
        .route("/api/multipart/{id}/complete", post(complete))
}

/// The part `PUT` the local [`UploadFolder`](crate::adapters::upload_folder::UploadFolder)'s
/// URLs lead to (on AWS the page sends parts to S3 itself).
pub fn part_routes() -> Router<AppState> {
    Router::new().route(
        "/api/multipart/{id}/parts/{part}",
        axum::routing::put(put_part),
    )
}

/// `POST /api/multipart {fileName, fileType, size}` → 201 `{uploadId, key, partSize, partCount}`.
#[tracing::instrument(skip_all)]
async fn create(
    State(app): State<AppState>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Json<CreateMultipartRequest>, JsonRejection>,
) -> Result<Response, ApiFailure> {
    let owner = auth::caller(&app, source, &headers, &uri)?;
    let request = json_body(
        body,
        r#"{"fileName":"…","fileType":"video/mp4","size":123}"#,
    )?;
    check_declared_size(&app, request.size)?;
    let part_size = part_size_for(request.size);
    let upload = UploadRecord {
        id: UploadId(new_id()),
        length: request.size,
        offset: 0,
        file_name: display_name(Some(&request.file_name)),
        file_type: request
            .file_type
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_FILE_TYPE_CHARS)
            .collect(),
        owner,
        updated_at_ms: now_ms(),
    };
    app.uploads
        .create_multipart(upload.clone(), part_size)
        .await?;
    if let Err(error) = app.upload_space.begin(&upload, part_size).await {
        discard(&app, &upload.id).await?;
        return Err(error.into());
    }
    tracing::info!(upload = %upload.id, length = upload.length, part_size, "multipart upload created");
    let answer = CreateMultipartResponse {
        key: upload.id.as_str().to_owned(),
        upload_id: upload.id,
        part_size,
        part_count: part_count(upload.length, part_size),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/multipart/{id}/parts/{n}/url` → `{url, expiresAtMs}`.
#[tracing::instrument(skip_all, fields(upload = %id, part))]
async fn sign(
    State(app): State<AppState>,
    source: SourceIp,
    Path((id, part)): Path<(String, u32)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<SignedPart>, ApiFailure> {
    let upload = owned_multipart(&app, &id, source, &headers, &uri).await?;
    upload.place(part)?;
    Ok(Json(
        app.upload_space.part_url(&upload.record.id, part).await?,
    ))
}

/// `GET /api/multipart/{id}/parts` → the parts stored so far (to resume).
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn list(
    State(app): State<AppState>,
    source: SourceIp,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let upload = owned_multipart(&app, &id, source, &headers, &uri).await?;
    let parts = app.upload_space.parts(&upload.record.id).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(ListPartsResponse { parts }),
    )
        .into_response())
}

/// `PUT /api/multipart/{id}/parts/{n}?expires=…&signature=…` with the part's bytes → 200 and
/// its `ETag`. The signed URL is the whole authorisation, as with a presigned S3 URL.
#[tracing::instrument(skip_all, fields(upload = %id, part))]
async fn put_part(
    State(app): State<AppState>,
    Path((id, part)): Path<(String, u32)>,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiFailure> {
    if !is_well_formed(&id) {
        return Err(not_found());
    }
    let id = UploadId(id);
    app.part_signer
        .verify(&id, part, uri.query(), now_ms())
        .map_err(|error| {
            ApiFailure::Forbidden(
                match error {
                    PartUrlError::Malformed => {
                        "this part URL lacks a valid expiry and signature; ask the server for a new one"
                    }
                    PartUrlError::Forged => {
                        "this part URL's signature is not valid for this upload and part; ask the server for a new one"
                    }
                    PartUrlError::Expired => "this part URL has expired; ask the server for a new one",
                }
                .into(),
            )
        })?;
    let upload = multipart(&app, &id).await?;
    let place = upload.place(part)?;
    let _writing = app.parts_in_flight.start_part(&id, part)?;
    // One of the writers every upload body shares, or 503 with Retry-After, never a wait.
    let _slot = app.upload_writers.take()?;
    let mut stream = stalling_body(body, app.config.body_timeout());
    let first = if part == 1 {
        // Read just enough to recognise the container before storing a single byte.
        let first = read_first_frames(&mut stream).await;
        if let Err(refusal) = check_video_head(&first, upload.record.length) {
            if matches!(refusal, ApiFailure::UnsupportedMedia(_)) {
                discard(&app, &id).await?;
                tracing::info!("upload refused as not a video and deleted");
            }
            return Err(refusal);
        }
        first
    } else {
        Vec::new()
    };
    let path = app.upload_path(&id);
    let body = futures_util::stream::iter(first.into_iter().map(Ok)).chain(stream);
    let etag = write_part(
        PartPlace {
            file: &path,
            number: part,
            offset: place.offset,
            size: place.size,
        },
        body,
    )
    .await?;
    let stored = UploadedPart {
        part_number: part,
        size: place.size,
        etag: etag.clone(),
    };
    if !app.uploads.record_part(&id, stored).await? {
        return Err(ApiFailure::NotFound(
            "the upload was aborted, expired or completed while this part was sent".into(),
        ));
    }
    tracing::debug!(bytes = place.size, "part stored");
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(ApiFailure::internal)?,
    );
    Ok(response)
}

/// `POST /api/multipart/{id}/complete {parts:[{partNumber, etag}]}` → `{uploadId, size}`;
/// the upload is then whole and `POST /api/jobs` takes it.
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn complete(
    State(app): State<AppState>,
    source: SourceIp,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Json<CompleteMultipartRequest>, JsonRejection>,
) -> Result<Json<CompleteMultipartResponse>, ApiFailure> {
    let upload = owned_multipart(&app, &id, source, &headers, &uri).await?;
    let request = json_body(body, r#"{"parts":[{"partNumber":1,"etag":"…"}]}"#)?;
    let id = upload.record.id.clone();
    let done = CompleteMultipartResponse {
        upload_id: id.clone(),
        size: upload.record.length,
    };
    if upload.is_complete() {
        // A retry whose first answer was lost: the same answer again.
        return Ok(Json(done));
    }
    // No job creation, expiry or abort in between; no part changing on disk while judged.
    let _claim = app.claim_upload(&id)?;
    let _completing = app.parts_in_flight.start_completing(&id)?;
    let stored = app.upload_space.parts(&id).await?;
    check_completion(&request, &stored, upload.part_count())?;
    app.upload_space.join(&id, &stored).await?;
    // Locally part 1 was checked as it arrived; S3 received it without us, so the joined
    // upload is judged here, before a job can take it.
    let head = app.upload_space.head(&id, SNIFF_BYTES).await?;
    if let Err(refusal) = check_video_head(&[head.into()], upload.record.length) {
        discard(&app, &id).await?;
        tracing::info!("upload refused as not a video and deleted");
        return Err(refusal);
    }
    app.uploads.finish_multipart(&id).await?;
    tracing::info!(bytes = upload.record.length, "multipart upload complete");
    Ok(Json(done))
}

/// `DELETE /api/multipart/{id}` → 204: the upload and its parts are gone.
#[tracing::instrument(skip_all, fields(upload = %id))]
async fn abort(
    State(app): State<AppState>,
    source: SourceIp,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<StatusCode, ApiFailure> {
    let upload = owned_multipart(&app, &id, source, &headers, &uri).await?;
    let _claim = app.claim_upload(&upload.record.id)?;
    if !discard(&app, &upload.record.id).await? {
        return Err(not_found());
    }
    tracing::info!("multipart upload aborted");
    Ok(StatusCode::NO_CONTENT)
}

/// A multipart upload and its part size.
struct Multipart {
    /// The upload row.
    record: UploadRecord,
    /// Every part but the last has this many bytes.
    part_size: u64,
}

/// Where one part goes in the file.
struct Place {
    /// Its first byte.
    offset: u64,
    /// Its exact size.
    size: u64,
}

impl Multipart {
    fn part_count(&self) -> u32 {
        part_count(self.record.length, self.part_size)
    }

    fn is_complete(&self) -> bool {
        self.record.offset == self.record.length
    }

    /// Part `part`'s range, or why there is no such part.
    fn place(&self, part: u32) -> Result<Place, ApiFailure> {
        let count = self.part_count();
        if part == 0 || part > count.min(MAX_PARTS) {
            return Err(ApiFailure::BadRequest(format!(
                "this upload has parts 1 to {count}; there is no part {part}"
            )));
        }
        if self.is_complete() {
            return Err(ApiFailure::Conflict(
                "this upload is already complete; it takes no more parts".into(),
            ));
        }
        let offset = u64::from(part - 1) * self.part_size;
        let size = (self.record.length - offset).min(self.part_size);
        Ok(Place { offset, size })
    }
}

/// The multipart upload `id`, whoever owns it (the part URL's signature was checked).
async fn multipart(app: &AppState, id: &UploadId) -> Result<Multipart, ApiFailure> {
    let record = app.uploads.upload(id).await?.ok_or_else(not_found)?;
    with_part_size(app, record).await
}

/// The multipart upload named by `raw`, if it exists and the caller may touch it.
async fn owned_multipart(
    app: &AppState,
    raw: &str,
    source: SourceIp,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Multipart, ApiFailure> {
    let record = owned_upload(app, raw, source, headers, uri).await?;
    with_part_size(app, record).await
}

/// The upload with its part size; a tus upload is not found here.
async fn with_part_size(app: &AppState, record: UploadRecord) -> Result<Multipart, ApiFailure> {
    let part_size = app.uploads.part_size(&record.id).await?.ok_or_else(|| {
        ApiFailure::NotFound(
            "that upload is a tus upload, not a multipart one: continue it with tus".into(),
        )
    })?;
    Ok(Multipart { record, part_size })
}

/// Checks a completion names parts 1…`count` once each, in order, with the `ETag`s stored.
fn check_completion(
    request: &CompleteMultipartRequest,
    stored: &[UploadedPart],
    count: u32,
) -> Result<(), ApiFailure> {
    let sent = u32::try_from(request.parts.len()).unwrap_or(u32::MAX);
    if sent != count {
        return Err(ApiFailure::BadRequest(format!(
            "this upload has {count} parts and the completion names {sent}; name each part once, in order"
        )));
    }
    for (expected, named) in (1..=count).zip(&request.parts) {
        if named.part_number != expected {
            return Err(ApiFailure::BadRequest(format!(
                "the completion must name parts 1 to {count} in order; found part {} where part {expected} belongs",
                named.part_number
            )));
        }
        let Some(part) = stored.iter().find(|p| p.part_number == expected) else {
            return Err(ApiFailure::BadRequest(format!(
                "part {expected} was never stored; upload it, then complete again"
            )));
        };
        if unquoted(&named.etag) != unquoted(&part.etag) {
            return Err(ApiFailure::BadRequest(format!(
                "part {expected}'s ETag {} is not the one the server stored ({}): upload part {expected} again",
                named.etag, part.etag
            )));
        }
    }
    Ok(())
}

/// An `ETag` without the quotes S3 puts around it (clients keep or drop them).
fn unquoted(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

fn not_found() -> ApiFailure {
    ApiFailure::NotFound(
        "no upload with that id: it may have expired, been aborted or used for a job; start the upload again".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use vidpush_protocol::multipart::CompletedPart;

    fn stored(n: u32, etag: &str) -> UploadedPart {
        UploadedPart {
            part_number: n,
            size: 1,
            etag: etag.into(),
        }
    }

    fn named(parts: &[(u32, &str)]) -> CompleteMultipartRequest {
        CompleteMultipartRequest {
            parts: parts
                .iter()
                .map(|&(part_number, etag)| CompletedPart {
                    part_number,
                    etag: etag.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_completion_with_every_stored_etag_passes_quoted_or_not() {
        let parts = [stored(1, "\"a\""), stored(2, "\"b\"")];
        assert!(check_completion(&named(&[(1, "\"a\""), (2, "b")]), &parts, 2).is_ok());
    }

    #[test]
    fn a_wrong_etag_a_missing_part_or_a_wrong_order_is_refused() {
        let parts = [stored(1, "\"a\""), stored(2, "\"b\"")];
        for bad in [
            named(&[(1, "\"a\""), (2, "\"c\"")]),
            named(&[(2, "\"b\""), (1, "\"a\"")]),
            named(&[(1, "\"a\"")]),
            named(&[(1, "\"a\""), (2, "\"b\""), (3, "\"d\"")]),
        ] {
            assert!(matches!(
                check_completion(&bad, &parts, 2),
                Err(ApiFailure::BadRequest(_))
            ));
        }
        assert!(matches!(
            check_completion(&named(&[(1, "\"a\""), (2, "\"b\"")]), &parts[..1], 2),
            Err(ApiFailure::BadRequest(_))
        ));
    }
}
