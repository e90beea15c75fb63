//! The real function binaries behind the local gateway, as API Gateway runs them: each route's
//! integration invokes its function through the Lambda Runtime API with AWS's event JSON, and
//! the functions push back through `@connections` with the unmodified SDK (SigV4, `/{stage}`).
//! Only moto stands in for AWS's datastores.

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use vidpush_aws::dynamodb::schema::TABLES;
use vidpush_aws::dynamodb::{DynamoStore, TableNames};
use vidpush_aws::settings;
use vidpush_aws::testing::Moto;
use vidpush_aws::testing::gateway::{AwsGateway, Bound, KEY_ID, SECRET, Socket, next_text};
use vidpush_gateway::Principal;
use vidpush_gateway::lambda::{ApiFacts, FunctionSpec, LambdaFunction, LambdaIntegration};
use vidpush_protocol::{EventBody, JobId, UploadId};
use vidpush_server::backend::MESSAGE_ROUTES;
use vidpush_server::ports::{JobStore, UploadRecord};

const ORIGIN: &str = "https://page.example";
const TOKEN: &str = "alice-token";

/// The stack: moto, the three functions, the gateway routing to them.
struct Stack {
    _moto: Moto,
    gateway: AwsGateway,
    store: DynamoStore,
    _functions: Vec<Arc<LambdaFunction>>,
}

async fn stack() -> Stack {
    let moto = Moto::start();
    let config = moto.config().await;
    let tables = TableNames::prefixed("g-");
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), tables.clone());
    store.create_tables().await.unwrap();
    let bound = Bound::new().await;
    let mut env: Vec<(String, String)> = tables
        .tables()
        .iter()
        .map(|(table, name)| (table.env_var(), (*name).to_owned()))
        .collect();
    assert_eq!(env.len(), TABLES.len());
    env.extend(
        [
            (settings::BUCKET, "media"),
            (settings::QUEUE_URL, "unused-by-these-functions"),
            (settings::TOKENS, "alice-token,bob-token"),
            (settings::ALLOWED_ORIGINS, ORIGIN),
            ("VIDPUSH_AWS_ENDPOINT", moto.url.as_str()),
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    env.push((settings::MANAGEMENT_ENDPOINT.to_owned(), bound.endpoint()));
    let start = |name: &str, binary: &str| {
        LambdaFunction::start(FunctionSpec {
            name: name.into(),
            binary: binary.into(),
            env: env.clone(),
            timeout: Duration::from_secs(29),
            memory_mb: 256,
            instances: 1,
        })
    };
    let connect = Arc::new(
        start("connect", env!("CARGO_BIN_EXE_vidpush-connect"))
            .await
            .unwrap(),
    );
    let disconnect = Arc::new(
        start("disconnect", env!("CARGO_BIN_EXE_vidpush-disconnect"))
            .await
            .unwrap(),
    );
    let message = Arc::new(
        start("message", env!("CARGO_BIN_EXE_vidpush-message"))
            .await
            .unwrap(),
    );
    let api = ApiFacts {
        api_id: "local".into(),
        stage: "local".into(),
        domain_name: bound.addr.to_string(),
    };
    let integration =
        |function: &Arc<LambdaFunction>| LambdaIntegration::new(function.clone(), api.clone());
    let (on_connect, on_disconnect, on_message) = (
        integration(&connect),
        integration(&disconnect),
        integration(&message),
    );
    let gateway = bound.serve(
        // The `$connect` function checks tokens and origins, as on AWS.
        |config| config.allowed_origins = vec!["*".into()],
        move |mut builder| {
            builder = builder
                .route("$connect", on_connect)
                .route("$disconnect", on_disconnect);
            for route in MESSAGE_ROUTES {
                builder = builder.route(route, on_message.clone());
            }
            builder
        },
    );
    Stack {
        _moto: moto,
        gateway,
        store,
        _functions: vec![connect, disconnect, message],
    }
}

/// Opens a WebSocket from `origin` with `token`; the refusal's HTTP status otherwise.
async fn open(stack: &Stack, origin: &str, token: &str) -> Result<Socket, u16> {
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
    assert_eq!(open(&stack, ORIGIN, "wrong").await.err(), Some(401));
    assert_eq!(
        open(&stack, "https://evil.example", TOKEN).await.err(),
        Some(403)
    );
    assert!(open(&stack, ORIGIN, TOKEN).await.is_ok());
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
    let mut socket = open(&stack, ORIGIN, TOKEN).await.unwrap();
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
