//! Messages reach routes by their JSON `action`; everything else reaches `$default` or gets AWS's
//! Forbidden reply.

mod common;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn action_selects_the_named_route_and_its_reply_reaches_the_sender() {
    let gw = start(|_| {}).await;
    let (mut client, _) = gw.connect_with_id().await;
    client
        .send(Message::text(r#"{"action":"echo","n":1}"#))
        .await
        .expect("open");
    assert_eq!(next_text(&mut client).await, r#"{"action":"echo","n":1}"#);
}

#[tokio::test]
async fn unknown_action_and_non_json_go_to_default() {
    let mut gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    for text in [
        r#"{"action":"nope"}"#,
        "plain words",
        r#"["echo"]"#,
        r#"{"action":7}"#,
    ] {
        client.send(Message::text(text)).await.expect("open");
        assert_eq!(next_text(&mut client).await, "default");
        let event = gw.event("$default").await;
        assert_eq!(event.request.body.as_deref(), Some(text));
        assert_eq!(event.request.connection_id.as_str(), id);
        assert!(!event.request.request_id.is_empty());
    }
}

#[tokio::test]
async fn without_default_an_unmatched_message_gets_aws_forbidden_reply() {
    let gw = start_with(|_| {}, false).await;
    let (mut client, id) = gw.connect_with_id().await;
    client
        .send(Message::text(r#"{"action":"nope"}"#))
        .await
        .expect("open");
    let reply: serde_json::Value =
        serde_json::from_str(&next_text(&mut client).await).expect("JSON");
    assert_eq!(reply["message"], "Forbidden");
    assert_eq!(reply["connectionId"], id.as_str());
    assert!(reply["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    let keys: Vec<_> = reply
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.len(), 3);
}
