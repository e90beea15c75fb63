//! Routes as Lambda integrations: the gateway invokes real function binaries the way API
//! Gateway and Lambda do, so AWS code built for the WebSocket API or an HTTP API runs here
//! unchanged.
//!
//! - [`runtime_api`]: the Lambda Runtime API one function's processes poll for invocations.
//! - [`function`]: a function — its processes, started with Lambda's environment, and `invoke`
//!   (the [`Invoke`] trait, which tests fake).
//! - [`integration`]: a [`RouteHandler`](crate::RouteHandler) that turns a route invocation into
//!   API Gateway's WebSocket event JSON and the function's proxy response back into an answer.
//! - [`http_api`]: an HTTP API route (`$default`, `ANY /api/{proxy+}`) as an axum router: each
//!   request becomes AWS's payload format 2.0 event, and the function's output the response.

pub mod function;
pub mod http_api;
pub mod integration;
pub mod runtime_api;

pub use function::{FunctionSpec, Invoke, InvokeError, InvokeFuture, LambdaFunction};
pub use http_api::route::{HttpRoute, InvalidRouteKey};
pub use http_api::{HttpApiFacts, HttpApiIntegration};
pub use integration::{ApiFacts, LambdaIntegration};
