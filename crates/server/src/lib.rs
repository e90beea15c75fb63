//! `vidpush-server`: the backend functions, the job worker, the store, and the wiring that
//! runs gateway + backend + static files as one process.
//!
//! Modules, in the order a request meets them:
//! - [`config`]: command-line flags with `VIDPUSH_*` environment fallbacks.
//! - [`listener`]: accepting connections with head and body timeouts and a per-IP cap.
//! - [`app`]: the HTTP routers (the one process's, and the same `/api` as the HTTP API function
//!   serves it on AWS), `/api/health` and `/api/connect-check`; [`state`]: what every handler
//!   can reach (`AppState`).
//! - [`auth`]: the caller's principal from a bearer or `?token=` through a `Door` (the gateway,
//!   or its checks alone in a function), and the per-IP throttle of failed token checks.
//! - [`uploads`]: the page's multipart uploads and tus for tus clients, into the same upload
//!   files and records (a folder: protocols, checks, the writer, claims, expiry).
//! - [`jobs`]: the `/api/jobs` endpoints, the bounded queue, the worker pool, cancellation,
//!   orphan grace, restart recovery, and the analyzer the workers call.
//! - [`publisher`]: storing then pushing job events, replay on subscribe, per-job ordering.
//! - [`backend`]: the WebSocket route handlers (`subscribe`, `unsubscribe`, `cancel`, …).
//! - [`ports`]: what the backend needs from the world (jobs and events, subscriptions, upload
//!   records and bytes, job objects, the queue, push), as narrow traits; [`adapters`]: their
//!   local implementations (SQLite, the data folder, the in-process gateway).
//! - [`background`]: the one stop signal for every background task, and the wait for them.
//! - [`error`]: the API's error type and its JSON answers.
//! - [`clock`], [`ids`]: the time as stored, new ids.

pub mod adapters;
pub mod app;
pub mod auth;
pub mod backend;
pub mod background;
pub mod clock;
pub mod config;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod listener;
pub mod ports;
pub mod publisher;
pub mod state;
pub mod uploads;

use crate::adapters::data_folder::DataFolder;
use crate::adapters::queue::InProcessQueue;
use crate::adapters::sqlite::SqliteStore;
use crate::adapters::upload_folder::UploadFolder;
use crate::background::Background;
use crate::config::ServerConfig;
use crate::jobs::Jobs;
use crate::jobs::analyzer::{FfmpegAnalyzer, VideoAnalyzer};
use crate::listener::ConnectionLimits;
use crate::ports::{JobObjects, JobStore, Push, Subscriptions, UploadStore};
use crate::publisher::Publisher;
use crate::state::AppState;
use crate::uploads::multipart::part_url::PartSigner;
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
    Store(#[from] ports::StoreError),
    /// The gateway could not start.
    #[error("cannot start the gateway: {0}")]
    Gateway(String),
}

/// A server bound to its address, ready to serve.
pub struct Server {
    /// The address actually bound (port 0 resolved).
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    /// What a connection may cost before its request is in.
    limits: ConnectionLimits,
    /// Everything but the socket.
    app: App,
}

/// The whole process but its socket: the router with its state, and what must be stopped.
/// Built without binding a port, so the HTTP API can be driven in-process
/// (`tower::ServiceExt::oneshot`), as axum's testing example does.
pub struct App {
    /// Every route: `/api`, `/ws`, `/@connections`, the static app.
    pub router: axum::Router,
    /// What the handlers share.
    pub state: AppState,
    /// The WebSocket side: connections, routes, `@connections`.
    pub gateway: Gateway,
    /// The job pipeline.
    pub jobs: Jobs,
    /// Workers, timers and sweeps: stopped and awaited once the last request is done.
    background: Background,
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

    /// Binds the listen address, then prepares everything with the given analyzer (tests
    /// script one).
    pub async fn bind_with(
        config: ServerConfig,
        analyzer: Arc<dyn VideoAnalyzer>,
    ) -> Result<Self, StartError> {
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
        let limits = config.connection_limits();
        let app = App::build(config, analyzer, addr).await?;
        Ok(Self {
            addr,
            listener,
            limits,
            app,
        })
    }

    /// Serves until `shutdown` resolves, then closes every WebSocket with 1001 (running
    /// `$disconnect` for each) and returns once in-flight requests are done.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let gateway = self.app.gateway.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown.await;
            // WebSockets never finish on their own: close them so the HTTP server can drain.
            gateway.shutdown().await;
            let _ = stop_tx.send(());
        });
        listener::serve(
            self.listener,
            self.app.router.clone(),
            self.limits,
            async move {
                let _ = stop_rx.await;
            },
        )
        .await;
        self.app.stop().await;
        Ok(())
    }
}

impl App {
    /// Opens the data folder and database, starts the job pipeline and the sweeps, and builds
    /// the router, for a server reached at `addr` (its own origin is allowed by default).
    pub async fn build(
        config: ServerConfig,
        analyzer: Arc<dyn VideoAnalyzer>,
        addr: SocketAddr,
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

        // The local adapters behind the ports: one SQLite file plays every datastore port.
        let sqlite = SqliteStore::open(&config.data_dir.join("vidpush.db"))?;
        let job_store: Arc<dyn JobStore> = Arc::new(sqlite.clone());
        let subscriptions: Arc<dyn Subscriptions> = Arc::new(sqlite.clone());
        let uploads: Arc<dyn UploadStore> = Arc::new(sqlite);
        let job_objects: Arc<dyn JobObjects> =
            Arc::new(DataFolder::new(config.uploads_dir(), config.jobs_dir()));
        let mut gateway_config =
            GatewayConfig::new(config.data_dir.join("gateway.db"), management_key);
        gateway_config.tokens = config
            .tokens
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        gateway_config.allowed_origins = config.effective_allowed_origins(addr);
        gateway_config.aws = config.aws_api();
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

        // One direction: the push client, then the publisher and the job pipeline that push
        // through it, then the routes that call them, then the gateway.
        let background = Background::default();
        let builder = Gateway::builder(gateway_config);
        let (orphans_tx, orphans_rx) = tokio::sync::mpsc::channel(publisher::ORPHAN_NOTICES_QUEUED);
        let push: Arc<dyn Push> = Arc::new(builder.connections());
        let publisher = Publisher::new(
            job_store.clone(),
            subscriptions.clone(),
            push.clone(),
            orphans_tx,
        );
        let jobs = Jobs::start(
            job_store.clone(),
            subscriptions.clone(),
            publisher.clone(),
            analyzer,
            job_objects.clone(),
            config.worker_count(),
            Arc::new(InProcessQueue::new(config.queue_limit)),
            config.orphan_grace(),
            orphans_rx,
            background.clone(),
        );
        let backend = backend::Backend {
            job_store: job_store.clone(),
            subscriptions,
            publisher: publisher.clone(),
            jobs: Arc::new(jobs.clone()),
            push,
        };
        let gateway = backend::register(builder, backend)
            .build()
            .map_err(|e| StartError::Gateway(e.to_string()))?;
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
        let part_signer = PartSigner::new(&gateway.config().management_key);
        let upload_space = Arc::new(UploadFolder::new(
            config.uploads_dir(),
            part_signer.clone(),
            uploads.clone(),
        ));
        let state = AppState {
            config: Arc::new(config),
            uploads,
            upload_space,
            job_store,
            job_objects,
            door: Arc::new(gateway.clone()),
            publisher,
            jobs: Arc::new(jobs.clone()),
            upload_claims: Default::default(),
            part_signer,
            parts_in_flight: Default::default(),
            upload_writers: Default::default(),
            failed_auth: Arc::new(ConnectLimiter::new(connect_rate)),
        };
        uploads::expiry::spawn_sweeper(state.clone(), &background);
        let router = app::app(state.clone(), &gateway, static_dir);
        Ok(Self {
            router,
            state,
            gateway,
            jobs,
            background,
        })
    }

    /// Stops every analysis (they run again after a restart), every background task, and
    /// writes the gateway's last connection records.
    pub async fn stop(&self) {
        self.jobs.shutdown().await;
        self.background.stop().await;
        self.gateway.flush().await;
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
