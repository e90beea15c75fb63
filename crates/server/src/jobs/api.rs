//! The job endpoints under `/api/jobs`: create a job from a finished upload, ask where it
//! stands, fetch its result and thumbnails, cancel it. Every body is a `vidpush-protocol` type.

use crate::auth::{self, SourceIp};
use crate::error::{ApiFailure, json_body};
use crate::ids::new_id;
use crate::ports::{JobRecord, Stored};
use crate::sizes::human_bytes;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use vidpush_protocol::ids::is_well_formed;
use vidpush_protocol::limits::{DEFAULT_CUT_SENSITIVITY, MAX_CUT_SENSITIVITY, MIN_CUT_SENSITIVITY};
use vidpush_protocol::{CreateJobRequest, CreateJobResponse, JobId, JobState, JobStatus};

/// The job routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/jobs", post(create))
        .route("/api/jobs/{id}", get(status).delete(cancel))
        .route("/api/jobs/{id}/result", get(result))
        .route("/api/jobs/{id}/thumbnails/{file}", get(thumbnail))
}

/// `POST /api/jobs {uploadId, sensitivity?}` → 201 `{jobId}`.
#[tracing::instrument(skip_all)]
async fn create(
    State(app): State<AppState>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Json<CreateJobRequest>, JsonRejection>,
) -> Result<Response, ApiFailure> {
    let caller = auth::caller(&app, source, &headers, &uri)?;
    let request = json_body(body, r#"{"uploadId":"…"}"#)?;
    let sensitivity = request.sensitivity.map(checked_sensitivity).transpose()?;
    let missing = || {
        ApiFailure::NotFound(
            "no upload with that id: it may have expired or been used already".into(),
        )
    };
    if !is_well_formed(request.upload_id.as_str()) {
        return Err(missing());
    }
    let _writing = app.claim_upload(&request.upload_id)?;
    let upload = app
        .uploads
        .upload(&request.upload_id)
        .await?
        .ok_or_else(missing)?;
    auth::ensure_owner(&caller, &upload.owner, "upload")?;
    if upload.offset < upload.length {
        return Err(ApiFailure::Conflict(format!(
            "the upload is not finished: the server has {} of {}; finish it first",
            human_bytes(upload.offset),
            human_bytes(upload.length)
        )));
    }
    let slot = app.jobs.reserve().map_err(|full| ApiFailure::Busy {
        retry_after_secs: full.retry_after_secs,
    })?;
    let job_id = JobId(new_id());
    app.job_objects.adopt_upload(&upload.id, &job_id).await?;
    let (job, queued) = app
        .job_store
        .create_job(upload, job_id.clone(), sensitivity)
        .await?;
    app.publisher.push_stored(&job.id, &queued).await?;
    slot.put(job_id.clone()).await?;
    tracing::info!(job = %job_id, "job queued");
    let mut response = (
        StatusCode::CREATED,
        Json(CreateJobResponse {
            job_id: job_id.clone(),
        }),
    )
        .into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/api/jobs/{job_id}")).expect("job ids are plain ASCII"),
    );
    Ok(response)
}

/// A requested hard-cut sensitivity, or a 400 that names its range: a value outside it is
/// refused rather than clamped, so nobody gets a setting they did not ask for.
fn checked_sensitivity(value: f64) -> Result<f64, ApiFailure> {
    if (MIN_CUT_SENSITIVITY..=MAX_CUT_SENSITIVITY).contains(&value) {
        return Ok(value);
    }
    Err(ApiFailure::BadRequest(format!(
        "the sensitivity {value} is outside its range: send a number from {MIN_CUT_SENSITIVITY} \
         (fewer cuts) to {MAX_CUT_SENSITIVITY} (more cuts), or leave it out for the default \
         ({DEFAULT_CUT_SENSITIVITY})"
    )))
}

/// `GET /api/jobs/{id}`.
async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<JobStatus>, ApiFailure> {
    let job = owned_job(&app, &id, source, &headers, &uri).await?;
    Ok(Json(JobStatus {
        job_id: job.id,
        state: job.state,
        last_seq: job.last_seq,
        file_name: job.file_name,
        created_at_ms: job.created_at_ms,
    }))
}

/// `DELETE /api/jobs/{id}`: cancels; answers with the status at that moment.
async fn cancel(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let job = owned_job(&app, &id, source, &headers, &uri).await?;
    if job.state.is_final() {
        return Err(ApiFailure::Conflict(format!(
            "the job is already {}",
            job.state.as_str()
        )));
    }
    app.jobs.cancel(&job.id, "cancelled by request").await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /api/jobs/{id}/result`: the full result JSON, once the job completed.
async fn result(
    State(app): State<AppState>,
    Path(id): Path<String>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let job = owned_job(&app, &id, source, &headers, &uri).await?;
    if job.state != JobState::Completed {
        return Err(ApiFailure::Conflict(format!(
            "the job is {}; its result exists once it has completed",
            job.state.as_str()
        )));
    }
    let missing =
        || ApiFailure::internal(format!("the result of completed job {} is missing", job.id));
    let stored = app.job_objects.result(&job.id).await?.ok_or_else(missing)?;
    Ok(serve(stored, [(header::CONTENT_TYPE, "application/json")]))
}

/// `GET /api/jobs/{id}/thumbnails/{n}.jpg`.
async fn thumbnail(
    State(app): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let job = owned_job(&app, &id, source, &headers, &uri).await?;
    let missing = || ApiFailure::NotFound("no such thumbnail".into());
    let index: u32 = file
        .strip_suffix(".jpg")
        .and_then(|n| n.parse().ok())
        .ok_or_else(missing)?;
    let stored = app
        .job_objects
        .thumbnail(&job.id, index)
        .await?
        .ok_or_else(missing)?;
    Ok(serve(
        stored,
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
    ))
}

/// A stored object as an answer: its bytes with `headers`, or a redirect to where it can be
/// fetched (a presigned URL), as the page follows either.
fn serve<const N: usize>(
    stored: Stored,
    headers: [(header::HeaderName, &'static str); N],
) -> Response {
    match stored {
        Stored::Bytes(bytes) => (headers, bytes).into_response(),
        Stored::At(url) => axum::response::Redirect::temporary(&url).into_response(),
    }
}

/// The job named by `raw`, if it exists and the caller may see it.
async fn owned_job(
    app: &AppState,
    raw: &str,
    source: SourceIp,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<JobRecord, ApiFailure> {
    let caller = auth::caller(app, source, headers, uri)?;
    let missing = || ApiFailure::NotFound("no job with that id".into());
    if !is_well_formed(raw) {
        return Err(missing());
    }
    let job = app
        .job_store
        .job(&JobId(raw.to_owned()))
        .await?
        .ok_or_else(missing)?;
    auth::ensure_owner(&caller, &job.owner, "job")?;
    Ok(job)
}
