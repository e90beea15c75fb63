//! A Lambda function run locally: its Runtime API on a loopback port, and its processes (the
//! real handler binary, with Lambda's environment) polling it. [`LambdaFunction::invoke`] is
//! the Invoke API's synchronous call.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

use axum::body::Bytes;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use super::runtime_api::{Invocation, Outcome, RuntimeApi};
use crate::route::BoxFuture;
use crate::timestamp::now_millis;

/// The account local functions and APIs belong to, as their ARNs and events name it.
pub const ACCOUNT_ID: &str = "000000000000";

/// Invocations that may wait for a free process; more fail at once (Lambda's throttling).
const WAITING_INVOCATIONS: usize = 1024;

/// What to run.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`).
    pub name: String,
    /// The handler binary (`bootstrap` on AWS).
    pub binary: PathBuf,
    /// Its environment beyond Lambda's own variables (the template's `Environment`).
    pub env: Vec<(String, String)>,
    /// How long one invocation may take.
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB.
    pub memory_mb: u32,
    /// Processes started: invocations run this many at a time (Lambda's concurrency).
    pub instances: usize,
}

/// Why an invocation produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The handler returned an error; the runtime's error document.
    #[error("the function failed: {0}")]
    Function(String),
    /// No answer within the function's timeout.
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    /// Too many invocations are waiting, or the function is stopped.
    #[error("the function cannot take more invocations")]
    Throttled,
}

/// What an invocation comes to: the function's response, or why there is none.
pub type InvokeFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, InvokeError>> + Send + 'a>>;

/// The Invoke API's synchronous call, as an integration makes it: a [`LambdaFunction`], or in
/// tests any closure that answers an event, so an integration is tested without a binary.
pub trait Invoke: Send + Sync + 'static {
    /// Invokes with `event` and waits for the response (`RequestResponse`).
    fn invoke(&self, event: Bytes) -> InvokeFuture<'_>;
}

impl Invoke for LambdaFunction {
    fn invoke(&self, event: Bytes) -> InvokeFuture<'_> {
        Box::pin(LambdaFunction::invoke(self, event))
    }
}

impl<F> Invoke for F
where
    F: Fn(Bytes) -> BoxFuture<Result<Bytes, InvokeError>> + Send + Sync + 'static,
{
    fn invoke(&self, event: Bytes) -> InvokeFuture<'_> {
        self(event)
    }
}

/// A running function.
pub struct LambdaFunction {
    spec: FunctionSpec,
    /// Where invocations are queued for the Runtime API to hand out.
    invocations: mpsc::Sender<Invocation>,
    /// Where its Runtime API listens.
    runtime_api: SocketAddr,
    /// Its processes; killed when the function is dropped.
    _processes: Vec<Child>,
}

impl LambdaFunction {
    /// Serves the Runtime API and starts the processes.
    pub async fn start(spec: FunctionSpec) -> std::io::Result<Self> {
        let (invocations, waiting) = mpsc::channel(WAITING_INVOCATIONS);
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let runtime_api = listener.local_addr()?;
        let arn = format!(
            "arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{}",
            spec.name
        );
        let router = RuntimeApi::router(arn, waiting);
        tokio::spawn(async move { axum::serve(listener, router).await });
        let mut processes = Vec::new();
        for _ in 0..spec.instances.max(1) {
            let process = Command::new(&spec.binary)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
                .env(
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    spec.memory_mb.to_string(),
                )
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_REGION", "us-east-1")
                .envs(spec.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .spawn()?;
            processes.push(process);
        }
        Ok(Self {
            spec,
            invocations,
            runtime_api,
            _processes: processes,
        })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Where its Runtime API listens.
    pub fn runtime_api(&self) -> SocketAddr {
        self.runtime_api
    }

    /// Invokes the function with `event` and waits for its response (`RequestResponse`).
    pub async fn invoke(&self, event: Bytes) -> Result<Bytes, InvokeError> {
        let (outcome, answer) = oneshot::channel();
        let timeout = self.spec.timeout;
        let deadline_ms = now_millis() + i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        self.invocations
            .try_send(Invocation {
                event,
                deadline_ms,
                outcome,
            })
            .map_err(|_| InvokeError::Throttled)?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(Outcome::Response(body))) => Ok(body),
            Ok(Ok(Outcome::Error(body))) => Err(InvokeError::Function(
                String::from_utf8_lossy(&body).into_owned(),
            )),
            Ok(Err(_)) => Err(InvokeError::Throttled),
            Err(_) => Err(InvokeError::Timeout(timeout)),
        }
    }
}
