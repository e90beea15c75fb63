//! Small JSON requests: `config.json`, `connect-check`, creating a job, fetching a result.

use crate::config::Endpoints;
use gloo_net::http::Request;
use vidpush_protocol::{
    AnalysisResult, ApiError, ClientConfig, ConnectCheck, CreateJobRequest, CreateJobResponse,
    JobId, UploadId,
};

/// The page's own URL.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Loads `config.json` beside `index.html` (a relative URL, so sub-paths work) and resolves it.
/// A missing or broken file means same-origin defaults, with a console warning.
pub async fn load_endpoints() -> Endpoints {
    let config = match Request::get("config.json").send().await {
        Ok(r) if r.ok() => r.json::<ClientConfig>().await.unwrap_or_else(|e| {
            leptos::logging::warn!("config.json is not valid ({e}); using same-origin defaults");
            ClientConfig::default()
        }),
        Ok(r) => {
            leptos::logging::warn!(
                "config.json answered HTTP {}; using same-origin defaults",
                r.status()
            );
            ClientConfig::default()
        }
        Err(e) => {
            leptos::logging::warn!("config.json could not be loaded ({e}); using defaults");
            ClientConfig::default()
        }
    };
    Endpoints::resolve(&page_url(), &config)
}

/// Asks the server why a WebSocket handshake fails. `None` when the server cannot be reached.
pub async fn connect_check(endpoints: &Endpoints) -> Option<ConnectCheck> {
    let mut url = endpoints.api_url("/api/connect-check");
    if let Some(token) = &endpoints.token {
        url = crate::config::with_query(&url, "token", token);
    }
    let response = Request::get(&url).send().await.ok()?;
    response.json::<ConnectCheck>().await.ok()
}

fn with_auth(
    builder: gloo_net::http::RequestBuilder,
    endpoints: &Endpoints,
) -> gloo_net::http::RequestBuilder {
    match endpoints.bearer() {
        Some(bearer) => builder.header("Authorization", &bearer),
        None => builder,
    }
}

async fn error_of(response: gloo_net::http::Response, what: &str) -> String {
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(e) => e.message,
        Err(_) => format!("{what} failed (HTTP {status}). Try again in a moment."),
    }
}

/// `POST /api/jobs`: starts analysing a finished upload.
pub async fn create_job(endpoints: &Endpoints, upload_id: UploadId) -> Result<JobId, String> {
    let request = with_auth(Request::post(&endpoints.api_url("/api/jobs")), endpoints)
        .json(&CreateJobRequest { upload_id })
        .map_err(|e| e.to_string())?;
    let response = request
        .send()
        .await
        .map_err(|_| "The server cannot be reached to start the analysis.".to_owned())?;
    if !response.ok() {
        return Err(error_of(response, "Starting the analysis").await);
    }
    response
        .json::<CreateJobResponse>()
        .await
        .map(|r| r.job_id)
        .map_err(|e| format!("The server's answer was not understood: {e}"))
}

/// Fetches the full result of a completed job from the `resultUrl` it was pushed with.
pub async fn fetch_result(
    endpoints: &Endpoints,
    result_url: &str,
) -> Result<AnalysisResult, String> {
    let request = with_auth(Request::get(&endpoints.api_url(result_url)), endpoints);
    let response = request
        .send()
        .await
        .map_err(|_| "The server cannot be reached to fetch the result.".to_owned())?;
    if !response.ok() {
        return Err(error_of(response, "Fetching the result").await);
    }
    response
        .json::<AnalysisResult>()
        .await
        .map_err(|e| format!("The result could not be read: {e}"))
}
