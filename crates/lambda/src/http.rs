//! The HTTP API function: the local server's `/api` router ([`vidpush_server::app::http_api`])
//! over the AWS adapters — upload records in DynamoDB and their bytes in S3's own multipart
//! upload, jobs on SQS, results, thumbnails and videos redirected to presigned S3 `GET`s — run
//! by `lambda_http` behind API Gateway's HTTP API (payload format 2.0).

use crate::functions::AccessPolicy;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use clap::Parser;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use vidpush_aws::control::StoredJobControl;
use vidpush_aws::s3::S3Uploads;
use vidpush_aws::sdk::Endpoint;
use vidpush_aws::settings::Resources;
use vidpush_aws::wiring::AwsPorts;
use vidpush_gateway::ConnectRate;
use vidpush_gateway::rate::ConnectLimiter;
use vidpush_server::config::ServerConfig;
use vidpush_server::ids::new_id;
use vidpush_server::state::AppState;
use vidpush_server::uploads::multipart::part_url::PartSigner;

/// The API's router over the AWS adapters at `endpoint`. The server's own settings (the upload
/// limit above all) come from the same `VIDPUSH_*` variables as locally.
pub async fn router(
    endpoint: &Endpoint,
    resources: Resources,
    policy: AccessPolicy,
) -> Result<Router, String> {
    let config = ServerConfig::try_parse_from(["vidpush-http"]).map_err(|e| e.to_string())?;
    let ports = AwsPorts::connect(endpoint, &resources, std::env::temp_dir()).await;
    let jobs = Arc::new(StoredJobControl::over(&ports, &resources));
    let state = AppState {
        config: Arc::new(config),
        uploads: Arc::new(ports.store.clone()),
        upload_space: Arc::new(S3Uploads::new(
            ports.s3.clone(),
            resources.bucket.clone(),
            ports.store.clone(),
        )),
        job_store: ports.job_store,
        job_objects: ports.objects,
        door: Arc::new(policy.door()),
        publisher: ports.publisher,
        jobs,
        upload_claims: Default::default(),
        // The part `PUT` it checks is not routed here (parts go to S3): a key of its own.
        part_signer: PartSigner::new(&new_id()),
        parts_in_flight: Default::default(),
        upload_writers: Default::default(),
        // Failed token checks are counted per execution environment; API Gateway's own
        // throttling bounds the rest.
        failed_auth: Arc::new(ConnectLimiter::new(ConnectRate::default())),
    };
    Ok(vidpush_server::app::http_api(state).layer(axum::middleware::from_fn(source_ip)))
}

/// Gives the handlers the caller's address from the HTTP API's request context, where the
/// local server has the TCP peer: the failed-token budget is per caller in both homes.
async fn source_ip(mut request: Request, next: Next) -> Response {
    let ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse::<IpAddr>().ok()),
        _ => None,
    };
    if let Some(ip) = ip {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    next.run(request).await
}

/// The function binary's whole life: JSON logs, the router built from the environment once (a
/// cold start), then one request after another through the Lambda Runtime API.
pub async fn serve() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt().json().without_time().init();
    let resources = Resources::from_env()?;
    let router = router(&Endpoint::from_env(), resources, AccessPolicy::from_env()).await?;
    lambda_http::run(router).await
}
