//! `@connections` through the unmodified AWS SDK against the local gateway in AWS mode: the
//! stage prefix, SigV4, and the error kinds the SDK reads from `x-amzn-ErrorType`.

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use vidpush_aws::ApiGatewayPush;
use vidpush_aws::testing::gateway::{AwsGateway, SECRET, WAIT, next_text, signing_config};
use vidpush_server::ports::{Push, PushError};

#[tokio::test]
async fn a_signed_post_from_the_sdk_reaches_the_connection() {
    let gateway = AwsGateway::start().await;
    let (mut socket, id) = gateway.connect().await;
    let push = ApiGatewayPush::new(&signing_config(SECRET).await, &gateway.endpoint());
    push.post(&id, r#"{"type":"hello"}"#.into()).await.unwrap();
    assert_eq!(next_text(&mut socket).await, r#"{"type":"hello"}"#);
}

#[tokio::test]
async fn a_post_to_a_closed_connection_is_gone_for_the_sdk() {
    let gateway = AwsGateway::start().await;
    let push = ApiGatewayPush::new(&signing_config(SECRET).await, &gateway.endpoint());
    let result = push.post("AAAAAAAAAAAAAAAA", "{}".into()).await;
    assert!(matches!(result, Err(PushError::Gone)), "{result:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_a_signature_mismatch() {
    let gateway = AwsGateway::start().await;
    let (_socket, id) = gateway.connect().await;
    let push = ApiGatewayPush::new(&signing_config("not-the-secret").await, &gateway.endpoint());
    match push.post(&id, "{}".into()).await {
        Err(PushError::Failed(text)) => {
            assert!(text.contains("ForbiddenException"), "{text}");
            assert!(text.contains("signature"), "{text}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn get_and_delete_connection_work_through_the_sdk() {
    let gateway = AwsGateway::start().await;
    let (mut socket, id) = gateway.connect().await;
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(&signing_config(SECRET).await)
        .endpoint_url(gateway.endpoint())
        .build();
    let client = aws_sdk_apigatewaymanagement::Client::from_conf(config);
    let info = client
        .get_connection()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    assert!(info.connected_at.is_some());
    assert_eq!(
        info.identity.and_then(|i| i.source_ip).as_deref(),
        Some("127.0.0.1")
    );
    client
        .delete_connection()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("the connection closes");
    assert_eq!(closed, Some(1000));
    let again = client.delete_connection().connection_id(&id).send().await;
    assert!(
        again
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_gone_exception()),
        "{again:?}"
    );
}
