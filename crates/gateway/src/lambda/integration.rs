//! A route whose integration is a Lambda function (`AWS_PROXY`): the route invocation becomes
//! API Gateway's WebSocket event JSON, and the function's proxy response becomes the answer —
//! a refused `$connect` for a status other than 2xx, the response body sent to the client on a
//! message route, AWS's "Internal server error" when the function fails.
//!
//! The JSON shapes here are AWS's own, which is why they are written here.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::function::LambdaFunction;
use crate::route::{BoxFuture, RouteHandler, RouteRequest, RouteResponse};
use crate::timestamp::now_millis;

/// The API a function is integrated into, as its events name it.
#[derive(Debug, Clone)]
pub struct ApiFacts {
    /// The API's id (`requestContext.apiId`).
    pub api_id: String,
    /// The stage (`requestContext.stage`).
    pub stage: String,
    /// The host clients connect to (`requestContext.domainName`); with the stage, where the
    /// function finds `@connections`.
    pub domain_name: String,
}

/// A route integrated with a function.
#[derive(Clone)]
pub struct LambdaIntegration {
    function: Arc<LambdaFunction>,
    api: ApiFacts,
}

impl LambdaIntegration {
    /// Routes to `function` in `api`.
    pub fn new(function: Arc<LambdaFunction>, api: ApiFacts) -> Self {
        Self { function, api }
    }
}

/// The part of a proxy response the gateway reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    body: Option<String>,
}

fn event_type(route_key: &str) -> &'static str {
    match route_key {
        "$connect" => "CONNECT",
        "$disconnect" => "DISCONNECT",
        _ => "MESSAGE",
    }
}

/// API Gateway's WebSocket event for `request`.
pub fn event(request: &RouteRequest, api: &ApiFacts) -> Value {
    let mut context = json!({
        "routeKey": request.route_key,
        "eventType": event_type(&request.route_key),
        "extendedRequestId": request.request_id,
        "requestTimeEpoch": now_millis(),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": request.connected_at,
        "identity": {
            "sourceIp": request.identity.source_ip.to_string(),
            "userAgent": request.identity.user_agent,
        },
        "requestId": request.request_id,
        "domainName": api.domain_name,
        "connectionId": request.connection_id.as_str(),
        "apiId": api.api_id,
    });
    if request.body.is_some() {
        context["messageId"] = Value::String(request.request_id.clone());
    }
    if let Some(close) = &request.disconnect {
        context["disconnectStatusCode"] = close.code.into();
        context["disconnectReason"] = close.reason.clone().into();
    }
    let mut event = json!({
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if let Some(body) = &request.body {
        event["body"] = Value::String(body.clone());
    }
    if let Some(handshake) = &request.handshake {
        let pairs = |pairs: &[(String, String)]| -> (Map<String, Value>, Map<String, Value>) {
            let mut single = Map::new();
            let mut multi: Map<String, Value> = Map::new();
            for (name, value) in pairs {
                single.insert(name.clone(), Value::String(value.clone()));
                match multi
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(values) => values.push(Value::String(value.clone())),
                    _ => unreachable!("only arrays are inserted"),
                }
            }
            (single, multi)
        };
        let (headers, multi_headers) = pairs(&handshake.headers);
        let (query, multi_query) = pairs(&handshake.query);
        event["headers"] = Value::Object(headers);
        event["multiValueHeaders"] = Value::Object(multi_headers);
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
            event["multiValueQueryStringParameters"] = Value::Object(multi_query);
        }
    }
    event
}

/// AWS's reply to a message whose integration failed.
fn internal_error(request: &RouteRequest) -> RouteResponse {
    RouteResponse::reply(
        json!({
            "message": "Internal server error",
            "connectionId": request.connection_id.as_str(),
            "requestId": request.request_id,
        })
        .to_string(),
    )
}

impl RouteHandler for LambdaIntegration {
    fn call(&self, request: RouteRequest) -> BoxFuture<RouteResponse> {
        let this = self.clone();
        Box::pin(async move {
            let event = Bytes::from(event(&request, &this.api).to_string());
            let connect = request.route_key == "$connect";
            let answer = match this.function.invoke(event).await {
                Ok(body) => serde_json::from_slice::<ProxyResponse>(&body).ok(),
                Err(error) => {
                    tracing::warn!(function = this.function.name(), %error, "integration failed");
                    None
                }
            };
            match (connect, answer) {
                (
                    true,
                    Some(ProxyResponse {
                        status_code: Some(status),
                        ..
                    }),
                ) if !(200..300).contains(&status) => RouteResponse::reject(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                ),
                (true, Some(_)) => RouteResponse::ok(),
                (true, None) => RouteResponse::reject(StatusCode::INTERNAL_SERVER_ERROR),
                (
                    false,
                    Some(ProxyResponse {
                        body: Some(body), ..
                    }),
                ) if !body.is_empty() => RouteResponse::reply(body),
                (false, Some(_)) => RouteResponse::ok(),
                (false, None) => internal_error(&request),
            }
        })
    }
}
