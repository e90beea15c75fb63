//! An HTTP API (API Gateway v2) route whose integration is a Lambda function (`AWS_PROXY`,
//! payload format version 2.0): each request becomes AWS's 2.0 event JSON, and the function's
//! output becomes the HTTP response, so an app served by `lambda_http` answers here as on AWS.
//!
//! What AWS documents ("Create AWS Lambda proxy integrations for HTTP APIs", "Quotas for HTTP
//! APIs") and this module does with it:
//! - Headers arrive lower-cased, repeated ones joined with `,`; `Cookie` headers become
//!   `cookies` instead; `queryStringParameters` are decoded, repeated ones joined with `,`;
//!   `rawQueryString` is the query as sent.
//! - An output with a `statusCode` is the response (`headers`, `multiValueHeaders`, `cookies` as
//!   `set-cookie`, a base64 `body` decoded); any other JSON is a 200 `application/json` whose
//!   body is the output (a JSON string's text).
//! - Bodies over 10 MB are refused without an invocation; a function is given 30 seconds.
//!
//! What AWS does without documenting it, as observed and published by others: `rawPath` and
//! `requestContext.http.path` arrive percent-decoded; a body is text only for `text/*`,
//! `application/json`, `application/xml` and `application/javascript`, base64 otherwise (one
//! without a `Content-Type` too).
//!
//! A failed or unreadable invocation is AWS's 500, the integration timeout its 503, throttling
//! its 429; every answer carries `apigw-requestid`.
//!
//! - this file: the integration, its router, and the answers the gateway gives itself.
//! - [`route`]: route keys (`$default`, `ANY /api/{proxy+}`) and which requests they take.
//! - `event`: a request as the 2.0 event. `response`: a function's output as the response.

mod event;
mod response;
pub mod route;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use self::event::{Incoming, event};
use self::response::proxy_response;
use self::route::HttpRoute;
use super::function::{Invoke, InvokeError};
use crate::id::new_request_id;

/// HTTP API's payload quota (10 MB, not adjustable): a larger request body is refused with 413
/// before any invocation.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// HTTP API's maximum integration timeout (30 s, not adjustable), and the default here.
pub const MAX_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest integration timeout HTTP API accepts (`TimeoutInMillis` of 50).
pub const MIN_INTEGRATION_TIMEOUT: Duration = Duration::from_millis(50);

/// The API, as its events name it.
#[derive(Debug, Clone)]
pub struct HttpApiFacts {
    /// The API's id (`requestContext.apiId`).
    pub api_id: String,
    /// The host clients call (`requestContext.domainName`; its first label is `domainPrefix`).
    pub domain_name: String,
    /// The stage (`requestContext.stage`); `$default` is served at the root, as on AWS.
    pub stage: String,
}

/// A route of an HTTP API integrated with a function; [`router`](Self::router) serves it.
///
/// ```no_run
/// # use std::sync::Arc;
/// # async fn demo(function: Arc<vidpush_gateway::lambda::LambdaFunction>)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use vidpush_gateway::lambda::{HttpApiFacts, HttpApiIntegration, HttpRoute};
/// let api = HttpApiFacts {
///     api_id: "local".into(),
///     domain_name: "localhost:8080".into(),
///     stage: "$default".into(),
/// };
/// let http = HttpApiIntegration::new(function, api)
///     .with_route(HttpRoute::parse("ANY /api/{proxy+}")?);
/// // Or `.fallback_service(http.router())` beside the WebSocket routes, with `$default`.
/// let app = axum::Router::new().nest_service("/api", http.router());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpApiIntegration {
    /// The function, or a fake in tests.
    invoker: Arc<dyn Invoke>,
    /// What every event says of the API.
    api: Arc<HttpApiFacts>,
    /// Which requests the route takes; others are AWS's 404.
    route: Arc<HttpRoute>,
    /// How long the gateway waits for the function before answering 503.
    timeout: Duration,
}

impl HttpApiIntegration {
    /// The route `$default` of `api`, integrated with `invoker`, with a 30 s timeout.
    pub fn new(invoker: Arc<dyn Invoke>, api: HttpApiFacts) -> Self {
        Self {
            invoker,
            api: Arc::new(api),
            route: Arc::new(HttpRoute::default_route()),
            timeout: MAX_INTEGRATION_TIMEOUT,
        }
    }

    /// Takes only the requests `route` takes (e.g. `ANY /api/{proxy+}`) and names its path
    /// parameters in events.
    pub fn with_route(mut self, route: HttpRoute) -> Self {
        self.route = Arc::new(route);
        self
    }

    /// The integration timeout, within what AWS accepts (50 ms to 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.clamp(MIN_INTEGRATION_TIMEOUT, MAX_INTEGRATION_TIMEOUT);
        self
    }

    /// A router answering every method and path, to mount as a fallback or under a prefix.
    /// Events carry the path the client sent, prefix included, as AWS's do.
    pub fn router(self) -> Router {
        Router::new().fallback(serve).with_state(self)
    }
}

/// An answer API Gateway gives itself instead of the function's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GatewayAnswer {
    /// No route takes the request.
    NotFound,
    /// The body is over [`MAX_PAYLOAD_BYTES`].
    TooLarge,
    /// The function cannot take another invocation.
    Throttled,
    /// The function failed, or its output is not a response.
    InternalError,
    /// The integration timeout passed.
    Unavailable,
}

impl IntoResponse for GatewayAnswer {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::NotFound => (StatusCode::NOT_FOUND, "Not Found"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
            Self::Throttled => (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"),
            Self::InternalError => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        };
        let body = json!({ "message": message }).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// Every request: the answer, with the request id AWS adds to each.
async fn serve(State(integration): State<HttpApiIntegration>, request: Request) -> Response {
    let request_id = new_request_id();
    let mut response = integration
        .answer(request, &request_id)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", id);
    }
    response
}

impl HttpApiIntegration {
    /// The function's response to `request`, or the gateway's own answer.
    async fn answer(&self, request: Request, request_id: &str) -> Result<Response, GatewayAnswer> {
        let (parts, body) = request.into_parts();
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let path = percent_encoding::percent_decode_str(uri.path())
            .decode_utf8_lossy()
            .into_owned();
        let params = self
            .route
            .matches(&parts.method, &path)
            .ok_or(GatewayAnswer::NotFound)?;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_PAYLOAD_BYTES) {
            return Err(GatewayAnswer::TooLarge);
        }
        // A body that outgrows the quota fails here; so does one whose client went away, and
        // that client hears nothing.
        let body = axum::body::to_bytes(body, MAX_PAYLOAD_BYTES)
            .await
            .map_err(|_| GatewayAnswer::TooLarge)?;
        let incoming = Incoming {
            parts: &parts,
            raw_query: uri.query().unwrap_or_default(),
            path: &path,
            params,
            body: &body,
            request_id,
        };
        let event = Bytes::from(event(&incoming, &self.api, &self.route).to_string());
        let output = match tokio::time::timeout(self.timeout, self.invoker.invoke(event)).await {
            Ok(Ok(output)) => output,
            Ok(Err(InvokeError::Throttled)) => return Err(GatewayAnswer::Throttled),
            // A function that outlives its own timeout has failed, as Lambda reports it.
            Ok(Err(error)) => {
                tracing::warn!(request_id, %error, "the HTTP API integration failed");
                return Err(GatewayAnswer::InternalError);
            }
            Err(_) => return Err(GatewayAnswer::Unavailable),
        };
        proxy_response(&output).map_err(|reason| {
            tracing::warn!(request_id, %reason, "the function's output is not a response");
            GatewayAnswer::InternalError
        })
    }
}
