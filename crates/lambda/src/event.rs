//! API Gateway's WebSocket proxy event, translated: AWS's JSON in, the gateway's
//! [`RouteRequest`] to the backend, its [`RouteResponse`] back out as a proxy response. On
//! message routes with a route response, the body of that response is what the sender
//! receives, as the local gateway's reply is.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use std::net::{IpAddr, Ipv4Addr};
use vidpush_gateway::{CloseInfo, ConnectionId, Identity, Principal, RouteRequest, RouteResponse};

/// Why an event could not be read; API Gateway never sends such an event, so this is a
/// deployment mistake (a function wired to the wrong kind of API).
#[derive(Debug, thiserror::Error)]
#[error("the event is not an API Gateway WebSocket event: it has no {0}")]
pub struct NotAWebSocketEvent(&'static str);

/// The connection id of an event.
pub fn connection_id(event: &ApiGatewayWebsocketProxyRequest) -> Result<&str, NotAWebSocketEvent> {
    event
        .request_context
        .connection_id
        .as_deref()
        .ok_or(NotAWebSocketEvent("requestContext.connectionId"))
}

/// The client's address, as API Gateway saw it (unspecified if it gave none).
pub fn source_ip(event: &ApiGatewayWebsocketProxyRequest) -> IpAddr {
    event
        .request_context
        .identity
        .source_ip
        .as_deref()
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The route request for `event`, with the principal recorded at `$connect`.
pub fn route_request(
    event: &ApiGatewayWebsocketProxyRequest,
    principal: Option<Principal>,
) -> Result<RouteRequest, NotAWebSocketEvent> {
    let context = &event.request_context;
    let route_key = context
        .route_key
        .clone()
        .ok_or(NotAWebSocketEvent("requestContext.routeKey"))?;
    let disconnect = (route_key == "$disconnect").then(|| CloseInfo {
        code: context
            .disconnect_status_code
            .and_then(|code| u16::try_from(code).ok())
            .unwrap_or(1005),
        reason: context.disconnect_reason.clone().unwrap_or_default(),
    });
    Ok(RouteRequest {
        route_key,
        connection_id: ConnectionId::from(connection_id(event)?),
        request_id: context.request_id.clone().unwrap_or_default(),
        body: event.body.clone(),
        identity: Identity {
            source_ip: source_ip(event),
            user_agent: context.identity.user_agent.clone().unwrap_or_default(),
        },
        principal,
        disconnect,
        connected_at: context.connected_at,
        handshake: None,
    })
}

/// A proxy response with `status` and, when given, a text body.
pub fn response(status: u16, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    response.body = body.map(Body::Text);
    response
}

/// The backend's answer as API Gateway takes it: 200 (with the reply as the body), or the
/// refusal's status for `$connect`.
pub fn from_route_response(answer: RouteResponse) -> ApiGatewayProxyResponse {
    match answer {
        RouteResponse::Ok => response(200, None),
        RouteResponse::Reply(text) => response(200, Some(text)),
        RouteResponse::Reject(status) => response(status.as_u16(), None),
    }
}
