//! The job endpoints under `/api/jobs`: list the caller's jobs, create a job from a finished
//! upload, ask where it stands, fetch its result, thumbnails and video, cancel it, delete it.
//! Every body is a `vidpush-protocol` type.

use crate::auth::{self, SourceIp};
use crate::error::{ApiFailure, json_body};
use crate::ids::new_id;
use crate::ports::JobCursor;
use crate::ports::{JobRecord, Stored};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use vidpush_protocol::ids::is_well_formed;
use vidpush_protocol::limits::{
    DEFAULT_CUT_SENSITIVITY, DEFAULT_JOBS_PER_PAGE, MAX_CUT_SENSITIVITY, MAX_JOBS_PER_PAGE,
    MIN_CUT_SENSITIVITY,
};
use vidpush_protocol::sizes::human_bytes;
use vidpush_protocol::{
    CreateJobRequest, CreateJobResponse, JobId, JobList, JobListQuery, JobState, JobStatus,
};

/// The job routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/jobs", get(list).post(create))
        .route("/api/jobs/{id}", get(status).delete(delete))
        .route("/api/jobs/{id}/cancel", post(cancel))
        .route("/api/jobs/{id}/retry", post(retry))
        .route("/api/jobs/{id}/result", get(result))
        .route("/api/jobs/{id}/video", get(video))
        .route("/api/jobs/{id}/thumbnails/{file}", get(thumbnail))
}

/// `GET /api/jobs?cursor=…&limit=…`: the caller's jobs, newest first, a page at a time.
async fn list(
    State(app): State<AppState>,
    source: SourceIp,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<JobListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<JobList>, ApiFailure> {
    let caller = auth::caller(&app, source, &headers, &uri)?;
    let Query(query) = query.map_err(|_| {
        ApiFailure::BadRequest(format!(
            "the query is not understood; send ?limit=1…{MAX_JOBS_PER_PAGE} and the cursor of the previous page, if any"
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_JOBS_PER_PAGE);
    if !(1..=MAX_JOBS_PER_PAGE).contains(&limit) {
        return Err(ApiFailure::BadRequest(format!(
            "limit must be between 1 and {MAX_JOBS_PER_PAGE}; it was {limit}"
        )));
    }
    let after = match query.cursor.as_deref() {
        None => None,
        Some(text) => Some(parse_cursor(text).ok_or_else(|| {
            ApiFailure::BadRequest(
                "that cursor is not one this server gave out; send the nextCursor of the previous page, or none for the newest jobs".into(),
            )
        })?),
    };
    let page = app
        .job_store
        .jobs_of(caller.as_deref(), after.as_ref(), limit as usize)
        .await?;
    Ok(Json(JobList {
        jobs: page.jobs.into_iter().map(status_of).collect(),
        next_cursor: page.next.map(|c| format!("{}.{}", c.created_at_ms, c.id)),
    }))
}

/// `<createdAtMs>.<jobId>`, as [`list`] writes it.
fn parse_cursor(text: &str) -> Option<JobCursor> {
    let (at, id) = text.split_once('.')?;
    (is_well_formed(id)).then_some(())?;
    Some(JobCursor {
        created_at_ms: at.parse().ok()?,
        id: JobId(id.to_owned()),
    })
}

fn status_of(job: JobRecord) -> JobStatus {
    JobStatus {
        job_id: job.id,
        state: job.state,
        last_seq: job.last_seq,
        file_name: job.file_name,
        created_at_ms: job.created_at_ms,
    }
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
async fn status(OwnedJob(job): OwnedJob) -> Json<JobStatus> {
    Json(status_of(job))
}

/// `DELETE /api/jobs/{id}`: deletes the job and everything it made (events, thumbnails,
/// result, the stored video), stopping its analysis first → 204.
async fn delete(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
) -> Result<StatusCode, ApiFailure> {
    app.jobs.delete(&job.id).await?;
    tracing::info!(job = %job.id, "job deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/jobs/{id}/cancel`: cancels → 202.
async fn cancel(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
) -> Result<Response, ApiFailure> {
    if job.state.is_final() {
        return Err(ApiFailure::Conflict(format!(
            "the job is already {}",
            job.state.as_str()
        )));
    }
    app.jobs.cancel(&job.id, "cancelled by request").await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `POST /api/jobs/{id}/retry`: runs a failed or cancelled job again → 202; its new events
/// reach its subscribers as usual.
async fn retry(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
) -> Result<StatusCode, ApiFailure> {
    if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
        return Err(ApiFailure::Conflict(format!(
            "the job is {}; only a failed or cancelled job can run again",
            job.state.as_str()
        )));
    }
    if app.job_objects.source(&job.id).await?.is_none() {
        return Err(ApiFailure::Conflict(
            "this job's video is no longer stored, so it cannot run again; upload the file again"
                .into(),
        ));
    }
    match app.jobs.retry(&job.id).await? {
        Ok(true) => Ok(StatusCode::ACCEPTED),
        Ok(false) => Err(ApiFailure::Conflict(
            "the job is no longer failed or cancelled".into(),
        )),
        Err(full) => Err(ApiFailure::Busy {
            retry_after_secs: full.retry_after_secs,
        }),
    }
}

/// `GET /api/jobs/{id}/result`: the full result JSON once the job completed; for a job that
/// failed or was cancelled, the partial result of the shots it found before it stopped.
async fn result(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
) -> Result<Response, ApiFailure> {
    if !job.state.is_final() {
        return Err(ApiFailure::Conflict(format!(
            "the job is {}; its result exists once it has ended",
            job.state.as_str()
        )));
    }
    let stored = app.job_objects.result(&job.id).await?;
    let stored = match (stored, job.state) {
        (Some(stored), _) => stored,
        (None, JobState::Completed) => {
            return Err(ApiFailure::internal(format!(
                "the result of completed job {} is missing",
                job.id
            )));
        }
        (None, state) => {
            return Err(ApiFailure::NotFound(format!(
                "the job {} before it found a shot, so it has no result",
                state.as_str()
            )));
        }
    };
    Ok(serve(stored, [(header::CONTENT_TYPE, "application/json")]))
}

/// `GET /api/jobs/{id}/thumbnails/{n}.jpg`.
async fn thumbnail(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
    Path((_, file)): Path<(String, String)>,
) -> Result<Response, ApiFailure> {
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

/// `GET /api/jobs/{id}/video`: the uploaded video, with range requests, for the page's player
/// (after a reload, or in another browser). A `<video>` cannot send headers: the token comes
/// as `?token=`.
async fn video(
    State(app): State<AppState>,
    OwnedJob(job): OwnedJob,
    request: Request,
) -> Result<Response, ApiFailure> {
    let stored = app
        .job_objects
        .source(&job.id)
        .await?
        .ok_or_else(|| ApiFailure::NotFound("this job's video is no longer stored".into()))?;
    let path = match stored {
        Stored::File(path) => path,
        other => return Ok(serve(other, [])),
    };
    let served = ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(ApiFailure::internal)?;
    let mut response = served.map(axum::body::Body::new);
    if response.status().is_success() {
        // The file is stored as `source`, without the name that says what it is.
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(video_type(&job.file_name)),
        );
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=86400"),
        );
    }
    Ok(response)
}

/// The MIME type of a video, by the extension of the name it was uploaded with (the server
/// sniffed the bytes before; this only tells the browser's player what it gets).
fn video_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "ogv" => "video/ogg",
        "mpg" | "mpeg" => "video/mpeg",
        "ts" | "mts" | "m2ts" => "video/mp2t",
        "avi" => "video/x-msvideo",
        _ => "application/octet-stream",
    }
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
        Stored::File(path) => ApiFailure::internal(format!(
            "{} should be streamed, not read whole",
            path.display()
        ))
        .into_response(),
    }
}

/// The job named by the path's `{id}`, when it exists and the caller may see it: the one
/// extractor every `/api/jobs/{id}…` handler starts with.
pub struct OwnedJob(pub JobRecord);

impl FromRequestParts<AppState> for OwnedJob {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiFailure> {
        let missing = || ApiFailure::NotFound("no job with that id".into());
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, app)
            .await
            .map_err(|_| missing())?;
        let Ok(source) = SourceIp::from_request_parts(parts, app).await;
        let caller = auth::caller(app, source, &parts.headers, &parts.uri)?;
        let raw = params
            .iter()
            .find_map(|(name, value)| (name == "id").then_some(value.as_str()))
            .unwrap_or_default();
        if !is_well_formed(raw) {
            return Err(missing());
        }
        let job = app
            .job_store
            .job(&JobId(raw.to_owned()))
            .await?
            .ok_or_else(missing)?;
        auth::ensure_owner(&caller, &job.owner, "job")?;
        Ok(Self(job))
    }
}
