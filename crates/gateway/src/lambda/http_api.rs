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
//! its 429; every answer carries `apigw-requestid`. The JSON shapes here are AWS's own, which is
//! why they are written here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::function::{ACCOUNT_ID, Invoke, InvokeError};
use super::http_route::HttpRoute;
use crate::id::new_request_id;
use crate::timestamp::{clf, now_millis};

/// HTTP API's payload quota (10 MB, not adjustable): a larger request body is refused with 413
/// before any invocation.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// HTTP API's maximum integration timeout (30 s, not adjustable), and the default here.
pub const MAX_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest integration timeout HTTP API accepts (`TimeoutInMillis` of 50).
pub const MIN_INTEGRATION_TIMEOUT: Duration = Duration::from_millis(50);

/// Media types besides `text/*` whose bodies HTTP API passes as text; every other body is
/// passed base64-encoded. AWS does not list them; this split was observed on AWS and published
/// (ministackorg/ministack#766).
const TEXT_MEDIA_TYPES: [&str; 3] = [
    "application/json",
    "application/xml",
    "application/javascript",
];

/// Response headers a function cannot set: the server frames the body it sends itself.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

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
#[derive(Clone)]
pub struct HttpApiIntegration {
    /// The function, or a fake in tests.
    invoker: Arc<dyn Invoke>,
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

/// One request, as the event is made of it.
struct Incoming<'a> {
    parts: &'a Parts,
    /// The query as sent, without `?`.
    raw_query: &'a str,
    /// The path, percent-decoded.
    path: &'a str,
    /// The route's path parameters.
    params: Vec<(String, String)>,
    body: &'a [u8],
    request_id: &'a str,
}

/// AWS's 2.0 event for `request` on `route` of `api`.
fn event(request: &Incoming<'_>, api: &HttpApiFacts, route: &HttpRoute) -> Value {
    let parts = request.parts;
    // Without connect info (a router served without it) the source is unknown.
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let (headers, cookies) = headers(parts, source_ip);
    let user_agent = headers.get("user-agent").and_then(Value::as_str);
    let user_agent = user_agent.unwrap_or_default().to_owned();
    let now = now_millis();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.key(),
        "rawPath": request.path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api.api_id,
            "domainName": api.domain_name,
            "domainPrefix": api.domain_name.split('.').next().unwrap_or_default(),
            "http": {
                "method": parts.method.as_str(),
                "path": request.path,
                "protocol": format!("{:?}", parts.version),
                "sourceIp": source_ip.to_string(),
                "userAgent": user_agent,
            },
            "requestId": request.request_id,
            "routeKey": route.key(),
            "stage": api.stage,
            "time": clf(now),
            "timeEpoch": now,
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = cookies.into();
    }
    let query = joined(form_urlencoded::parse(request.raw_query.as_bytes()).into_owned());
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !request.params.is_empty() {
        event["pathParameters"] = Value::Object(joined(request.params.iter().cloned()));
    }
    if !request.body.is_empty() {
        let text = std::str::from_utf8(request.body)
            .ok()
            .filter(|_| is_text(&parts.headers));
        event["body"] = match text {
            Some(text) => text.into(),
            None => BASE64.encode(request.body).into(),
        };
        event["isBase64Encoded"] = text.is_none().into();
    }
    event
}

/// Name → value, the values of a repeated name joined with `,`.
fn joined(pairs: impl Iterator<Item = (String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            Some(Value::String(values)) => {
                values.push(',');
                values.push_str(&value);
            }
            _ => {
                map.insert(name, Value::String(value));
            }
        }
    }
    map
}

/// The event's headers and cookies, with the `x-forwarded-*` headers AWS adds.
fn headers(parts: &Parts, source_ip: IpAddr) -> (Map<String, Value>, Vec<String>) {
    let mut cookies = Vec::new();
    let mut pairs = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == header::COOKIE {
            let crumbs = value.split(';').map(str::trim).filter(|c| !c.is_empty());
            cookies.extend(crumbs.map(str::to_owned));
        } else {
            pairs.push((name.as_str().to_owned(), value.into_owned()));
        }
    }
    let mut headers = joined(pairs.into_iter());
    if let (false, Some(authority)) = (headers.contains_key("host"), parts.uri.authority()) {
        // HTTP/2 names the host in the URI instead.
        headers.insert("host".into(), authority.as_str().into());
    }
    let port = headers
        .get("host")
        .and_then(Value::as_str)
        .and_then(|host| host.rsplit_once(':'))
        .map_or("80", |(_, port)| port)
        .to_owned();
    let forwarded_for = match headers.get("x-forwarded-for").and_then(Value::as_str) {
        Some(earlier) => format!("{earlier}, {source_ip}"),
        None => source_ip.to_string(),
    };
    headers.insert("x-forwarded-for".into(), forwarded_for.into());
    // This gateway serves plain HTTP; AWS says `https` and `443` for its TLS endpoint.
    headers.insert("x-forwarded-proto".into(), "http".into());
    headers.insert("x-forwarded-port".into(), port.into());
    (headers, cookies)
}

/// Whether HTTP API passes a body of this `Content-Type` as text.
fn is_text(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let text = String::from_utf8_lossy(content_type.as_bytes());
    let media = text.split(';').next().unwrap_or_default().trim();
    let media = media.to_ascii_lowercase();
    media.starts_with("text/") || TEXT_MEDIA_TYPES.contains(&media.as_str())
}

/// A 2.0 proxy response, as far as the gateway reads it (`null` is as absent).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse {
    status_code: u16,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    multi_value_headers: Option<Map<String, Value>>,
    #[serde(default)]
    cookies: Option<Vec<String>>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: Option<bool>,
}

/// The response AWS makes of a function's `output`, or why it makes none (the client then gets
/// 500).
fn proxy_response(output: &[u8]) -> Result<Response, String> {
    let value: Value =
        serde_json::from_slice(output).map_err(|e| format!("the output is not JSON: {e}"))?;
    if value.get("statusCode").is_none_or(Value::is_null) {
        // AWS infers a 200 `application/json` whose body is the output.
        let body = match value {
            Value::String(text) => Bytes::from(text),
            _ => Bytes::copy_from_slice(output),
        };
        let mut response = Response::new(Body::from(body));
        let json = HeaderValue::from_static("application/json");
        response.headers_mut().insert(header::CONTENT_TYPE, json);
        return Ok(response);
    }
    let proxy: ProxyResponse =
        serde_json::from_value(value).map_err(|e| format!("not a proxy response: {e}"))?;
    let status = StatusCode::from_u16(proxy.status_code)
        .map_err(|_| format!("{} is not a status code", proxy.status_code))?;
    let body = match (proxy.body, proxy.is_base64_encoded.unwrap_or(false)) {
        (None, _) => Bytes::new(),
        (Some(text), false) => Bytes::from(text),
        (Some(text), true) => BASE64
            .decode(text)
            .map_err(|e| format!("the body is not base64: {e}"))?
            .into(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in proxy.headers.iter().flatten() {
        set_header(headers, name, std::slice::from_ref(value));
    }
    // A name here replaces the same name in `headers`, as AWS merges the two for format 1.0.
    for (name, values) in proxy.multi_value_headers.iter().flatten() {
        if let Value::Array(values) = values {
            set_header(headers, name, values);
        }
    }
    for cookie in proxy.cookies.iter().flatten() {
        match HeaderValue::from_str(cookie) {
            Ok(cookie) => {
                headers.append(header::SET_COOKIE, cookie);
            }
            Err(_) => tracing::warn!(cookie, "a cookie that is no header value is dropped"),
        }
    }
    Ok(response)
}

/// Sets header `name` to `values` (strings, numbers or booleans), dropping what HTTP cannot
/// carry and what the server frames itself.
fn set_header(headers: &mut HeaderMap, name: &str, values: &[Value]) {
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        tracing::warn!(name, "a response header with an invalid name is dropped");
        return;
    };
    if FRAMING_HEADERS.contains(&name.as_str()) {
        return;
    }
    headers.remove(&name);
    for value in values {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => continue,
        };
        match HeaderValue::from_str(&text) {
            Ok(value) => {
                headers.append(&name, value);
            }
            Err(_) => {
                tracing::warn!(%name, "a response header value that HTTP cannot carry is dropped")
            }
        }
    }
}
