//! `@connections` through the unmodified AWS SDK against the local gateway in AWS mode: the
//! stage prefix, SigV4, and the error kinds the SDK reads from `x-amzn-ErrorType`.

use aws_credential_types::Credentials;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use vidpush_aws::ApiGatewayPush;
use vidpush_aws::sdk::LOCAL_REGION;
use vidpush_gateway::{AccessKey, AwsApi, Gateway, GatewayConfig, RouteRequest, RouteResponse};
use vidpush_server::ports::{Push, PushError};

const STAGE: &str = "local";
const KEY_ID: &str = "AKIDVIDPUSHLOCAL";
const SECRET: &str = "vidpush-local-secret";

/// How long a test waits for a frame before failing; generous, the machine is shared.
const WAIT: Duration = Duration::from_secs(10);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Served {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// A gateway in AWS mode with a `whoami` route that answers the connection id.
async fn gateway() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let mut config = GatewayConfig::new(dir.path().join("gateway.db"), "bearer-key");
    config.aws = Some(AwsApi {
        stage: STAGE.into(),
        region: LOCAL_REGION.into(),
        credentials: vec![AccessKey {
            id: KEY_ID.into(),
            secret: SECRET.into(),
        }],
    });
    let gateway = Gateway::builder(config)
        .route("whoami", |r: RouteRequest| async move {
            RouteResponse::reply(r.connection_id.to_string())
        })
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = gateway
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Served { addr, _dir: dir }
}

/// A connected client and its connection id.
async fn connect(addr: SocketAddr) -> (Socket, String) {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    socket
        .send(Message::text(r#"{"action":"whoami"}"#))
        .await
        .unwrap();
    let id = next_text(&mut socket).await;
    (socket, id)
}

async fn next_text(socket: &mut Socket) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame arrives")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = frame {
            return text.to_string();
        }
    }
}

async fn sdk_config(secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(LOCAL_REGION))
        .credentials_provider(Credentials::new(KEY_ID, secret, None, None, "test"))
        .load()
        .await
}

fn endpoint(addr: SocketAddr) -> String {
    format!("http://{addr}/{STAGE}")
}

#[tokio::test]
async fn a_signed_post_from_the_sdk_reaches_the_connection() {
    let served = gateway().await;
    let (mut socket, id) = connect(served.addr).await;
    let push = ApiGatewayPush::new(&sdk_config(SECRET).await, &endpoint(served.addr));
    push.post(&id, r#"{"type":"hello"}"#.into()).await.unwrap();
    assert_eq!(next_text(&mut socket).await, r#"{"type":"hello"}"#);
}

#[tokio::test]
async fn a_post_to_a_closed_connection_is_gone_for_the_sdk() {
    let served = gateway().await;
    let push = ApiGatewayPush::new(&sdk_config(SECRET).await, &endpoint(served.addr));
    let result = push.post("AAAAAAAAAAAAAAAA", "{}".into()).await;
    assert!(matches!(result, Err(PushError::Gone)), "{result:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_a_signature_mismatch() {
    let served = gateway().await;
    let (_socket, id) = connect(served.addr).await;
    let push = ApiGatewayPush::new(&sdk_config("not-the-secret").await, &endpoint(served.addr));
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
    let served = gateway().await;
    let (mut socket, id) = connect(served.addr).await;
    let config = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk_config(SECRET).await)
        .endpoint_url(endpoint(served.addr))
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
