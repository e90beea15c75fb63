//! The three WebSocket functions. Built once per execution environment (a cold start) and
//! reused by every invocation it serves.

use crate::event::{self, NotAWebSocketEvent, from_route_response, response, route_request};
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use std::sync::Arc;
use vidpush_aws::control::StoredJobControl;
use vidpush_aws::dynamodb::{ConnectionRecord, DynamoStore};
use vidpush_aws::sdk::Endpoint;
use vidpush_aws::settings::{self, Resources};
use vidpush_aws::wiring::AwsPorts;
use vidpush_gateway::{Handshake, Principal};
use vidpush_protocol::{ErrorCode, Reply};
use vidpush_server::auth::{Door, Policy};
use vidpush_server::backend::Backend;
use vidpush_server::clock::now_ms;

/// Who may connect: the tokens and origins the template passes.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// Accepted tokens; empty lets anyone connect.
    pub tokens: Vec<String>,
    /// Allowed browser origins.
    pub allowed_origins: Vec<String>,
}

impl AccessPolicy {
    /// The checks of this policy, as the HTTP API's handlers make them too.
    pub fn door(self) -> Policy {
        Policy::new(self.tokens, self.allowed_origins)
    }

    /// From `VIDPUSH_TOKENS` and `VIDPUSH_ALLOWED_ORIGINS` (comma separated, blanks ignored).
    pub fn from_env() -> Self {
        let list = |var: &str| -> Vec<String> {
            std::env::var(var)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect()
        };
        Self {
            tokens: list(settings::TOKENS),
            allowed_origins: list(settings::ALLOWED_ORIGINS),
        }
    }
}

/// The WebSocket functions' shared state.
pub struct WebSocketFunctions {
    /// The same backend the local server routes to.
    backend: Backend,
    /// Connections and who opened them.
    store: DynamoStore,
    /// The `$connect` checks, as the local gateway makes them.
    door: Policy,
}

impl WebSocketFunctions {
    /// Everything over the AWS adapters at `endpoint`.
    pub async fn new(endpoint: &Endpoint, resources: Resources, policy: AccessPolicy) -> Self {
        let ports = AwsPorts::connect(endpoint, &resources, std::env::temp_dir()).await;
        let jobs = Arc::new(StoredJobControl::over(&ports, &resources));
        Self {
            backend: Backend {
                job_store: ports.job_store,
                subscriptions: ports.subscriptions,
                publisher: ports.publisher,
                jobs,
                push: ports.push,
            },
            store: ports.store,
            door: policy.door(),
        }
    }

    /// `$connect`: 403 for an origin not allowed, 401 for a missing or wrong token; otherwise
    /// the connection is recorded with its principal and accepted.
    pub async fn connect(
        &self,
        event: &ApiGatewayWebsocketProxyRequest,
    ) -> Result<ApiGatewayProxyResponse, NotAWebSocketEvent> {
        let connection = event::connection_id(event)?;
        let header = |name: &str| event.headers.get(name).and_then(|v| v.to_str().ok());
        let token = event.query_string_parameters.first("token");
        let handshake = Handshake {
            source_ip: event::source_ip(event),
            origin: header("origin"),
            token,
            user_agent: header("user-agent"),
        };
        // API Gateway throttles connects itself; this function does not count attempts.
        let principal = match self.door.peek_handshake(&handshake) {
            Ok(principal) => principal,
            Err(refusal) => {
                tracing::info!(%connection, %refusal, "connection refused");
                return Ok(response(refusal.status().as_u16(), None));
            }
        };
        let record = ConnectionRecord {
            principal: principal.map(|p| p.as_str().to_owned()),
            connected_at_ms: now_ms(),
        };
        if let Err(error) = self.store.put_connection(connection, &record).await {
            tracing::error!(%connection, %error, "could not record a connection");
            return Ok(response(500, None));
        }
        Ok(response(200, None))
    }

    /// `$disconnect`: the connection and its subscriptions are forgotten.
    pub async fn disconnect(
        &self,
        event: &ApiGatewayWebsocketProxyRequest,
    ) -> Result<ApiGatewayProxyResponse, NotAWebSocketEvent> {
        let request = route_request(event, None)?;
        let connection = request.connection_id.to_string();
        let answer = self.backend.disconnect(request).await;
        if let Err(error) = self.store.delete_connection(&connection).await {
            tracing::warn!(%connection, %error, "could not forget a connection; it expires");
        }
        Ok(from_route_response(answer))
    }

    /// Every message route, with the principal recorded at `$connect`.
    pub async fn message(
        &self,
        event: &ApiGatewayWebsocketProxyRequest,
    ) -> Result<ApiGatewayProxyResponse, NotAWebSocketEvent> {
        let connection = event::connection_id(event)?;
        let principal = match self.store.connection(connection).await {
            Ok(Some(record)) => record.principal.map(Principal::from_recorded),
            // Without its record the caller is unknown, and an unknown caller would see every
            // token's jobs: refuse instead. (Records outlive API Gateway's two-hour limit, so
            // this happens only if `$connect` was skipped.)
            Ok(None) => {
                let refusal = Reply::Error {
                    code: ErrorCode::Forbidden,
                    message: "this connection was not recorded when it opened; reconnect".into(),
                    job_id: None,
                };
                return Ok(response(200, Some(refusal.to_json())));
            }
            Err(error) => {
                tracing::error!(%connection, %error, "could not read a connection's principal");
                return Ok(response(500, None));
            }
        };
        let request = route_request(event, principal)?;
        Ok(from_route_response(self.backend.message(request).await))
    }
}

/// Which function a binary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `$connect`.
    Connect,
    /// `$disconnect`.
    Disconnect,
    /// Every message route.
    Message,
}

/// A function binary's whole life: JSON logs, the functions built from the environment once
/// (a cold start), then one handler invocation after another through the Lambda Runtime API.
pub async fn serve(route: Route) -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt().json().without_time().init();
    let resources = Resources::from_env()?;
    let functions =
        WebSocketFunctions::new(&Endpoint::from_env(), resources, AccessPolicy::from_env()).await;
    let functions = &functions;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            let answer = match route {
                Route::Connect => functions.connect(&event.payload).await,
                Route::Disconnect => functions.disconnect(&event.payload).await,
                Route::Message => functions.message(&event.payload).await,
            };
            Ok::<_, lambda_runtime::Error>(answer?)
        },
    ))
    .await
}
