//! Every handshake refusal answers a plain HTTP status before any upgrade.

mod common;

use axum::http::StatusCode;
use common::*;
use vidpush_gateway::{
    ConnectRate, Gateway, Handshake, Principal, Refusal, RouteRequest, RouteResponse,
};

#[tokio::test]
async fn missing_or_bad_token_is_refused_with_401() {
    let gw = start(|c| c.tokens = vec!["good".into()]).await;
    assert_eq!(gw.try_connect("", None).await.err(), Some(401));
    assert_eq!(gw.try_connect("?token=bad", None).await.err(), Some(401));
}

#[tokio::test]
async fn good_token_connects_and_connect_route_sees_its_principal() {
    let mut gw = start(|c| c.tokens = vec!["good".into(), "other".into()]).await;
    gw.try_connect("?token=good", None)
        .await
        .expect("a configured token is accepted");
    let event = gw.event("$connect").await;
    assert_eq!(event.request.principal, Some(Principal::of_token("good")));
    assert_eq!(event.request.identity.user_agent, "gateway-tests/1");
}

#[tokio::test]
async fn no_tokens_configured_means_none_needed() {
    let mut gw = start(|_| {}).await;
    gw.try_connect("", None).await.expect("no token is needed");
    assert_eq!(gw.event("$connect").await.request.principal, None);
}

#[tokio::test]
async fn origin_not_on_allowlist_is_refused_with_403() {
    let gw = start(|c| c.allowed_origins = vec!["http://app.local:8080".into()]).await;
    assert_eq!(
        gw.try_connect("", Some("http://evil.example")).await.err(),
        Some(403)
    );
    gw.try_connect("", Some("http://app.local:8080"))
        .await
        .expect("an allowed origin connects");
    gw.try_connect("", None)
        .await
        .expect("a client without Origin is not a browser and connects");
}

#[tokio::test]
async fn too_many_attempts_from_one_ip_are_refused_with_429() {
    let gw = start(|c| {
        c.connect_rate = ConnectRate {
            per_second: 1,
            burst: 2,
        }
    })
    .await;
    let _a = gw.try_connect("", None).await.expect("first of the burst");
    let _b = gw.try_connect("", None).await.expect("second of the burst");
    assert_eq!(gw.try_connect("", None).await.err(), Some(429));
}

#[tokio::test]
async fn connection_cap_is_refused_with_503() {
    let gw = start(|c| c.max_connections = 1).await;
    let _held = gw.connect().await;
    assert_eq!(gw.try_connect("", None).await.err(), Some(503));
}

#[tokio::test]
async fn connect_route_can_reject_with_its_own_status() {
    let (config, dir) = config();
    let builder = Gateway::builder(config).route("$connect", |_: RouteRequest| async {
        RouteResponse::reject(StatusCode::PAYMENT_REQUIRED)
    });
    let (_, events) = tokio::sync::mpsc::unbounded_channel();
    let gw = serve(builder, events, dir).await;
    assert_eq!(gw.try_connect("", None).await.err(), Some(402));
}

#[tokio::test]
async fn peek_handshake_gives_the_same_answer_without_using_the_rate_budget() {
    let gw = start(|c| {
        c.tokens = vec!["good".into()];
        c.connect_rate = ConnectRate {
            per_second: 1,
            burst: 1,
        };
    })
    .await;
    let probe = |token| Handshake {
        source_ip: [127, 0, 0, 1].into(),
        origin: None,
        token,
        user_agent: None,
    };
    for _ in 0..5 {
        assert_eq!(
            gw.gateway.peek_handshake(&probe(None)),
            Err(Refusal::BadToken)
        );
        assert!(gw.gateway.peek_handshake(&probe(Some("good"))).is_ok());
    }
    gw.try_connect("?token=good", None)
        .await
        .expect("peeks did not use the one attempt");
    let refused = gw.gateway.peek_handshake(&probe(Some("good"))).unwrap_err();
    assert_eq!(
        (refused.status().as_u16(), refused.kind()),
        (429, "too_many_attempts")
    );
    assert_eq!(
        gw.gateway.authorize(Some("good")),
        Ok(Some(Principal::of_token("good")))
    );
}
