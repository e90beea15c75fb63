//! The HTTP API driven in-process, without a socket, as axum's testing example does: the app
//! is built with [`App::build`] and each request goes through `tower::ServiceExt::oneshot`.
//! Also pins that stopping the app ends every task it started.

mod support;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use support::ScriptedAnalyzer;
use tower::ServiceExt;
use vidpush_protocol::multipart::{CreateMultipartRequest, CreateMultipartResponse};
use vidpush_protocol::{ApiError, Health};
use vidpush_server::App;
use vidpush_server::config::ServerConfig;

/// The address the in-process app believes it serves (no socket is bound).
const ADDR: &str = "127.0.0.1:8080";

async fn app(data: &tempfile::TempDir) -> App {
    let dir = data.path().to_str().unwrap();
    let config = ServerConfig::try_parse_from([
        "vidpush-server",
        "--data-dir",
        dir,
        "--static-dir",
        "/nonexistent",
    ])
    .unwrap();
    App::build(config, ScriptedAnalyzer::new(1), ADDR.parse().unwrap())
        .await
        .unwrap()
}

/// One request through the router, with the peer address a socket would have given.
async fn call(app: &App, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let response = app
        .router
        .clone()
        .layer(MockConnectInfo(peer))
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

#[tokio::test]
async fn the_api_answers_without_a_socket() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data).await;

    let (status, body) = call(
        &app,
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let health: Health = serde_json::from_slice(&body).unwrap();
    assert_eq!(health.status, "ok");

    let create = CreateMultipartRequest {
        file_name: "clip.mp4".into(),
        file_type: "video/mp4".into(),
        size: 1_000_000,
    };
    let (status, body) = call(
        &app,
        Request::post("/api/multipart")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&create).unwrap()))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let created: CreateMultipartResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(created.part_count, 1);

    let (status, body) = call(
        &app,
        Request::get("/api/jobs/0123456789abcdefghjkmnpqrs")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let error: ApiError = serde_json::from_slice(&body).unwrap();
    assert!(
        error.message.to_lowercase().contains("no job"),
        "{}",
        error.message
    );
    app.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn stopping_the_app_ends_every_task_it_started() {
    let data = tempfile::tempdir().unwrap();
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let app = app(&data).await;
    assert!(
        metrics.num_alive_tasks() > before,
        "workers, the orphan watch and the sweep run"
    );
    tokio::time::timeout(support::PATIENCE, app.stop())
        .await
        .expect("the app stops");
    // A task ends when its future is dropped; give the scheduler one turn to drop them.
    tokio::task::yield_now().await;
    assert_eq!(
        metrics.num_alive_tasks(),
        before,
        "no task outlives the app"
    );
}
