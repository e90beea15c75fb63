//! The HTTP routers: [`app`], the one process's (`/api`, the gateway's `/ws` and
//! `/@connections`, and the built app as static files), and [`http_api`], the same API without
//! the local upload endpoints, as a function behind API Gateway's HTTP API serves it; and the
//! small service endpoints (`/api/health`, `/api/connect-check`).

use crate::auth::{self, SourceIp};
use crate::error::ApiFailure;
use crate::state::AppState;
use crate::{jobs, uploads};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use axum::routing::{any, get};
use axum::{Json, Router};
use std::path::PathBuf;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use vidpush_gateway::{Gateway, Handshake, Refusal};
use vidpush_protocol::{ConnectCheck, ConnectVerdict, Health};

/// Headers a browser page may send to and read from the API across origins (tus needs them).
const TUS_HEADERS: [&str; 11] = [
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "tus-checksum-algorithm",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-expires",
    "upload-checksum",
    "upload-defer-length",
];

/// The whole HTTP surface of the one process: the API with its local upload endpoints (tus,
/// and the part `PUT` of multipart uploads), the gateway, and the built app.
pub fn app(state: AppState, gateway: &Gateway, static_dir: Option<PathBuf>) -> Router {
    let local_uploads = uploads::tus::routes().merge(uploads::multipart::part_routes());
    let router = api(state, local_uploads).merge(gateway.router());
    match static_dir {
        Some(dir) => {
            let index = dir.join("index.html");
            router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        }
        None => router,
    }
}

/// The API as the HTTP API function serves it on AWS: uploads go to S3 directly, so neither tus
/// nor the part `PUT` is here (a request for them gets the API's 404).
pub fn http_api(state: AppState) -> Router {
    api(state, Router::new())
}

/// `/api`, with `extra` routes, CORS for the allowed origins, and `connect-check`.
fn api(state: AppState, extra: Router<AppState>) -> Router {
    let origins: Vec<HeaderValue> = state
        .door
        .allowed_origins()
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let mut headers: Vec<HeaderName> = TUS_HEADERS
        .iter()
        .map(|h| HeaderName::from_static(h))
        .collect();
    headers.extend([
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        header::LOCATION,
        HeaderName::from_static("x-requested-with"),
        // A multipart part's `PUT` answers with its ETag, which the page must read.
        header::ETAG,
    ]);
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::HEAD,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(headers.clone())
        .expose_headers(headers);
    // `connect-check` exists to tell a refused page why, a refused origin included, so every
    // origin may read it; it answers with a verdict only and takes no credentials but the
    // token it is asked about.
    let diagnosis = Router::new()
        .route("/api/connect-check", get(connect_check))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::any())
                .allow_methods([Method::GET]),
        );
    let api = Router::new()
        .route("/api/health", get(health))
        .merge(extra)
        .merge(uploads::multipart::routes())
        .merge(jobs::api::routes())
        .route(
            "/api/{*rest}",
            any(|| async { ApiFailure::NotFound("no such API endpoint".into()) }),
        )
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            uploads::tus::discovery_before_cors,
        ));
    api.merge(diagnosis).with_state(state)
}

/// `GET /api/health`, with the upload limit the page checks picked files against.
async fn health(State(app): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        max_upload_bytes: Some(app.config.max_upload_bytes),
    })
}

/// `GET /api/connect-check?token=…`: the verdict a WebSocket handshake from this page would
/// get, in a form a browser can read.
async fn connect_check(
    State(state): State<AppState>,
    SourceIp(ip): SourceIp,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<ConnectCheck>, ApiFailure> {
    let token = auth::query_token(&uri)?;
    let handshake = Handshake {
        source_ip: ip,
        origin: headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        token: token.as_deref(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    };
    // An address out of failed attempts hears so before its token is looked at.
    let verdict = match auth::ensure_attempts_left(&state, ip) {
        Ok(()) => state.door.peek_handshake(&handshake),
        Err(_) => Err(Refusal::TooManyAttempts),
    };
    if verdict == Err(Refusal::BadToken) {
        auth::charge_failure(&state, ip);
    }
    Ok(Json(match verdict {
        Ok(_) => ConnectCheck {
            verdict: ConnectVerdict::Ok,
            status: 101,
            message: "the WebSocket would be accepted".into(),
        },
        Err(refusal) => {
            let verdict = match refusal.status().as_u16() {
                401 => ConnectVerdict::Unauthorized,
                403 => ConnectVerdict::OriginNotAllowed,
                429 => ConnectVerdict::Throttled,
                _ => ConnectVerdict::AtCapacity,
            };
            ConnectCheck {
                verdict,
                status: refusal.status().as_u16(),
                message: refusal.to_string(),
            }
        }
    }))
}
