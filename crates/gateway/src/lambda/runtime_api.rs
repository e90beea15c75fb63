//! The Lambda Runtime API (`2018-06-01`), for one function: its processes long-poll
//! `invocation/next`, get an event with its request id and deadline, and post the response or
//! the error for that id. This is the interface `lambda_runtime` (and every other runtime
//! client) speaks on AWS, so the same binary runs here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot};

/// What a function answered to one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `invocation/{id}/response`: the handler's result, as JSON bytes.
    Response(Bytes),
    /// `invocation/{id}/error` or `init/error`: the runtime's error document.
    Error(Bytes),
}

/// One invocation waiting for, or being handled by, a process.
pub struct Invocation {
    /// The event, as JSON bytes.
    pub event: Bytes,
    /// When the function must have answered, in milliseconds since the epoch.
    pub deadline_ms: i64,
    /// Where the outcome goes.
    pub outcome: oneshot::Sender<Outcome>,
}

/// The API's state: invocations not yet taken, and those taken, by request id.
pub(crate) struct RuntimeApi {
    /// The function's ARN, as every invocation names it.
    arn: String,
    /// Invocations waiting for a process; processes take them one at a time.
    waiting: AsyncMutex<mpsc::Receiver<Invocation>>,
    /// Invocations a process took and has not answered yet.
    taken: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
}

impl RuntimeApi {
    /// The API's router for a function named by `arn`, fed from `waiting`.
    pub(crate) fn router(arn: String, waiting: mpsc::Receiver<Invocation>) -> Router {
        let api = Arc::new(RuntimeApi {
            arn,
            waiting: AsyncMutex::new(waiting),
            taken: Mutex::default(),
        });
        Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api)
    }
}

/// `GET invocation/next`: waits for an invocation and hands it over with Lambda's headers.
async fn next(State(api): State<Arc<RuntimeApi>>) -> Response {
    let Some(invocation) = api.waiting.lock().await.recv().await else {
        // The function is being stopped; its processes are killed next.
        return StatusCode::GONE.into_response();
    };
    let id = crate::id::new_request_id();
    api.taken
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), invocation.outcome);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", &id);
    set(
        "lambda-runtime-deadline-ms",
        &invocation.deadline_ms.to_string(),
    );
    set("lambda-runtime-invoked-function-arn", &api.arn);
    set("lambda-runtime-trace-id", &format!("Root=1-{id}"));
    set("content-type", "application/json");
    (StatusCode::OK, headers, invocation.event).into_response()
}

fn finish(api: &RuntimeApi, id: &str, outcome: Outcome) -> StatusCode {
    let taken = api
        .taken
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(id);
    match taken {
        Some(sender) => {
            // The invoker may have timed out and gone; the answer is then dropped, as on AWS.
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// `POST invocation/{id}/response`.
async fn respond(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, &id, Outcome::Response(body))
}

/// `POST invocation/{id}/error`.
async fn fail(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, &id, Outcome::Error(body))
}

/// `POST init/error`: the process could not start its handler; it exits next.
async fn init_error(body: Bytes) -> StatusCode {
    tracing::error!(error = %String::from_utf8_lossy(&body), "a function failed to initialise");
    StatusCode::ACCEPTED
}
