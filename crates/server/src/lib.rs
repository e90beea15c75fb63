//! `vidpush-server`: the backend functions, the job worker, the store, and the wiring that
//! runs gateway + backend + static files as one process.
//!
//! Modules:
//! - [`config`]: command-line flags with `VIDPUSH_*` environment fallbacks.
//! - [`listener`]: accepting connections and serving HTTP/1.1 on them: the request-head
//!   timeout, the per-IP cap on connections without a request yet, graceful shutdown.
//! - [`app`]: shared state, the HTTP router, `/api/health` and `/api/connect-check`.
//! - [`uploads`]: tus 1.0 resumable uploads under `/api/uploads`: the routes and handlers, and
//!   the upload files and rows they create and delete.
//! - [`tus_headers`]: reading the tus request headers into checked values.
//! - [`video_check`]: reading a first PATCH's leading bytes and refusing what is not a video.
//! - [`upload_writer`]: streaming a PATCH body to disk, with checkpoints and fsync before any
//!   offset is recorded; the cap on PATCHes written at once and the timeout of a stalled body.
//! - [`upload_expiry`]: the `Upload-Expires` date and the sweep that removes abandoned uploads.
//! - [`upload_claims`]: one writer per upload, and stopping it when the upload is terminated.
//! - [`sniff`]: recognising video containers from their first bytes.
//! - [`jobs_api`]: the `/api/jobs` endpoints.
//! - [`jobs`]: the bounded queue, worker pool, cancellation, orphan grace, restart recovery.
//! - [`analyzer`]: the trait the worker analyses through, and its ffmpeg implementation.
//! - [`publisher`]: storing then pushing job events, replay on subscribe, per-job ordering.
//! - [`backend`]: the WebSocket route handlers (`subscribe`, `unsubscribe`, `cancel`, …).
//! - [`store`]: SQLite: uploads, jobs, events, subscriptions.
//! - [`auth`]: the caller's principal from a bearer or `?token=`, and the per-IP throttle of
//!   failed token checks.
//! - [`error`]: the API's error type and its JSON answers.

pub mod analyzer;
pub mod app;
pub mod auth;
pub mod backend;
pub mod config;
pub mod error;
pub mod jobs;
pub mod jobs_api;
pub mod listener;
pub mod publisher;
pub mod sniff;
pub mod store;
pub mod tus_headers;
pub mod upload_claims;
pub mod upload_expiry;
pub mod upload_writer;
pub mod uploads;
pub mod video_check;

use crate::analyzer::{FfmpegAnalyzer, VideoAnalyzer};
use crate::app::AppState;
use crate::config::ServerConfig;
use crate::jobs::Jobs;
use crate::listener::ConnectionLimits;
use crate::publisher::Publisher;
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vidpush_gateway::config::ConnectRate;
use vidpush_gateway::rate::ConnectLimiter;
use vidpush_gateway::{Gateway, GatewayConfig};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A folder or file in the data dir could not be made or read.
    #[error("cannot use the data folder {path}: {source}")]
    DataDir {
        /// The folder or file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The listen address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    /// The gateway could not start.
    #[error("cannot start the gateway: {0}")]
    Gateway(String),
}

/// A server bound to its address, ready to serve.
pub struct Server {
    /// The address actually bound (port 0 resolved).
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    router: axum::Router,
    /// What a connection may cost before its request is in.
    limits: ConnectionLimits,
    gateway: Gateway,
    jobs: Jobs,
}

impl Server {
    /// Prepares everything with the real ffmpeg analyzer.
    pub async fn bind(config: ServerConfig) -> Result<Self, StartError> {
        let analyzer = FfmpegAnalyzer {
            options: vidpush_analysis::AnalysisOptions {
                time_limit: Duration::from_secs(config.job_time_limit_secs),
                ..Default::default()
            },
        };
        Self::bind_with(config, Arc::new(analyzer)).await
    }

    /// Prepares everything with the given analyzer (tests script one).
    pub async fn bind_with(
        config: ServerConfig,
        analyzer: Arc<dyn VideoAnalyzer>,
    ) -> Result<Self, StartError> {
        let data_dir = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| StartError::DataDir { path, source }
        };
        for dir in [
            config.data_dir.clone(),
            config.uploads_dir(),
            config.jobs_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(data_dir(&dir))?;
        }
        let management_key = match &config.management_key {
            Some(key) => key.clone(),
            None => vidpush_gateway::key::load_or_create_management_key(&config.data_dir)
                .map_err(data_dir(&config.data_dir))?,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;

        let store = Store::open(&config.data_dir.join("vidpush.db"))?;
        let mut gateway_config =
            GatewayConfig::new(config.data_dir.join("gateway.db"), management_key);
        gateway_config.tokens = config
            .tokens
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        gateway_config.allowed_origins = config.effective_allowed_origins(addr);
        gateway_config.max_frame_bytes = config.max_frame_bytes;
        gateway_config.max_message_bytes = config.max_message_bytes;
        gateway_config.idle_timeout = Duration::from_secs(config.idle_timeout_secs);
        gateway_config.max_lifetime = Duration::from_secs(config.max_lifetime_secs);
        gateway_config.max_connections = config.max_connections;
        let connect_rate = ConnectRate {
            per_second: config.connect_rate,
            burst: config.connect_rate.saturating_mul(2),
        };
        gateway_config.connect_rate = connect_rate;

        let cell = backend::BackendCell::default();
        let gateway = backend::register(Gateway::builder(gateway_config), &cell)
            .build()
            .map_err(|e| StartError::Gateway(e.to_string()))?;
        let publisher = Publisher::new(store.clone(), gateway.connections());
        let jobs = Jobs::start(
            store.clone(),
            publisher.clone(),
            analyzer,
            config.jobs_dir(),
            config.worker_count(),
            config.queue_limit,
            config.orphan_grace(),
        );
        let backend = backend::Backend {
            store: store.clone(),
            publisher: publisher.clone(),
            jobs: jobs.clone(),
            connections: gateway.connections(),
        };
        // Set exactly once, here, before the listener accepts anything.
        let _ = cell.set(backend);
        let requeued = jobs.recover().await?;
        if requeued > 0 {
            tracing::info!(
                requeued,
                "jobs from before the restart are back in the queue"
            );
        }
        let static_dir = config
            .static_dir
            .join("index.html")
            .is_file()
            .then(|| config.static_dir.clone());
        if static_dir.is_none() {
            tracing::warn!(dir = %config.static_dir.display(), "no built app there (run `trunk build`); serving the API only");
        }
        let state = AppState {
            config: Arc::new(config),
            store,
            gateway: gateway.clone(),
            publisher,
            jobs,
            upload_claims: Default::default(),
            upload_writers: Default::default(),
            failed_auth: Arc::new(ConnectLimiter::new(connect_rate)),
        };
        upload_expiry::spawn_sweeper(state.clone());
        let jobs = state.jobs.clone();
        let limits = state.config.connection_limits();
        let router = app::app(state, static_dir);
        Ok(Self {
            addr,
            listener,
            router,
            limits,
            gateway,
            jobs,
        })
    }

    /// Serves until `shutdown` resolves, then closes every WebSocket with 1001 (running
    /// `$disconnect` for each) and returns once in-flight requests are done.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let gateway = self.gateway.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown.await;
            // WebSockets never finish on their own: close them so the HTTP server can drain.
            gateway.shutdown().await;
            let _ = stop_tx.send(());
        });
        listener::serve(self.listener, self.router, self.limits, async move {
            let _ = stop_rx.await;
        })
        .await;
        self.jobs.shutdown().await;
        self.gateway.flush().await;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, Ctrl-C keeps its default effect (exit).
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
