//! `vidpush-lambda`: the AWS Lambda functions of the WebSocket API, over the same backend
//! functions the local server routes to (`vidpush_server::backend`), with the AWS adapters.
//!
//! Modules, in the order an invocation meets them:
//! - [`event`]: API Gateway's WebSocket event JSON to the gateway's route request, and the
//!   route's answer back to the proxy response API Gateway expects.
//! - [`functions`]: `$connect` (origin 403, token 401, then the connection recorded),
//!   `$disconnect`, and the message routes (`subscribe` with replay, `unsubscribe`, `cancel`,
//!   `ping`, `$default`), built once per execution environment from the template's variables.
//!
//! Each binary in `src/bin` is one function: it calls [`functions::serve`] with its route.

pub mod event;
pub mod functions;
