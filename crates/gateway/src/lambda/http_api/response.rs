//! The response half of the HTTP API integration: a function's output as the HTTP response,
//! by payload format 2.0's rules — an object with a `statusCode` is the response (`headers`,
//! `multiValueHeaders`, `cookies` as `set-cookie`, a base64 `body` decoded); any other JSON is
//! AWS's inferred 200 `application/json` whose body is the output.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Response headers a function cannot set: the server frames the body it sends itself.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

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
pub(super) fn proxy_response(output: &[u8]) -> Result<Response, String> {
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
