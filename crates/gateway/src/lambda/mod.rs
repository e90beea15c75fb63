//! Routes as Lambda integrations: the gateway invokes real function binaries the way API
//! Gateway and Lambda do, so AWS code built for the WebSocket API runs here unchanged.
//!
//! - [`runtime_api`]: the Lambda Runtime API one function's processes poll for invocations.
//! - [`function`]: a function — its processes, started with Lambda's environment, and `invoke`.
//! - [`integration`]: a [`RouteHandler`](crate::RouteHandler) that turns a route invocation into
//!   API Gateway's WebSocket event JSON and the function's proxy response back into an answer.

pub mod function;
pub mod integration;
pub mod runtime_api;

pub use function::{FunctionSpec, InvokeError, LambdaFunction};
pub use integration::{ApiFacts, LambdaIntegration};
