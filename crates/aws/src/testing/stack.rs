//! The simulated AWS stack, whole, as the template deploys it: moto with the template's tables,
//! media bucket (and its CORS) and job queue with its dead-letter queue; the WebSocket API (the
//! local gateway in AWS mode, each route a real function binary run through the Lambda Runtime
//! API); the HTTP API (the gateway's HTTP API integration, `ANY /api/{proxy+}`, running the
//! real `vidpush-http`); the worker; and the page on an origin of its own, with the
//! `config.json` written from the stack's [`Outputs`], as on AWS.
//!
//! `cargo xtask dev --aws` runs it for a developer; the page's end-to-end tests and
//! `cargo xtask bench app` run against it.

use super::Moto;
use super::faults::UnrulyDelivery;
use super::gateway::{AwsGateway, Bound, KEY_ID, SECRET};
use crate::dynamodb::{DynamoStore, TableNames};
use crate::sdk::s3_client;
use crate::settings::{self, Resources};
use crate::wiring::AwsPorts;
use crate::worker::{Worker, WorkerOptions};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use aws_sdk_sqs::types::QueueAttributeName;
use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower_http::services::{ServeDir, ServeFile};
use vidpush_gateway::lambda::{
    ApiFacts, FunctionSpec, HttpApiFacts, HttpApiIntegration, HttpRoute, LambdaFunction,
    LambdaIntegration,
};
use vidpush_protocol::ClientConfig;
use vidpush_server::backend::MESSAGE_ROUTES;
use vidpush_server::jobs::analyzer::VideoAnalyzer;

/// The media bucket's name.
pub const BUCKET: &str = "vidpush-media";
/// The HTTP API's route, as the template's `HttpFunction` event declares it.
pub const HTTP_ROUTE: &str = "ANY /api/{proxy+}";
/// The job queue's `maxReceiveCount` and visibility, as in the template.
const MAX_RECEIVE_COUNT: u32 = 3;
const VISIBILITY_SECS: u32 = 60;

/// The function binaries (`cargo build -p vidpush-lambda --bins` puts them side by side).
#[derive(Debug, Clone)]
pub struct FunctionBinaries {
    /// `$connect`.
    pub connect: PathBuf,
    /// `$disconnect`.
    pub disconnect: PathBuf,
    /// The message routes.
    pub message: PathBuf,
    /// The HTTP API.
    pub http: PathBuf,
}

impl FunctionBinaries {
    /// The four binaries in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            connect: dir.join("vidpush-connect"),
            disconnect: dir.join("vidpush-disconnect"),
            message: dir.join("vidpush-message"),
            http: dir.join("vidpush-http"),
        }
    }

    /// The first binary that does not exist, if any.
    pub fn missing(&self) -> Option<&Path> {
        [&self.connect, &self.disconnect, &self.message, &self.http]
            .into_iter()
            .map(PathBuf::as_path)
            .find(|path| !path.is_file())
    }
}

/// What to run.
pub struct StackOptions {
    /// The function binaries.
    pub functions: FunctionBinaries,
    /// The built page (`dist/`), served on its own origin; `None` serves no page.
    pub page: Option<PathBuf>,
    /// Accepted tokens (none: anyone).
    pub tokens: Vec<String>,
    /// Ports for the page, the HTTP API and the WebSocket API (0: any free port).
    pub ports: [u16; 3],
    /// Jobs analysed at once by the worker.
    pub workers: usize,
    /// The worker's analyzer; `None` runs the real one.
    pub analyzer: Option<Arc<dyn VideoAnalyzer>>,
    /// The worker's pushes arrive duplicated and reordered ([`UnrulyDelivery`]).
    pub unruly_delivery: bool,
}

impl StackOptions {
    /// The four functions, no page, no tokens, free ports, one worker with the real analyzer.
    pub fn new(functions: FunctionBinaries) -> Self {
        Self {
            functions,
            page: None,
            tokens: Vec::new(),
            ports: [0; 3],
            workers: 1,
            analyzer: None,
            unruly_delivery: false,
        }
    }
}

/// What the template's `Outputs` say of a deployed stack, for the simulated one.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// `PageUrl`: open this in a browser.
    pub page_url: String,
    /// `WebSocketUrl`: the page's `gatewayUrl`.
    pub web_socket_url: String,
    /// `ApiUrl`: the page's `apiUrl`.
    pub api_url: String,
    /// `ManagementEndpoint`: where backend code posts to connections.
    pub management_endpoint: String,
}

impl Outputs {
    /// As `OutputKey`, `OutputValue` pairs.
    pub fn pairs(&self) -> [(&str, &str); 4] {
        [
            ("PageUrl", self.page_url.as_str()),
            ("WebSocketUrl", self.web_socket_url.as_str()),
            ("ApiUrl", self.api_url.as_str()),
            ("ManagementEndpoint", self.management_endpoint.as_str()),
        ]
    }
}

/// A running simulated stack; everything stops when it is dropped.
pub struct SimulatedStack {
    /// DynamoDB, S3 and SQS.
    pub moto: Moto,
    /// What the template's `Outputs` would say.
    pub outputs: Outputs,
    /// Where the stack keeps things (the functions' and worker's variables).
    pub resources: Resources,
    /// The WebSocket API.
    pub gateway: AwsGateway,
    /// The datastore, for tests that look inside.
    pub store: DynamoStore,
    worker: Option<Worker>,
    _functions: Vec<Arc<LambdaFunction>>,
    _scratch: tempfile::TempDir,
}

impl SimulatedStack {
    /// Starts everything; the page (if any) is ready to be opened when this returns.
    pub async fn start(options: StackOptions) -> Result<Self, String> {
        if let Some(missing) = options.functions.missing() {
            return Err(format!(
                "{} is missing: build the functions first (cargo build -p vidpush-lambda --bins)",
                missing.display()
            ));
        }
        let [page_port, api_port, ws_port] = options.ports;
        let page_listener = listen(page_port).await?;
        let api_listener = listen(api_port).await?;
        let ws = Bound::at(ws_port).await?;
        let page_origin = format!("http://{}", page_listener.local_addr().map_err(io)?);
        let api_addr = api_listener.local_addr().map_err(io)?;

        let moto = Moto::start();
        let config = moto.config().await;
        let tables = TableNames::prefixed("");
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), tables.clone());
        store.create_tables().await?;
        create_bucket(&s3_client(&config, &moto.endpoint())).await?;
        let queue_url = create_queues(&aws_sdk_sqs::Client::new(&config)).await?;
        let resources = Resources {
            tables,
            bucket: BUCKET.into(),
            queue_url,
            management_endpoint: ws.endpoint(),
        };

        let env = function_env(&resources, &moto, &options.tokens, &page_origin);
        let start = |name: &str, binary: &PathBuf| {
            LambdaFunction::start(FunctionSpec {
                name: name.into(),
                binary: binary.clone(),
                env: env.clone(),
                timeout: Duration::from_secs(29),
                memory_mb: 256,
                instances: 2,
            })
        };
        let functions = &options.functions;
        let connect = Arc::new(start("connect", &functions.connect).await.map_err(io)?);
        let disconnect = Arc::new(
            start("disconnect", &functions.disconnect)
                .await
                .map_err(io)?,
        );
        let message = Arc::new(start("message", &functions.message).await.map_err(io)?);
        let http = Arc::new(start("http", &functions.http).await.map_err(io)?);

        let ws_facts = ApiFacts {
            api_id: "local-ws".into(),
            stage: super::gateway::STAGE.into(),
            domain_name: ws.addr.to_string(),
        };
        let integration = |function: &Arc<LambdaFunction>| {
            LambdaIntegration::new(function.clone(), ws_facts.clone())
        };
        let (on_connect, on_disconnect, on_message) = (
            integration(&connect),
            integration(&disconnect),
            integration(&message),
        );
        let gateway = ws.serve(
            // The `$connect` function checks tokens and origins, as on AWS.
            |config| config.allowed_origins = vec!["*".into()],
            move |mut builder| {
                builder = builder
                    .route("$connect", on_connect)
                    .route("$disconnect", on_disconnect);
                for route in MESSAGE_ROUTES {
                    builder = builder.route(route, on_message.clone());
                }
                builder
            },
        );

        let route = HttpRoute::parse(HTTP_ROUTE).map_err(|e| e.to_string())?;
        let api = HttpApiIntegration::new(
            http.clone(),
            HttpApiFacts {
                api_id: "local-http".into(),
                domain_name: api_addr.to_string(),
                stage: "$default".into(),
            },
        )
        .with_route(route)
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(api_listener, api).await });

        let outputs = Outputs {
            page_url: page_origin.clone(),
            web_socket_url: format!("ws://{}/ws", gateway.addr),
            api_url: format!("http://{api_addr}"),
            management_endpoint: resources.management_endpoint.clone(),
        };
        let client_config = ClientConfig::from_stack_outputs(outputs.pairs())?;
        let page = Router::new().route(
            "/config.json",
            get(move || async move { axum::Json(client_config) }),
        );
        let page = match &options.page {
            Some(dist) => page.fallback_service(
                ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))),
            ),
            None => page,
        };
        tokio::spawn(async move { axum::serve(page_listener, page).await });

        let scratch = tempfile::tempdir().map_err(io)?;
        let mut worker_options = WorkerOptions::new(scratch.path());
        worker_options.workers = options.workers;
        if let Some(analyzer) = options.analyzer {
            worker_options.analyzer = analyzer;
        }
        let mut ports =
            AwsPorts::connect(&moto.endpoint(), &resources, scratch.path().to_owned()).await;
        if options.unruly_delivery {
            let unruly = Arc::new(UnrulyDelivery::new(ports.push.clone()));
            ports = ports.with_push(unruly);
        }
        let worker = Worker::start_over(ports, &resources, worker_options);
        Ok(Self {
            moto,
            outputs,
            resources,
            gateway,
            store,
            worker: Some(worker),
            _functions: vec![connect, disconnect, message, http],
            _scratch: scratch,
        })
    }

    /// Stops the worker (its held jobs go back to the queue), then everything else on drop.
    pub async fn stop(mut self) {
        if let Some(worker) = self.worker.take() {
            worker.stop().await;
        }
    }
}

async fn listen(port: u16) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("127.0.0.1:{port}: {e}"))
}

fn io(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// An SDK call's failure, with the service's own words.
fn service_error(service: &str, error: impl std::error::Error) -> String {
    format!(
        "{service}: {}",
        aws_sdk_s3::error::DisplayErrorContext(error)
    )
}

/// The environment the template gives every function, pointed at the simulated stack.
fn function_env(
    resources: &Resources,
    moto: &Moto,
    tokens: &[String],
    page_origin: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = resources
        .tables
        .tables()
        .iter()
        .map(|(table, name)| (table.env_var(), (*name).to_owned()))
        .collect();
    env.extend(
        [
            (settings::BUCKET, resources.bucket.as_str()),
            (settings::QUEUE_URL, resources.queue_url.as_str()),
            (
                settings::MANAGEMENT_ENDPOINT,
                resources.management_endpoint.as_str(),
            ),
            (settings::TOKENS, &tokens.join(",")),
            (settings::ALLOWED_ORIGINS, page_origin),
            ("VIDPUSH_AWS_ENDPOINT", moto.url.as_str()),
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    env
}

/// The media bucket with the template's CORS rule (the page `PUT`s parts and reads `ETag`).
async fn create_bucket(s3: &aws_sdk_s3::Client) -> Result<(), String> {
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .map_err(|e| service_error("S3", e))?;
    let rule = CorsRule::builder()
        .set_allowed_methods(Some(vec!["PUT".into(), "GET".into(), "HEAD".into()]))
        .allowed_origins("*")
        .allowed_headers("*")
        .expose_headers("ETag")
        .max_age_seconds(3600)
        .build()
        .map_err(io)?;
    s3.put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(rule)
                .build()
                .map_err(io)?,
        )
        .send()
        .await
        .map_err(|e| service_error("S3", e))?;
    Ok(())
}

/// The job queue and its dead-letter queue, as in the template; the job queue's URL.
async fn create_queues(sqs: &aws_sdk_sqs::Client) -> Result<String, String> {
    let dead_url = sqs
        .create_queue()
        .queue_name("vidpush-jobs-dead")
        .send()
        .await
        .map_err(|e| service_error("SQS", e))?
        .queue_url
        .unwrap_or_default();
    let dead_arn = sqs
        .get_queue_attributes()
        .queue_url(&dead_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| service_error("SQS", e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or("SQS gave the dead-letter queue no ARN")?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    });
    Ok(sqs
        .create_queue()
        .queue_name("vidpush-jobs")
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            VISIBILITY_SECS.to_string(),
        )
        .send()
        .await
        .map_err(|e| service_error("SQS", e))?
        .queue_url
        .unwrap_or_default())
}
