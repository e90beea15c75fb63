//! Frames that break RFC 6455 close the socket with its codes (1007 for text that is not UTF-8,
//! 1002 for protocol violations), and `$disconnect` hears the same code and reason.
//!
//! tungstenite's client writes any `Frame` it is given, so the bad frames are built with it; only
//! the masking is out of its hands (a client always masks), which no test here needs.

mod common;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Bytes that are not UTF-8: a lone continuation byte and a truncated two-byte sequence.
const NOT_UTF8: &[u8] = b"{\"action\":\"echo\",\"x\":\"\x80\xc3\"}";

/// Writes `frames` as they are.
async fn send_frames(client: &mut Client, frames: Vec<Frame>) {
    for frame in frames {
        client
            .send(Message::Frame(frame))
            .await
            .expect("the frame is written");
    }
}

/// Sends `frames` on a fresh connection and returns the code of the server's close frame and
/// the (code, reason) `$disconnect` heard.
async fn close_after(frames: Vec<Frame>) -> (u16, (u16, String)) {
    let mut gw = start(|_| {}).await;
    let mut client = gw.connect().await;
    send_frames(&mut client, frames).await;
    let (code, _) = close_frame(&mut client).await;
    let heard = gw
        .event("$disconnect")
        .await
        .request
        .disconnect
        .expect("close info");
    (code, (heard.code, heard.reason))
}

fn invalid_utf8_closed() -> (u16, String) {
    (1007, "text is not valid UTF-8".to_owned())
}

fn protocol_error_closed() -> (u16, String) {
    (1002, "protocol error".to_owned())
}

#[tokio::test]
async fn invalid_utf8_text_closes_with_1007() {
    let text = Frame::message(NOT_UTF8.to_vec(), OpCode::Data(Data::Text), true);
    assert_eq!(close_after(vec![text]).await, (1007, invalid_utf8_closed()));
}

#[tokio::test]
async fn invalid_utf8_split_across_fragments_closes_with_1007() {
    // The first fragment ends in the lead byte of a two-byte character, which is fine until the
    // next fragment does not continue it: only the message as a whole is not UTF-8.
    let frames = vec![
        Frame::message(
            b"{\"action\":\"echo\",\"x\":\"\xc3".to_vec(),
            OpCode::Data(Data::Text),
            false,
        ),
        Frame::message(b"\"}".to_vec(), OpCode::Data(Data::Continue), true),
    ];
    assert_eq!(close_after(frames).await, (1007, invalid_utf8_closed()));
}

#[tokio::test]
async fn frame_with_a_reserved_bit_closes_with_1002() {
    // No extension is negotiated, so RSV1 (permessage-deflate's bit) has no meaning.
    let mut text = Frame::message(r#"{"action":"echo"}"#, OpCode::Data(Data::Text), true);
    text.header_mut().rsv1 = true;
    assert_eq!(
        close_after(vec![text]).await,
        (1002, protocol_error_closed())
    );
}

#[tokio::test]
async fn fragmented_control_frame_closes_with_1002() {
    let mut ping = Frame::ping(b"half".to_vec());
    ping.header_mut().is_final = false;
    assert_eq!(
        close_after(vec![ping]).await,
        (1002, protocol_error_closed())
    );
}

#[tokio::test]
async fn continuation_without_a_first_fragment_closes_with_1002() {
    let orphan = Frame::message(r#"{"action":"echo"}"#, OpCode::Data(Data::Continue), true);
    assert_eq!(
        close_after(vec![orphan]).await,
        (1002, protocol_error_closed())
    );
}
