//! Size limits, binary frames and timeouts close the socket with AWS's codes, and `$disconnect`
//! hears the same code and reason.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

#[tokio::test]
async fn oversized_frame_closes_with_1009() {
    let mut gw = start(|c| c.max_frame_bytes = 1024).await;
    let mut client = gw.connect().await;
    client
        .send(Message::text("x".repeat(2000)))
        .await
        .expect("the frame is written");
    assert_eq!(close_frame(&mut client).await.0, 1009);
    assert_eq!(
        gw.event("$disconnect")
            .await
            .request
            .disconnect
            .expect("close info")
            .code,
        1009
    );
}

#[tokio::test]
async fn oversized_message_in_small_frames_closes_with_1009() {
    let mut gw = start(|c| {
        c.max_frame_bytes = 1024;
        c.max_message_bytes = 2048;
    })
    .await;
    let mut client = gw.connect().await;
    let part = "y".repeat(1000);
    client
        .send(Message::Frame(Frame::message(
            part.clone(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await
        .expect("written");
    for _ in 0..2 {
        client
            .send(Message::Frame(Frame::message(
                part.clone(),
                OpCode::Data(Data::Continue),
                false,
            )))
            .await
            .expect("written");
    }
    client
        .send(Message::Frame(Frame::message(
            part,
            OpCode::Data(Data::Continue),
            true,
        )))
        .await
        .expect("written");
    assert_eq!(close_frame(&mut client).await.0, 1009);
    assert_eq!(
        gw.event("$disconnect")
            .await
            .request
            .disconnect
            .expect("close info")
            .code,
        1009
    );
}

#[tokio::test]
async fn message_within_limits_in_several_frames_is_routed() {
    let gw = start(|c| c.max_frame_bytes = 1024).await;
    let (mut client, _) = gw.connect_with_id().await;
    let body = format!(r#"{{"action":"echo","pad":"{}"}}"#, "z".repeat(1500));
    let (a, b) = body.split_at(900);
    client
        .send(Message::Frame(Frame::message(
            a.to_owned(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await
        .expect("written");
    client
        .send(Message::Frame(Frame::message(
            b.to_owned(),
            OpCode::Data(Data::Continue),
            true,
        )))
        .await
        .expect("written");
    assert_eq!(next_text(&mut client).await, body);
}

#[tokio::test]
async fn binary_frame_closes_with_1003() {
    let mut gw = start(|_| {}).await;
    let mut client = gw.connect().await;
    client
        .send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("the frame is written");
    assert_eq!(close_frame(&mut client).await.0, 1003);
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
async fn idle_connection_closes_with_1001() {
    let mut gw = start(|c| c.idle_timeout = Duration::from_millis(300)).await;
    let mut client = gw.connect().await;
    assert_eq!(
        close_frame(&mut client).await,
        (1001, "idle timeout".to_owned())
    );
    let info = gw
        .event("$disconnect")
        .await
        .request
        .disconnect
        .expect("close info");
    assert_eq!((info.code, info.reason.as_str()), (1001, "idle timeout"));
}

#[tokio::test]
async fn client_messages_keep_a_connection_from_idling_out() {
    let gw = start(|c| c.idle_timeout = Duration::from_millis(1000)).await;
    let (mut client, _) = gw.connect_with_id().await;
    let started = std::time::Instant::now();
    // Six messages 250 ms apart span 1.5 idle timeouts; each echo proves the socket is open.
    for i in 0..6 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        client
            .send(Message::text(format!(r#"{{"action":"echo","i":{i}}}"#)))
            .await
            .expect("still open");
        assert!(next_text(&mut client).await.contains(&format!("\"i\":{i}")));
    }
    assert!(started.elapsed() > Duration::from_millis(1500));
    assert_eq!(
        close_frame(&mut client).await,
        (1001, "idle timeout".to_owned())
    );
}

#[tokio::test]
async fn connection_older_than_its_lifetime_closes_with_1001() {
    let mut gw = start(|c| c.max_lifetime = Duration::from_millis(400)).await;
    let mut client = gw.connect().await;
    assert_eq!(
        close_frame(&mut client).await,
        (1001, "connection lifetime exceeded".to_owned())
    );
    let info = gw
        .event("$disconnect")
        .await
        .request
        .disconnect
        .expect("close info");
    assert_eq!(info.reason, "connection lifetime exceeded");
}

#[tokio::test]
async fn disconnect_gets_the_clients_close_code_and_reason() {
    let mut gw = start(|_| {}).await;
    let mut client = gw.connect().await;
    let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: 4000.into(),
        reason: "bye now".into(),
    };
    client.close(Some(frame)).await.expect("the close is sent");
    let event = gw.event("$disconnect").await;
    let info = event.request.disconnect.expect("close info");
    assert_eq!((info.code, info.reason.as_str()), (4000, "bye now"));
}

#[tokio::test]
async fn disconnect_runs_with_1006_when_the_tcp_connection_drops() {
    let mut gw = start(|_| {}).await;
    let client = gw.connect().await;
    drop(client);
    let info = gw
        .event("$disconnect")
        .await
        .request
        .disconnect
        .expect("close info");
    assert_eq!(info.code, 1006);
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_with_1008_and_its_posts_go_gone() {
    let mut gw = start(|_| {}).await;
    let (_client, id) = gw.connect_with_id().await;
    let connections = gw.gateway.connections();
    // The client never reads: once the kernel's socket buffers are full, posts pile up in the
    // gateway until its per-connection bound refuses them. The loop is bounded well past that
    // bound plus any plausible loopback buffering.
    let message = "z".repeat(100 * 1024);
    let bound = 4 * vidpush_gateway::MAX_QUEUED_BYTES / message.len();
    let mut refused = None;
    for sent in 0..bound {
        if connections.post(&id, message.clone()).is_err() {
            refused = Some(sent);
            break;
        }
        if sent % 16 == 0 {
            // Let the connection's task write what the socket still takes.
            tokio::task::yield_now().await;
        }
    }
    assert!(
        refused.is_some(),
        "a client that never reads was never cut off"
    );
    let close = gw
        .event("$disconnect")
        .await
        .request
        .disconnect
        .expect("close info");
    assert_eq!(close.code, 1008, "{close:?}");
    assert_eq!(
        connections.post(&id, "after"),
        Err(vidpush_gateway::PostError::Gone)
    );
}
