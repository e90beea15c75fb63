//! The real function binaries behind the local gateway, as API Gateway runs them: each route's
//! integration invokes its function through the Lambda Runtime API with AWS's event JSON, and
//! the functions push back through `@connections` with the unmodified SDK (SigV4, `/{stage}`).
//! Only moto stands in for AWS's datastores: this is the simulated stack
//! (`vidpush_aws::testing::stack`), environment and wiring as the template's.

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use vidpush_aws::testing::gateway::{Socket, next_text};
use vidpush_aws::testing::stack::{FunctionBinaries, SimulatedStack, StackOptions};
use vidpush_gateway::Principal;
use vidpush_protocol::{EventBody, JobId, UploadId};
use vidpush_server::ports::{JobStore, UploadRecord};

const TOKEN: &str = "alice-token";

/// The simulated stack with the crate's own function binaries, accepting two tokens.
async fn stack() -> SimulatedStack {
    let mut options = StackOptions::new(FunctionBinaries {
        connect: env!("CARGO_BIN_EXE_vidpush-connect").into(),
        disconnect: env!("CARGO_BIN_EXE_vidpush-disconnect").into(),
        message: env!("CARGO_BIN_EXE_vidpush-message").into(),
        http: env!("CARGO_BIN_EXE_vidpush-http").into(),
    });
    options.tokens = vec![TOKEN.into(), "bob-token".into()];
    SimulatedStack::start(options).await.unwrap()
}

/// The page's origin, the one the functions allow.
fn origin(stack: &SimulatedStack) -> &str {
    &stack.outputs.page_url
}

/// Opens a WebSocket from `origin` with `token`; the refusal's HTTP status otherwise.
async fn open(stack: &SimulatedStack, origin: &str, token: &str) -> Result<Socket, u16> {
    let mut request = format!("ws://{}/ws?token={token}", stack.gateway.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(origin).unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("the handshake failed: {other}"),
    }
}

#[tokio::test]
async fn the_connect_function_refuses_through_the_gateway_with_its_status() {
    let stack = stack().await;
    assert_eq!(open(&stack, origin(&stack), "wrong").await.err(), Some(401));
    assert_eq!(
        open(&stack, "https://evil.example", TOKEN).await.err(),
        Some(403)
    );
    assert!(open(&stack, origin(&stack), TOKEN).await.is_ok());
}

#[tokio::test]
async fn subscribe_replays_through_the_functions_and_disconnect_forgets_the_connection() {
    let stack = stack().await;
    let upload = UploadRecord {
        id: UploadId("u1".into()),
        length: 10,
        offset: 10,
        file_name: "clip.mp4".into(),
        file_type: "video/mp4".into(),
        owner: Some(Principal::of_token(TOKEN).as_str().to_owned()),
        updated_at_ms: 0,
    };
    let (job, _) = stack
        .store
        .create_job(upload, JobId("j1".into()), None)
        .await
        .unwrap();
    stack
        .store
        .append_event(&job.id, EventBody::Started)
        .await
        .unwrap();
    let mut socket = open(&stack, origin(&stack), TOKEN).await.unwrap();
    socket
        .send(Message::text(r#"{"action":"ping"}"#))
        .await
        .unwrap();
    let pong = next_text(&mut socket).await;
    assert!(pong.contains("pong"), "{pong}");
    socket
        .send(Message::text(
            r#"{"action":"subscribe","jobId":"j1","afterSeq":0}"#,
        ))
        .await
        .unwrap();
    let subscribed = next_text(&mut socket).await;
    assert!(subscribed.contains("subscribed"), "{subscribed}");
    let first = next_text(&mut socket).await;
    let second = next_text(&mut socket).await;
    assert!(
        first.contains("job.queued") && first.contains("\"seq\":1"),
        "{first}"
    );
    assert!(
        second.contains("job.started") && second.contains("\"seq\":2"),
        "{second}"
    );
    socket.close(None).await.unwrap();
    while socket.next().await.is_some() {}
    // `$disconnect` runs after the close; its function removes the subscription.
    let closed = Instant::now();
    loop {
        let subscribers = vidpush_server::ports::Subscriptions::subscribers(&stack.store, &job.id)
            .await
            .unwrap();
        if subscribers.is_empty() {
            break;
        }
        assert!(
            closed.elapsed() < Duration::from_secs(20),
            "$disconnect never removed the subscription"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
