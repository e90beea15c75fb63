//! `vidpush-lambda`: the AWS Lambda functions — the WebSocket API's, over the same backend
//! functions the local server routes to (`vidpush_server::backend`), and the HTTP API's, the
//! local server's own `/api` router — with the AWS adapters.
//!
//! Modules, in the order an invocation meets them:
//! - [`event`]: API Gateway's WebSocket event JSON to the gateway's route request, and the
//!   route's answer back to the proxy response API Gateway expects.
//! - [`functions`]: `$connect` (origin 403, token 401, then the connection recorded),
//!   `$disconnect`, and the message routes (`subscribe` with replay, `unsubscribe`, `cancel`,
//!   `ping`, `$default`), built once per execution environment from the template's variables.
//! - [`http`]: the HTTP API function (uploads to S3, jobs, results), served by `lambda_http`.
//!
//! Each binary in `src/bin` is one function: the WebSocket ones call [`functions::serve`] with
//! their route, `vidpush-http` calls [`http::serve`].

pub mod event;
pub mod functions;
pub mod http;
