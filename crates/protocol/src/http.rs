//! Bodies of the HTTP API under `/api`, and the page's runtime `config.json`.
//!
//! Uploads speak tus 1.0, whose facts travel in headers; only the job endpoints and the small
//! service endpoints have JSON bodies.

use crate::event::JobState;
use crate::ids::{JobId, UploadId};
#[cfg(doc)]
use crate::limits::{DEFAULT_CUT_SENSITIVITY, MAX_CUT_SENSITIVITY, MIN_CUT_SENSITIVITY};
use serde::{Deserialize, Serialize};

/// `POST /api/jobs`: start analysing a finished upload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobRequest {
    /// The finished upload to analyse.
    pub upload_id: UploadId,
    /// How readily hard cuts are reported, [`MIN_CUT_SENSITIVITY`] (fewer cuts) to
    /// [`MAX_CUT_SENSITIVITY`] (more cuts); left out, [`DEFAULT_CUT_SENSITIVITY`]. Outside the
    /// range the server answers 400 rather than clamping, so a person never gets a setting they
    /// did not ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<f64>,
}

/// `201 Created` answer to [`CreateJobRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobResponse {
    /// The new job; subscribe to it over the WebSocket.
    pub job_id: JobId,
}

/// `GET /api/jobs/{id}`: where a job stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    /// The job.
    pub job_id: JobId,
    /// Its state now.
    pub state: JobState,
    /// Its newest event's `seq`.
    pub last_seq: u64,
    /// The file name the person chose, for display only.
    pub file_name: String,
    /// When the job was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
}

/// `GET /api/jobs?cursor=…&limit=…`: one page of the caller's jobs, newest first. A page
/// reloaded, another browser with the same token, or the same page after a server restart
/// lists what the caller has, then subscribes to each with `afterSeq` 0 to see it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobList {
    /// Up to `limit` jobs, newest first.
    pub jobs: Vec<JobStatus>,
    /// Send as `?cursor=` for the next (older) page; absent on the last page. Opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The query of `GET /api/jobs`: both parts may be left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobListQuery {
    /// A previous page's `nextCursor`; absent for the newest jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Jobs per page, 1 to `limits::MAX_JOBS_PER_PAGE`; absent for
    /// `limits::DEFAULT_JOBS_PER_PAGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Any 4xx/5xx answer of the JSON API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// Machine-readable reason, e.g. `upload_too_large`.
    pub code: String,
    /// A sentence a person can read: what happened and what to do.
    pub message: String,
}

/// `GET /api/health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok` when the server can take work.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// The largest upload the server takes, in bytes (`--max-upload-bytes`): the page checks
    /// picked files against it before sending a byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_upload_bytes: Option<u64>,
}

/// The verdict of `GET /api/connect-check`: would a WebSocket handshake from this page, with
/// this token, be accepted? Browsers cannot read a refused handshake's status, so the page
/// asks here to say why it could not connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConnectVerdict {
    /// The handshake would be accepted.
    Ok,
    /// 401: the token is missing or wrong.
    Unauthorized,
    /// 403: the page's origin is not allowed.
    OriginNotAllowed,
    /// 429: too many connection attempts from this address.
    Throttled,
    /// 503: the server is at its connection limit.
    AtCapacity,
}

/// Body of `GET /api/connect-check`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectCheck {
    /// The verdict.
    pub verdict: ConnectVerdict,
    /// The HTTP status the handshake would get (101 when accepted).
    pub status: u16,
    /// A sentence a person can read.
    pub message: String,
}

/// The page's runtime configuration, `config.json` beside `index.html`. Every field may be
/// left out; the defaults are same-origin, so one release build runs on any host and path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientConfig {
    /// WebSocket URL, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/prod`. Default: `/ws`
    /// on the page's own host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_url: Option<String>,
    /// Base URL of the HTTP API (the part before `/api`). Default: the page's own origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Token sent as `?token=` and as `Authorization: Bearer`, when the server wants one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// The deployed stack's output naming the page's `gatewayUrl` (`deploy/template.yaml`).
pub const WEBSOCKET_URL_OUTPUT: &str = "WebSocketUrl";
/// The deployed stack's output naming the page's `apiUrl`.
pub const API_URL_OUTPUT: &str = "ApiUrl";

impl ClientConfig {
    /// The page's `config.json` from a deployed stack's outputs (`OutputKey`, `OutputValue`):
    /// the WebSocket and API URLs. A token is the person's own and never comes from a stack.
    pub fn from_stack_outputs<'a>(
        outputs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let outputs: Vec<(&str, &str)> = outputs.into_iter().collect();
        let find = |key: &str| {
            outputs
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .ok_or_else(|| format!("the stack has no {key} output; is it vidpush's stack?"))
        };
        Ok(Self {
            gateway_url: Some(find(WEBSOCKET_URL_OUTPUT)?),
            api_url: Some(find(API_URL_OUTPUT)?),
            token: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stacks_outputs_give_the_pages_urls_and_never_a_token() {
        let config = ClientConfig::from_stack_outputs([
            ("PageUrl", "https://d1.cloudfront.net"),
            (WEBSOCKET_URL_OUTPUT, "wss://ws.example/prod"),
            (API_URL_OUTPUT, " https://api.example "),
        ])
        .unwrap();
        assert_eq!(config.gateway_url.as_deref(), Some("wss://ws.example/prod"));
        assert_eq!(config.api_url.as_deref(), Some("https://api.example"));
        assert_eq!(config.token, None);
        let missing = ClientConfig::from_stack_outputs([(WEBSOCKET_URL_OUTPUT, "wss://x")]);
        assert!(missing.unwrap_err().contains("ApiUrl"));
    }
}
