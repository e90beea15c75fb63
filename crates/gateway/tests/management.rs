//! `@connections` over HTTP and in process: every status, ordering, and what GET reports.

mod common;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use vidpush_gateway::{Gateway, Gone, PostError, RouteRequest, RouteResponse};

#[tokio::test]
async fn post_delivers_text_frames_in_post_order() {
    let gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    for i in 0..20 {
        assert_eq!(
            gw.management("POST", &id, Some(KEY), format!("m{i}").as_bytes())
                .await
                .0,
            200
        );
    }
    for i in 0..20 {
        assert_eq!(next_text(&mut client).await, format!("m{i}"));
    }
}

#[tokio::test]
async fn in_process_posts_keep_order_and_non_utf8_goes_as_binary() {
    let gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    let connections = gw.gateway.connections();
    for i in 0..500 {
        connections
            .post(&id, format!("n{i}"))
            .expect("the connection is open");
    }
    connections
        .post(&id, vec![0xffu8, 0xfe])
        .expect("the connection is open");
    for i in 0..500 {
        assert_eq!(next_text(&mut client).await, format!("n{i}"));
    }
    assert_eq!(next(&mut client).await, Message::binary(vec![0xffu8, 0xfe]));
}

#[tokio::test]
async fn post_to_unknown_connection_is_410() {
    let gw = start(|_| {}).await;
    assert_eq!(
        gw.management("POST", "AAAAAAAAAAAAAAAA", Some(KEY), b"hi")
            .await
            .0,
        410
    );
    assert_eq!(
        gw.gateway.connections().post("AAAAAAAAAAAAAAAA", "hi"),
        Err(PostError::Gone)
    );
}

#[tokio::test]
async fn post_over_the_message_limit_is_413() {
    let gw = start(|c| {
        c.max_frame_bytes = 1000;
        c.max_message_bytes = 1000;
    })
    .await;
    let (_client, id) = gw.connect_with_id().await;
    assert_eq!(
        gw.management("POST", &id, Some(KEY), &[b'a'; 1001]).await.0,
        413
    );
    assert_eq!(
        gw.management("POST", &id, Some(KEY), &[b'a'; 1000]).await.0,
        200
    );
    let err = gw
        .gateway
        .connections()
        .post(&id, vec![b'a'; 1001])
        .unwrap_err();
    assert_eq!(
        err,
        PostError::PayloadTooLarge {
            size: 1001,
            max: 1000
        }
    );
}

#[tokio::test]
async fn bad_or_missing_management_key_is_403() {
    let gw = start(|_| {}).await;
    let (_client, id) = gw.connect_with_id().await;
    for method in ["POST", "GET", "DELETE"] {
        assert_eq!(
            gw.management(method, &id, None, b"x").await.0,
            403,
            "{method} without key"
        );
        assert_eq!(
            gw.management(method, &id, Some("wrong"), b"x").await.0,
            403,
            "{method} bad key"
        );
    }
}

#[tokio::test]
async fn get_describes_the_connection_like_aws() {
    let gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    let (status, body) = gw.management("GET", &id, Some(KEY), b"").await;
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(info["identity"]["userAgent"], "gateway-tests/1");
    let connected = info["connectedAt"].as_str().expect("a string");
    assert!(connected.len() == 24 && connected.ends_with('Z') && connected.as_bytes()[10] == b'T');
    // lastActiveAt follows client messages and is read from memory, never stale.
    let before = gw
        .gateway
        .connections()
        .get(&id)
        .expect("open")
        .last_active_at;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    client
        .send(Message::text(r#"{"action":"echo"}"#))
        .await
        .expect("open");
    next_text(&mut client).await;
    let after = gw
        .gateway
        .connections()
        .get(&id)
        .expect("open")
        .last_active_at;
    assert!(after > before, "{after} > {before}");
    assert_eq!(
        gw.management("GET", "AAAAAAAAAAAAAAAA", Some(KEY), b"")
            .await
            .0,
        410
    );
}

#[tokio::test]
async fn delete_answers_204_closes_with_1000_and_then_the_id_is_gone() {
    let mut gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    assert_eq!(gw.management("DELETE", &id, Some(KEY), b"").await.0, 204);
    assert_eq!(close_frame(&mut client).await.0, 1000);
    assert_eq!(
        gw.event("$disconnect")
            .await
            .request
            .disconnect
            .expect("close info")
            .code,
        1000
    );
    assert_eq!(gw.management("DELETE", &id, Some(KEY), b"").await.0, 410);
    assert_eq!(gw.management("POST", &id, Some(KEY), b"late").await.0, 410);
    assert_eq!(gw.management("GET", &id, Some(KEY), b"").await.0, 410);
}

#[tokio::test]
async fn a_connection_in_its_close_handshake_is_gone_to_every_verb() {
    let mut gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    assert_eq!(gw.management("DELETE", &id, Some(KEY), b"").await.0, 204);
    // The client has not read the close frame, so the gateway is still waiting (up to ~2 s)
    // for its answer: the connection is closing, and closing is gone, as on AWS.
    assert_eq!(gw.management("GET", &id, Some(KEY), b"").await.0, 410);
    assert_eq!(gw.gateway.connections().get(&id), Err(Gone));
    assert_eq!(gw.management("POST", &id, Some(KEY), b"late").await.0, 410);
    assert_eq!(gw.management("DELETE", &id, Some(KEY), b"").await.0, 410);
    // The close still completes normally once the client answers it.
    assert_eq!(close_frame(&mut client).await.0, 1000);
    gw.event("$disconnect").await;
    assert_eq!(gw.management("GET", &id, Some(KEY), b"").await.0, 410);
}

#[tokio::test]
async fn a_connection_the_gateway_is_closing_itself_is_gone_to_every_verb() {
    let mut gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    client
        .send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("open");
    // Our close frame is here, our answer is not sent yet: the gateway waits (up to ~2 s) for it.
    assert_eq!(close_frame(&mut client).await.0, 1003);
    assert_eq!(gw.management("GET", &id, Some(KEY), b"").await.0, 410);
    assert_eq!(gw.gateway.connections().get(&id), Err(Gone));
    assert_eq!(gw.management("POST", &id, Some(KEY), b"lost").await.0, 410);
    assert_eq!(gw.management("DELETE", &id, Some(KEY), b"").await.0, 410);
    assert_eq!(
        gw.event("$disconnect")
            .await
            .request
            .disconnect
            .expect("close info")
            .code,
        1003
    );
}

#[tokio::test]
async fn a_connection_still_in_connect_is_gone_to_posts() {
    let (config, dir) = config();
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let gateway_slot = std::sync::Arc::new(std::sync::OnceLock::<Gateway>::new());
    let seen = gateway_slot.clone();
    let builder = Gateway::builder(config).route("$connect", move |r: RouteRequest| {
        let gateway = seen.get().expect("set before any connection").clone();
        let tx = tx.clone();
        async move {
            let outcome = gateway.connections().post(&r.connection_id, "too early");
            let _ = tx.send(Event {
                route_key: format!("{outcome:?}"),
                request: r,
            });
            RouteResponse::ok()
        }
    });
    let mut gw = serve(builder, events, dir).await;
    gateway_slot.set(gw.gateway.clone()).expect("set once");
    let _client = gw.connect().await;
    gw.event("Err(Gone)").await;
}

#[tokio::test]
async fn errors_name_their_aws_exception_in_x_amzn_error_type_as_the_sdk_expects() {
    let gw = start(|_| {}).await;
    let path = "/@connections/AAAAAAAAAAAAAAAA";
    let (status, head, _) = http_with_head(gw.addr, "POST", path, Some(KEY), b"hi").await;
    assert_eq!(status, 410);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-errortype: goneexception"),
        "{head}"
    );
    let (status, head, _) = http_with_head(gw.addr, "GET", path, Some("wrong"), b"").await;
    assert_eq!(status, 403);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-errortype: forbiddenexception"),
        "{head}"
    );
}
