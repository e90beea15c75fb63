//! The WebSocket functions with API Gateway's own event JSON, against the simulated stack:
//! moto for DynamoDB and S3, the local gateway in AWS mode for the pushes, so a reply or a
//! replay lands on a real client.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use vidpush_aws::dynamodb::{DynamoStore, TableNames};
use vidpush_aws::settings::Resources;
use vidpush_aws::testing::Moto;
use vidpush_aws::testing::gateway::{AwsGateway, Socket, next_text};
use vidpush_gateway::Principal;
use vidpush_lambda::functions::{AccessPolicy, WebSocketFunctions};
use vidpush_protocol::{EventBody, JobId, UploadId};
use vidpush_server::ports::{JobStore, Subscriptions, UploadRecord};

const ORIGIN: &str = "https://page.example";
const TOKEN: &str = "alice-token";

struct Setup {
    _moto: Moto,
    gateway: AwsGateway,
    store: DynamoStore,
    functions: WebSocketFunctions,
}

async fn setup() -> Setup {
    let moto = Moto::start();
    let gateway = AwsGateway::start().await;
    let config = moto.config().await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        TableNames::prefixed("f-"),
    );
    store.create_tables().await.unwrap();
    let s3 = vidpush_aws::sdk::s3_client(&config, &moto.endpoint());
    s3.create_bucket().bucket("media").send().await.unwrap();
    let resources = Resources {
        tables: TableNames::prefixed("f-"),
        bucket: "media".into(),
        queue_url: String::new(),
        management_endpoint: gateway.endpoint(),
    };
    let policy = AccessPolicy {
        tokens: vec![TOKEN.into(), "bob-token".into()],
        allowed_origins: vec![ORIGIN.into()],
    };
    let functions = WebSocketFunctions::new(&moto.endpoint(), resources, policy).await;
    Setup {
        _moto: moto,
        gateway,
        store,
        functions,
    }
}

/// An event as API Gateway sends it (the shape of the Lambda runtime's WebSocket fixtures).
fn event(
    route: &str,
    connection: &str,
    body: Option<&str>,
    origin: Option<&str>,
    token: Option<&str>,
) -> ApiGatewayWebsocketProxyRequest {
    let mut headers = serde_json::json!({ "Host": "abc123.execute-api.us-east-1.amazonaws.com" });
    if let Some(origin) = origin {
        headers["Origin"] = origin.into();
    }
    let query = token.map(|t| serde_json::json!({ "token": t }));
    let event_type = match route {
        "$connect" => "CONNECT",
        "$disconnect" => "DISCONNECT",
        _ => "MESSAGE",
    };
    let json = serde_json::json!({
        "headers": headers,
        "queryStringParameters": query,
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": "x",
            "requestTime": "05/Dec/2026:19:00:00 +0000",
            "messageDirection": "IN",
            "stage": "prod",
            "connectedAt": 1_796_500_000_000i64,
            "requestTimeEpoch": 1_796_500_000_100i64,
            "identity": { "sourceIp": "203.0.113.7", "userAgent": "test" },
            "requestId": "req-1",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "connectionId": connection,
            "apiId": "abc123"
        },
        "body": body,
        "isBase64Encoded": false
    });
    serde_json::from_value(json).expect("API Gateway's event shape parses")
}

fn text(response: &ApiGatewayProxyResponse) -> &str {
    match &response.body {
        Some(Body::Text(text)) => text,
        _ => "",
    }
}

/// A live client on the gateway, accepted by `$connect` with `token`.
async fn connected(setup: &Setup, token: &str) -> (Socket, String) {
    let (socket, id) = setup.gateway.connect().await;
    let answer = setup
        .functions
        .connect(&event("$connect", &id, None, Some(ORIGIN), Some(token)))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 200);
    (socket, id)
}

/// A job owned by `token`'s principal with `job.queued` stored.
async fn job_of(setup: &Setup, token: &str, id: &str) -> JobId {
    let upload = UploadRecord {
        id: UploadId(format!("u-{id}")),
        length: 10,
        offset: 10,
        file_name: "clip.mp4".into(),
        file_type: "video/mp4".into(),
        owner: Some(Principal::of_token(token).as_str().to_owned()),
        updated_at_ms: 0,
    };
    let (job, _) = setup
        .store
        .create_job(upload, JobId(id.into()), None)
        .await
        .unwrap();
    job.id
}

#[tokio::test]
async fn connect_refuses_a_foreign_origin_with_403_and_a_bad_token_with_401() {
    let setup = setup().await;
    let refused = |origin, token| event("$connect", "c1", None, origin, token);
    let answer = setup
        .functions
        .connect(&refused(Some("https://evil.example"), Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 403);
    let answer = setup
        .functions
        .connect(&refused(Some(ORIGIN), Some("wrong")))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 401);
    let answer = setup
        .functions
        .connect(&refused(Some(ORIGIN), None))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 401);
    assert!(setup.store.connection("c1").await.unwrap().is_none());
    let answer = setup
        .functions
        .connect(&refused(Some(ORIGIN), Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 200);
    let record = setup.store.connection("c1").await.unwrap().unwrap();
    assert_eq!(
        record.principal.as_deref(),
        Some(Principal::of_token(TOKEN).as_str())
    );
}

#[tokio::test]
async fn subscribe_replays_stored_events_to_the_client_and_ping_answers_in_the_response() {
    let setup = setup().await;
    let (mut socket, id) = connected(&setup, TOKEN).await;
    let job = job_of(&setup, TOKEN, "j1").await;
    setup
        .store
        .append_event(&job, EventBody::Started)
        .await
        .unwrap();
    let body = format!(
        r#"{{"action":"subscribe","jobId":"{}","afterSeq":1}}"#,
        job.as_str()
    );
    let answer = setup
        .functions
        .message(&event("subscribe", &id, Some(&body), None, None))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 200);
    let subscribed = next_text(&mut socket).await;
    assert!(subscribed.contains("subscribed"), "{subscribed}");
    let replayed = next_text(&mut socket).await;
    assert!(
        replayed.contains("job.started") && replayed.contains("\"seq\":2"),
        "{replayed}"
    );
    assert_eq!(setup.store.subscribers(&job).await.unwrap(), [id.as_str()]);
    let answer = setup
        .functions
        .message(&event(
            "ping",
            &id,
            Some(r#"{"action":"ping"}"#),
            None,
            None,
        ))
        .await
        .unwrap();
    assert!(text(&answer).contains("pong"), "{}", text(&answer));
}

#[tokio::test]
async fn another_tokens_job_is_refused_and_an_unrecorded_connection_sees_nothing() {
    let setup = setup().await;
    let (_socket, id) = connected(&setup, "bob-token").await;
    let job = job_of(&setup, TOKEN, "alices").await;
    let body = format!(
        r#"{{"action":"subscribe","jobId":"{}","afterSeq":0}}"#,
        job.as_str()
    );
    let answer = setup
        .functions
        .message(&event("subscribe", &id, Some(&body), None, None))
        .await
        .unwrap();
    assert!(text(&answer).contains("another token"), "{}", text(&answer));
    let answer = setup
        .functions
        .message(&event(
            "subscribe",
            "never-connected",
            Some(&body),
            None,
            None,
        ))
        .await
        .unwrap();
    assert!(text(&answer).contains("not recorded"), "{}", text(&answer));
    assert!(setup.store.subscribers(&job).await.unwrap().is_empty());
}

#[tokio::test]
async fn cancel_stores_and_pushes_the_final_event_and_disconnect_forgets_the_connection() {
    let setup = setup().await;
    let (mut socket, id) = connected(&setup, TOKEN).await;
    let job = job_of(&setup, TOKEN, "j2").await;
    setup.store.subscribe(&job, &id).await.unwrap();
    let body = format!(r#"{{"action":"cancel","jobId":"{}"}}"#, job.as_str());
    let answer = setup
        .functions
        .message(&event("cancel", &id, Some(&body), None, None))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 200);
    let pushed = next_text(&mut socket).await;
    assert!(pushed.contains("job.cancelled"), "{pushed}");
    let stored = setup.store.events_after(&job, 0).await.unwrap();
    assert!(stored.last().unwrap().contains("job.cancelled"));
    let answer = setup
        .functions
        .disconnect(&event("$disconnect", &id, None, None, None))
        .await
        .unwrap();
    assert_eq!(answer.status_code, 200);
    assert!(setup.store.subscribers(&job).await.unwrap().is_empty());
    assert!(setup.store.connection(&id).await.unwrap().is_none());
}
