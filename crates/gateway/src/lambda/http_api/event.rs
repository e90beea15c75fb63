//! The request half of the HTTP API integration: one request as AWS's payload format 2.0 event
//! (`version`, `routeKey`, `rawPath`, `rawQueryString`, `cookies`, `headers`,
//! `queryStringParameters`, `pathParameters`, `requestContext`, `body`, `isBase64Encoded`).
//!
//! The JSON shape is AWS's own, which is why it is written here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::HttpApiFacts;
use super::route::HttpRoute;
use crate::lambda::function::ACCOUNT_ID;
use crate::timestamp::{clf, now_millis};

/// Media types besides `text/*` whose bodies HTTP API passes as text; every other body is
/// passed base64-encoded. AWS does not list them; this split was observed on AWS and published
/// (ministackorg/ministack#766).
const TEXT_MEDIA_TYPES: [&str; 3] = [
    "application/json",
    "application/xml",
    "application/javascript",
];

/// One request, as the event is made of it.
pub(super) struct Incoming<'a> {
    /// Method, version, headers, and the connect info that names the source.
    pub parts: &'a Parts,
    /// The query as sent, without `?`.
    pub raw_query: &'a str,
    /// The path, percent-decoded.
    pub path: &'a str,
    /// The route's path parameters.
    pub params: Vec<(String, String)>,
    /// The whole body, within the payload quota.
    pub body: &'a [u8],
    /// The id the response's `apigw-requestid` repeats.
    pub request_id: &'a str,
}

/// AWS's 2.0 event for `request` on `route` of `api`.
pub(super) fn event(request: &Incoming<'_>, api: &HttpApiFacts, route: &HttpRoute) -> Value {
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
