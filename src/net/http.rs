//! Small JSON requests: `config.json`, `connect-check`, creating a job, fetching a result, and
//! the transport of the multipart upload API's calls ([`call_api`]).
//!
//! They go through the same [`xhr`] future as the uploads rather than a fetch wrapper, so the
//! app carries one HTTP client, not two.

use crate::config::Endpoints;
use crate::export::ResultFile;
use crate::net::xhr::{self, Answer, InFlight, XhrError};
use std::rc::Rc;
use vidpush_protocol::web::{self, DecodeError, FromJs};
use vidpush_protocol::{
    AnalysisResult, ClientConfig, ConnectCheck, CreateJobRequest, CreateJobResponse, Health, JobId,
    JobList, UploadId,
};
use wasm_bindgen::JsValue;

/// The page's own URL.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Sends `method url`, with the bearer token when one is configured and `json` as the body.
async fn send(
    method: &str,
    url: &str,
    endpoints: Option<&Endpoints>,
    json: Option<String>,
) -> Result<Answer, XhrError> {
    send_request(xhr::Request::new(method, url), endpoints, json).await
}

/// `method` on the API path `path`, with the bearer token when one is configured and `json` as
/// the body; listed in `in_flight` while it runs, so a pause or cancel can abort it.
pub async fn call_api(
    endpoints: &Endpoints,
    in_flight: &Rc<InFlight>,
    method: &str,
    path: &str,
    json: Option<String>,
) -> Result<Answer, XhrError> {
    let request = xhr::Request::new(method, &endpoints.api_url(path)).abortable(in_flight);
    send_request(request, Some(endpoints), json).await
}

/// Sends `request` with the bearer token when one is configured and `json` as the body.
async fn send_request(
    mut request: xhr::Request,
    endpoints: Option<&Endpoints>,
    json: Option<String>,
) -> Result<Answer, XhrError> {
    if let Some(bearer) = endpoints.and_then(Endpoints::bearer) {
        request = request.header("Authorization", &bearer);
    }
    match json {
        Some(json) => request.send_json(json).await,
        None => request.send(None, None).await,
    }
}

/// The body of `answer` as `T`.
pub fn parse<T: FromJs>(answer: &Answer) -> Result<T, DecodeError> {
    web::decode(&answer.text())
}

/// Loads `config.json` beside `index.html` (a relative URL, so sub-paths work) and resolves it.
/// A missing or broken file means same-origin defaults, with a console warning.
pub async fn load_endpoints() -> Endpoints {
    let config = match send("GET", "config.json", None, None).await {
        Ok(r) if ok(&r) => parse::<ClientConfig>(&r).unwrap_or_else(|e| {
            leptos::logging::warn!("config.json is not valid ({e}); using same-origin defaults");
            ClientConfig::default()
        }),
        Ok(r) => {
            leptos::logging::warn!(
                "config.json answered HTTP {}; using same-origin defaults",
                r.status
            );
            ClientConfig::default()
        }
        Err(_) => {
            leptos::logging::warn!(
                "config.json could not be loaded (network error); using defaults"
            );
            ClientConfig::default()
        }
    };
    Endpoints::resolve(&page_url(), &config)
}

/// The largest upload the server takes (`GET /api/health`); `None` when it cannot be asked.
pub async fn max_upload_bytes(endpoints: &Endpoints) -> Option<u64> {
    let response = send("GET", &endpoints.api_url("/api/health"), None, None)
        .await
        .ok()?;
    parse::<Health>(&response).ok()?.max_upload_bytes
}

/// Asks the server why a WebSocket handshake fails. `None` when the server cannot be reached.
pub async fn connect_check(endpoints: &Endpoints) -> Option<ConnectCheck> {
    let mut url = endpoints.api_url("/api/connect-check");
    if let Some(token) = &endpoints.token {
        url = crate::config::with_query(&url, "token", token);
    }
    let response = send("GET", &url, None, None).await.ok()?;
    parse::<ConnectCheck>(&response).ok()
}

/// Whether `answer` is a success (2xx).
pub fn ok(answer: &Answer) -> bool {
    (200..300).contains(&answer.status)
}

/// `POST /api/jobs`: starts analysing a finished upload with the hard-cut `sensitivity`
/// (`None`: the server's default).
pub async fn create_job(
    endpoints: &Endpoints,
    upload_id: UploadId,
    sensitivity: Option<f64>,
) -> Result<JobId, String> {
    let body = web::encode(&CreateJobRequest {
        upload_id,
        sensitivity,
    });
    let response = send(
        "POST",
        &endpoints.api_url("/api/jobs"),
        Some(endpoints),
        Some(body),
    )
    .await
    .map_err(|_| "The server cannot be reached to start the analysis.".to_owned())?;
    if !ok(&response) {
        return Err(response.error_message("Starting the analysis failed"));
    }
    parse::<CreateJobResponse>(&response)
        .map(|r| r.job_id)
        .map_err(|e| format!("The server's answer was not understood: {e}"))
}

/// `GET /api/jobs`: one page of this token's jobs, newest first; `cursor` is the previous
/// page's `nextCursor`.
pub async fn list_jobs(endpoints: &Endpoints, cursor: Option<&str>) -> Result<JobList, String> {
    let mut url = endpoints.api_url("/api/jobs");
    if let Some(cursor) = cursor {
        url = crate::config::with_query(&url, "cursor", cursor);
    }
    let response = send("GET", &url, Some(endpoints), None)
        .await
        .map_err(|_| "The server cannot be reached to list your analyses.".to_owned())?;
    if !ok(&response) {
        return Err(response.error_message("Listing your analyses failed"));
    }
    parse::<JobList>(&response).map_err(|e| format!("The server's answer was not understood: {e}"))
}

/// `DELETE /api/jobs/{id}`: deletes the job on the server with its result, thumbnails and
/// video. A job the server no longer has counts as deleted.
pub async fn delete_job(endpoints: &Endpoints, id: &JobId) -> Result<(), String> {
    let url = endpoints.api_url(&format!("/api/jobs/{id}"));
    let response = send("DELETE", &url, Some(endpoints), None)
        .await
        .map_err(|_| {
            "The server cannot be reached to delete this analysis; try again when it is back."
                .to_owned()
        })?;
    if ok(&response) || response.status == 404 {
        Ok(())
    } else {
        Err(response.error_message("Deleting the analysis failed"))
    }
}

/// `POST /api/jobs/{id}/retry`: runs a failed or cancelled job again.
pub async fn retry_job(endpoints: &Endpoints, id: &JobId) -> Result<(), String> {
    let url = endpoints.api_url(&format!("/api/jobs/{id}/retry"));
    let response = send("POST", &url, Some(endpoints), None)
        .await
        .map_err(|_| {
            "The server cannot be reached to run the analysis again; try again when it is back."
                .to_owned()
        })?;
    if ok(&response) {
        Ok(())
    } else {
        Err(response.error_message("Running the analysis again failed"))
    }
}

/// Where the server serves a job's uploaded video (with range requests, so the player seeks).
pub fn video_url(endpoints: &Endpoints, id: &JobId) -> String {
    endpoints.media_url(&format!("/api/jobs/{id}/video"))
}

/// Fetches the full result of a completed job from the `resultUrl` it was pushed with.
pub async fn fetch_result(endpoints: &Endpoints, result_url: &str) -> Result<ResultFile, String> {
    let response = send("GET", &endpoints.api_url(result_url), Some(endpoints), None)
        .await
        .map_err(|_| "The server cannot be reached to fetch the result.".to_owned())?;
    if !ok(&response) {
        return Err(response.error_message("Fetching the result failed"));
    }
    let unreadable = |e: DecodeError| format!("The result could not be read: {e}.");
    let value = web::parse(&response.text()).map_err(unreadable)?;
    let result = AnalysisResult::from_js(&value).map_err(unreadable)?;
    // The JSON export is the server's result as it is, only indented for people.
    let json = js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &2.into())
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| response.text());
    Ok(ResultFile { result, json })
}
