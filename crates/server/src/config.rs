//! The server's settings: command-line flags, each with a `VIDPUSH_*` environment fallback,
//! and the defaults that make `vidpush-server` run with no setup at all.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use vidpush_protocol::limits;

/// How long a request body may pause by default. Long enough for a phone on a poor network to
/// come back (tus clients resume anyway), short enough that a vanished client does not hold its
/// upload, and a writer, for more than a minute.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a connection may take to send a whole request head by default, from its start or
/// from the end of its previous request. A browser sends its head in one packet, so seconds
/// are plenty; a slowloris client sending a byte every few seconds is cut off, and an idle
/// keep-alive connection is closed (the browser simply opens a new one).
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Most connections one IP may hold open without a finished first request, by default. A
/// browser opens at most six per host, so this lets ten people behind one NAT load the page at
/// the same instant, while a client opening hundreds of silent sockets gets only this many,
/// each for at most the head timeout.
pub const DEFAULT_MAX_UNFINISHED_HEADS_PER_IP: usize = 64;

/// `vidpush-server`: API Gateway emulator, backend, datastore and object store in one process.
#[derive(Clone, Debug, Parser)]
#[command(name = "vidpush-server", version, about)]
pub struct ServerConfig {
    /// Address to listen on (port 0 picks a free port; the chosen URL is printed).
    #[arg(long, env = "VIDPUSH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder for the database, uploads, results and thumbnails.
    #[arg(long, env = "VIDPUSH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Folder with the built browser app (trunk's dist/); not served when absent.
    #[arg(long, env = "VIDPUSH_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Accepted tokens, comma separated. None: no token is required.
    #[arg(long, env = "VIDPUSH_TOKENS", value_delimiter = ',')]
    pub tokens: Vec<String>,

    /// Origins allowed to open the WebSocket and call the API from a browser, comma separated.
    /// Default: the server's own origin plus local development ports.
    #[arg(long, env = "VIDPUSH_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Key for the `@connections` management API. Default: generated once and kept in the
    /// data folder (`management.key`).
    #[arg(long, env = "VIDPUSH_MANAGEMENT_KEY", hide_env_values = true)]
    pub management_key: Option<String>,

    /// Also serve `@connections` as API Gateway does for AWS SDK code: under `/{stage}` and
    /// signed with SigV4 by the test credentials below. Unset: only the bearer key's API.
    #[arg(long, env = "VIDPUSH_AWS_STAGE", requires_all = ["aws_access_key_id", "aws_secret_access_key"])]
    pub aws_stage: Option<String>,

    /// The access key id SigV4-signed `@connections` calls must use (a test credential, never
    /// a real AWS one).
    #[arg(long, env = "VIDPUSH_AWS_ACCESS_KEY_ID", requires = "aws_stage")]
    pub aws_access_key_id: Option<String>,

    /// The secret of that access key.
    #[arg(
        long,
        env = "VIDPUSH_AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        requires = "aws_stage"
    )]
    pub aws_secret_access_key: Option<String>,

    /// The region SigV4 signatures must be scoped to.
    #[arg(long, env = "VIDPUSH_AWS_REGION", default_value = "us-east-1")]
    pub aws_region: String,

    /// Largest WebSocket frame in bytes (AWS: 32 KiB).
    #[arg(long, env = "VIDPUSH_MAX_FRAME_BYTES", default_value_t = limits::MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Largest WebSocket message in bytes (AWS: 128 KiB).
    #[arg(long, env = "VIDPUSH_MAX_MESSAGE_BYTES", default_value_t = limits::MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Close a connection after this many seconds without a client message (AWS: 600).
    #[arg(long = "idle-timeout", env = "VIDPUSH_IDLE_TIMEOUT", default_value_t = limits::IDLE_TIMEOUT.as_secs())]
    pub idle_timeout_secs: u64,

    /// Close every connection after this many seconds (AWS: 7200).
    #[arg(long = "max-lifetime", env = "VIDPUSH_MAX_LIFETIME", default_value_t = limits::MAX_CONNECTION_LIFETIME.as_secs())]
    pub max_lifetime_secs: u64,

    /// Most WebSocket connections open at once; more are refused with 503.
    #[arg(long, env = "VIDPUSH_MAX_CONNECTIONS", default_value_t = 50_000)]
    pub max_connections: usize,

    /// Connection attempts per second allowed from one IP address (with a burst of twice
    /// that); more get 429.
    #[arg(long, env = "VIDPUSH_CONNECT_RATE", default_value_t = vidpush_gateway::config::DEFAULT_CONNECTS_PER_SECOND)]
    pub connect_rate: u32,

    /// Largest upload in bytes.
    #[arg(long, env = "VIDPUSH_MAX_UPLOAD_BYTES", default_value_t = limits::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: u64,

    /// Uploads (finished or not) with no new bytes for this many seconds, and not used by a
    /// job, are deleted. A video a job used is kept as long as the job (until it is deleted).
    #[arg(long = "upload-expiry", env = "VIDPUSH_UPLOAD_EXPIRY", default_value_t = 24 * 60 * 60)]
    pub upload_expiry_secs: u64,

    /// Seconds a connection may take to send a whole request head (from its start, or from
    /// the end of its previous request) before it is closed.
    #[arg(long = "head-timeout", env = "VIDPUSH_HEAD_TIMEOUT", default_value_t = DEFAULT_HEAD_TIMEOUT.as_secs())]
    pub head_timeout_secs: u64,

    /// Connections one IP address may hold open before their first request is in; more are
    /// closed at once.
    #[arg(long, env = "VIDPUSH_MAX_UNFINISHED_HEADS_PER_IP", default_value_t = DEFAULT_MAX_UNFINISHED_HEADS_PER_IP)]
    pub max_unfinished_heads_per_ip: usize,

    /// Seconds a PATCH body may pause before the server stops waiting for it, keeps what
    /// arrived and frees the upload for the client to resume.
    #[arg(long = "body-timeout", env = "VIDPUSH_BODY_TIMEOUT", default_value_t = DEFAULT_BODY_TIMEOUT.as_secs())]
    pub body_timeout_secs: u64,

    /// Jobs analysed at once. Default: the number of CPU cores.
    #[arg(long, env = "VIDPUSH_WORKERS")]
    pub workers: Option<usize>,

    /// Jobs that may wait for a worker; more are refused with 503 and Retry-After.
    #[arg(long, env = "VIDPUSH_QUEUE_LIMIT", default_value_t = 64)]
    pub queue_limit: usize,

    /// Opt-in: cancel a job whose last subscriber left, after this many seconds without a new
    /// one. Off by default: a job runs to its end with nobody watching, and the page lists it
    /// after a reload or in another browser.
    #[arg(
        long = "orphan-grace",
        env = "VIDPUSH_ORPHAN_GRACE",
        value_name = "SECS"
    )]
    pub orphan_grace_secs: Option<u64>,

    /// Longest a single analysis may run, in seconds.
    #[arg(long = "job-time-limit", env = "VIDPUSH_JOB_TIME_LIMIT", default_value_t = 60 * 60)]
    pub job_time_limit_secs: u64,
}

impl ServerConfig {
    /// The number of workers: the flag, or one per CPU core.
    pub fn worker_count(&self) -> usize {
        self.workers
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            })
            .max(1)
    }

    /// What a connection may cost before its request is in.
    pub fn connection_limits(&self) -> crate::listener::ConnectionLimits {
        crate::listener::ConnectionLimits {
            head_timeout: Duration::from_secs(self.head_timeout_secs),
            max_unfinished_heads_per_ip: self.max_unfinished_heads_per_ip,
        }
    }

    /// How long a request body may pause before the server stops waiting for it.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }

    /// Grace period before an unwatched job is cancelled; `None` when the policy is off.
    pub fn orphan_grace(&self) -> Option<Duration> {
        self.orphan_grace_secs.map(Duration::from_secs)
    }

    /// Where unfinished uploads are kept.
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Where each job's source, thumbnails and result are kept.
    pub fn jobs_dir(&self) -> PathBuf {
        self.data_dir.join("jobs")
    }

    /// The gateway's AWS mode, when `--aws-stage` is given (clap has checked that the access
    /// key comes with it).
    pub fn aws_api(&self) -> Option<vidpush_gateway::AwsApi> {
        let stage = self.aws_stage.clone()?;
        Some(vidpush_gateway::AwsApi {
            stage,
            region: self.aws_region.clone(),
            credentials: vec![vidpush_gateway::AccessKey {
                id: self.aws_access_key_id.clone().unwrap_or_default(),
                secret: self.aws_secret_access_key.clone().unwrap_or_default(),
            }],
        })
    }

    /// The origins allowed by default: the server's own, plus trunk's and common dev ports.
    pub fn effective_allowed_origins(&self, bound: SocketAddr) -> Vec<String> {
        if !self.allowed_origins.is_empty() {
            return self.allowed_origins.clone();
        }
        let mut origins = vec![format!("http://{bound}")];
        let port = bound.port();
        origins.push(format!("http://localhost:{port}"));
        for dev in [8080, 8081, 3000, 5173] {
            origins.push(format!("http://127.0.0.1:{dev}"));
            origins.push(format!("http://localhost:{dev}"));
        }
        origins.sort();
        origins.dedup();
        origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn unwatched_jobs_run_to_their_end_unless_the_orphan_grace_is_asked_for() {
        let config = |flags: &[&str]| {
            ServerConfig::try_parse_from([&["vidpush-server"], flags].concat()).unwrap()
        };
        assert_eq!(config(&[]).orphan_grace(), None);
        assert_eq!(
            config(&["--orphan-grace", "90"]).orphan_grace(),
            Some(Duration::from_secs(90))
        );
    }

    #[test]
    fn help_names_the_management_key_file_as_it_is_on_disk() {
        let help = ServerConfig::command().render_long_help().to_string();
        let file = format!("`{}`", vidpush_gateway::key::MANAGEMENT_KEY_FILE);
        assert!(help.contains(&file), "{help}");
        assert!(!help.contains("`management-key`"), "{help}");
    }

    #[test]
    fn aws_mode_needs_its_access_key_and_turns_the_gateways_aws_api_on() {
        use clap::Parser;
        let refused = ServerConfig::try_parse_from(["vidpush-server", "--aws-stage", "local"]);
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("--aws-access-key-id"), "{message}");
        let config = ServerConfig::try_parse_from([
            "vidpush-server",
            "--aws-stage",
            "local",
            "--aws-access-key-id",
            "AKIDLOCAL",
            "--aws-secret-access-key",
            "secret",
        ])
        .expect("a stage with its key is accepted");
        let api = config.aws_api().expect("AWS mode is on");
        assert_eq!(api.stage, "local");
        assert_eq!(api.region, "us-east-1");
        assert_eq!(api.credentials[0].id, "AKIDLOCAL");
        let plain = ServerConfig::try_parse_from(["vidpush-server"]).expect("no flags is fine");
        assert!(plain.aws_api().is_none());
    }
}
