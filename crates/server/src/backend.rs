//! The backend functions behind the gateway's WebSocket routes, as Lambda integrations would
//! be: `$disconnect`, `$default`, `subscribe`, `unsubscribe`, `cancel`, `ping`.
//!
//! Each handler gets one gateway request and answers with at most one reply to the sender;
//! event pushes go through the [`Publisher`]. It never holds a socket and never assumes
//! `$disconnect` runs: a push that finds a connection gone cleans up too.

use crate::auth;
use crate::jobs::Jobs;
use crate::ports::{JobRecord, JobStore, Push, QueueFull, QueuePlace, StoreError, Subscriptions};
use crate::publisher::Publisher;
use async_trait::async_trait;
use std::sync::Arc;
use vidpush_gateway::{GatewayBuilder, RouteRequest, RouteResponse};
use vidpush_protocol::{ClientAction, ErrorCode, JobId, Reply};

/// The largest `afterSeq` a subscribe may name: `seq`s are stored as SQLite integers, which are
/// signed 64-bit, so no event can have a larger one, and a larger value cannot even be asked for.
pub const MAX_AFTER_SEQ: u64 = i64::MAX as u64;

/// The routes a client's messages are sent to (by `action`; anything else goes to `$default`).
/// With `$connect` and `$disconnect` they are every route of the WebSocket API, here and in the
/// AWS template.
pub const MESSAGE_ROUTES: [&str; 5] = ["$default", "subscribe", "unsubscribe", "cancel", "ping"];

/// What the routes and the HTTP API ask of whoever runs jobs: the in-process [`Jobs`] locally;
/// on AWS, where the runner is another process, the store and the queue (the worker notices a
/// stored cancel).
#[async_trait]
pub trait JobControl: Send + Sync + 'static {
    /// A place in the queue for a job about to be created, or how long to wait.
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull>;

    /// Cancels a queued or running job; false when it was already over.
    async fn cancel(&self, job: &JobId, reason: &str) -> Result<bool, StoreError>;

    /// Runs a failed or cancelled job again; `Ok(false)` when it is not failed or cancelled
    /// (any more).
    async fn retry(&self, job: &JobId) -> Result<Result<bool, QueueFull>, StoreError>;

    /// Deletes the job with everything it made, its analysis stopped first; false when there
    /// was no such job.
    async fn delete(&self, job: &JobId) -> Result<bool, StoreError>;

    /// The job's last subscriber went away (its orphan policy may cancel it later).
    fn orphaned(&self, job: JobId);
}

#[async_trait]
impl JobControl for Jobs {
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        Jobs::reserve(self)
    }

    async fn cancel(&self, job: &JobId, reason: &str) -> Result<bool, StoreError> {
        Jobs::cancel(self, job, reason).await
    }

    async fn retry(&self, job: &JobId) -> Result<Result<bool, QueueFull>, StoreError> {
        Jobs::retry(self, job).await
    }

    async fn delete(&self, job: &JobId) -> Result<bool, StoreError> {
        Jobs::delete(self, job).await
    }

    fn orphaned(&self, job: JobId) {
        Jobs::orphaned(self, job);
    }
}

/// What the route handlers share.
#[derive(Clone)]
pub struct Backend {
    /// Jobs and their events.
    pub job_store: Arc<dyn JobStore>,
    /// Who follows each job.
    pub subscriptions: Arc<dyn Subscriptions>,
    /// Stores and pushes events.
    pub publisher: Publisher,
    /// Cancels jobs.
    pub jobs: Arc<dyn JobControl>,
    /// Pushes replies sent outside a handler's return value.
    pub push: Arc<dyn Push>,
}

/// Registers every backend route on a gateway under construction. The backend is complete
/// before the gateway exists: it pushes through the builder's `@connections` client.
pub fn register(builder: GatewayBuilder, backend: Backend) -> GatewayBuilder {
    let route = |disconnect: bool| {
        let backend = backend.clone();
        move |req: RouteRequest| {
            let backend = backend.clone();
            async move {
                if disconnect {
                    backend.disconnect(req).await
                } else {
                    backend.message(req).await
                }
            }
        }
    };
    let mut builder = builder.route("$disconnect", route(true));
    for name in MESSAGE_ROUTES {
        builder = builder.route(name, route(false));
    }
    builder
}

fn error_reply(
    code: ErrorCode,
    message: impl Into<String>,
    job_id: Option<JobId>,
) -> RouteResponse {
    RouteResponse::reply(
        Reply::Error {
            code,
            message: message.into(),
            job_id,
        }
        .to_json(),
    )
}

impl Backend {
    /// `$disconnect`: forget the connection's subscriptions; jobs left unwatched get the grace
    /// period.
    #[tracing::instrument(skip_all, fields(connection = %req.connection_id))]
    pub async fn disconnect(&self, req: RouteRequest) -> RouteResponse {
        match self
            .subscriptions
            .drop_connection(req.connection_id.as_str())
            .await
        {
            Ok(jobs) => {
                for job in jobs {
                    if matches!(self.subscriptions.subscribers(&job).await, Ok(s) if s.is_empty()) {
                        self.jobs.orphaned(job);
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, "could not drop a closed connection's subscriptions")
            }
        }
        RouteResponse::ok()
    }

    /// Every message route: parse the action, then act on it.
    #[tracing::instrument(skip_all, fields(connection = %req.connection_id, route = %req.route_key))]
    pub async fn message(&self, req: RouteRequest) -> RouteResponse {
        let body = req.body.as_deref().unwrap_or("");
        let action = match serde_json::from_str::<ClientAction>(body) {
            Ok(action) => action,
            Err(error) => {
                let message = if serde_json::from_str::<serde_json::Value>(body).is_ok() {
                    format!(
                        "that message is not an action this server knows ({error}); send subscribe, unsubscribe, cancel or ping"
                    )
                } else {
                    "that message is not JSON; send an object like {\"action\":\"subscribe\",\"jobId\":\"…\",\"afterSeq\":0}".to_owned()
                };
                return error_reply(ErrorCode::BadRequest, message, None);
            }
        };
        let caller = req.principal.as_ref().map(|p| p.as_str().to_owned());
        let connection = req.connection_id.as_str();
        let result = match action {
            ClientAction::Ping => return RouteResponse::reply(Reply::Pong.to_json()),
            ClientAction::Subscribe { job_id, after_seq } => {
                self.subscribe(connection, caller, job_id, after_seq).await
            }
            ClientAction::Unsubscribe { job_id } => {
                match self.subscriptions.unsubscribe(&job_id, connection).await {
                    Ok(_) => Ok(RouteResponse::reply(
                        Reply::Unsubscribed { job_id }.to_json(),
                    )),
                    Err(error) => Err(error),
                }
            }
            ClientAction::Cancel { job_id } => self.cancel(caller, job_id).await,
        };
        result.unwrap_or_else(|error| {
            tracing::error!(%error, "a WebSocket action failed inside the server");
            error_reply(
                ErrorCode::Internal,
                "the server could not do that just now; try again",
                None,
            )
        })
    }

    /// The job named by an action, or the error reply to send when it does not exist or
    /// belongs to another token.
    async fn owned_job(
        &self,
        caller: &Option<String>,
        job_id: &JobId,
    ) -> Result<Result<JobRecord, RouteResponse>, StoreError> {
        let Some(job) = self.job_store.job(job_id).await? else {
            return Ok(Err(error_reply(
                ErrorCode::NotFound,
                "no job with that id",
                Some(job_id.clone()),
            )));
        };
        if auth::is_foreign(caller, &job.owner) {
            return Ok(Err(error_reply(
                ErrorCode::Forbidden,
                "that job belongs to another token",
                Some(job_id.clone()),
            )));
        }
        Ok(Ok(job))
    }

    async fn subscribe(
        &self,
        connection: &str,
        caller: Option<String>,
        job_id: JobId,
        after_seq: u64,
    ) -> Result<RouteResponse, StoreError> {
        if after_seq > MAX_AFTER_SEQ {
            return Ok(error_reply(
                ErrorCode::BadRequest,
                format!(
                    "afterSeq {after_seq} is larger than any event number can be ({MAX_AFTER_SEQ}); send the last seq you received, or 0 for every event"
                ),
                Some(job_id),
            ));
        }
        let job = match self.owned_job(&caller, &job_id).await? {
            Ok(job) => job,
            Err(refusal) => return Ok(refusal),
        };
        let push = self.push.clone();
        let id = job_id.clone();
        self.publisher
            .subscribe_and_replay(&job_id, connection, after_seq, async move || {
                // Read the state under the job's lock so it matches the replay that follows.
                let (state, last_seq) = match self.job_store.job(&id).await {
                    Ok(Some(now)) => (now.state, now.last_seq),
                    _ => (job.state, job.last_seq),
                };
                let reply = Reply::Subscribed {
                    job_id: id.clone(),
                    state,
                    last_seq,
                };
                // A connection gone already simply gets nothing; the replay notices it too.
                let _ = push.post(connection, reply.to_json()).await;
            })
            .await?;
        Ok(RouteResponse::ok())
    }

    async fn cancel(
        &self,
        caller: Option<String>,
        job_id: JobId,
    ) -> Result<RouteResponse, StoreError> {
        if let Err(refusal) = self.owned_job(&caller, &job_id).await? {
            return Ok(refusal);
        }
        self.jobs.cancel(&job_id, "cancelled by request").await?;
        Ok(RouteResponse::ok())
    }
}
