//! The HTTP API integration (payload format 2.0) driven in process with `oneshot`, and once over
//! loopback, against a fake function that records each event and answers as the test says.
//! Events are checked against AWS's own event types (`aws_lambda_events`) and turned into the
//! request `lambda_http` hands an axum app; responses are built as `lambda_http` 1.3 builds them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as LambdaBody;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tower::ServiceExt;
use vidpush_gateway::BoxFuture;
use vidpush_gateway::lambda::http_api::MAX_PAYLOAD_BYTES;
use vidpush_gateway::lambda::{HttpApiFacts, HttpApiIntegration, HttpRoute, Invoke, InvokeError};

/// What the fake function answers to an event.
type Answer = fn(&Value) -> Result<Bytes, InvokeError>;

/// A fake function: each event is sent to the returned receiver, and answered by `answer`.
fn fake(answer: Answer) -> (Arc<dyn Invoke>, mpsc::UnboundedReceiver<Value>) {
    let (events, received) = mpsc::unbounded_channel();
    let invoke = move |event: Bytes| -> BoxFuture<Result<Bytes, InvokeError>> {
        let event: Value = serde_json::from_slice(&event).expect("events are JSON");
        let answer = answer(&event);
        let _ = events.send(event);
        Box::pin(async move { answer })
    };
    (Arc::new(invoke), received)
}

/// The router of `route`, integrated with a fake function answering `answer`, and its events.
fn served(route: &str, answer: Answer) -> (Router, mpsc::UnboundedReceiver<Value>) {
    let (invoker, events) = fake(answer);
    let route = HttpRoute::parse(route).expect("the test's route key parses");
    let integration = HttpApiIntegration::new(invoker, facts()).with_route(route);
    (integration.router(), events)
}

fn facts() -> HttpApiFacts {
    HttpApiFacts {
        api_id: "a1b2c3d4e5".into(),
        domain_name: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com".into(),
        stage: "$default".into(),
    }
}

/// A 200 with no body.
fn ok(_: &Value) -> Result<Bytes, InvokeError> {
    Ok(Bytes::from_static(br#"{"statusCode":200}"#))
}

/// The response `lambda_http` 1.3 sends for an HTTP API: AWS's response type, `set-cookie`
/// moved to `cookies`, the first value of each header in `headers`, `multiValueHeaders` empty
/// (lambda_http's `LambdaResponse::from_response`).
fn lambda_http_response(status: u16, headers: &[(&str, &str)], body: LambdaBody) -> Bytes {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            header::HeaderName::from_bytes(name.as_bytes()).expect("a test header name"),
            HeaderValue::from_str(value).expect("a test header value"),
        );
    }
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.is_base64_encoded = matches!(body, LambdaBody::Binary(_));
    response.body = Some(body);
    response.cookies = map
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("a test cookie").to_owned())
        .collect();
    map.remove(header::SET_COOKIE);
    response.headers = map;
    Bytes::from(serde_json::to_vec(&response).expect("a response serializes"))
}

/// Sends `request` through `router` and reads the whole answer.
async fn call(router: Router, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = router
        .oneshot(request)
        .await
        .expect("routers are infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the body is read");
    (parts.status, parts.headers, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .body(Body::empty())
        .expect("a test request")
}

fn post(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).expect("a test request")
}

/// The request `lambda_http` makes of `event` for the app it runs.
fn as_lambda_http(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("lambda_http takes the event")
}

fn next_event(events: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    events.try_recv().expect("the function was invoked")
}

/// Asserts a gateway answer: AWS's status and `{"message": …}` body, and a request id.
fn assert_gateway_answer(answer: &(StatusCode, HeaderMap, Bytes), status: u16, message: &str) {
    let (got, headers, body) = answer;
    assert_eq!(got.as_u16(), status);
    assert_eq!(
        body.as_ref(),
        json!({ "message": message }).to_string().as_bytes()
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.contains_key("apigw-requestid"));
}

#[tokio::test]
async fn request_becomes_an_event_lambda_http_parses_and_its_response_comes_back() {
    fn answer(event: &Value) -> Result<Bytes, InvokeError> {
        let echoed = json!({ "path": event["rawPath"], "body": event["body"] }).to_string();
        Ok(lambda_http_response(
            201,
            &[
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
                ("set-cookie", "session=s1; Path=/; HttpOnly"),
                ("set-cookie", "theme=dark"),
            ],
            LambdaBody::Text(echoed),
        ))
    }
    let (router, mut events) = served("ANY /api/{proxy+}", answer);
    let mut request = Request::post("/api/jobs/7?b=2&a=1&a=x%20y")
        .header("host", "localhost:8080")
        .header("content-type", "application/json")
        .header("user-agent", "test-agent/1.0")
        .header("X-Custom", "one")
        .header("x-custom", "two")
        .header("cookie", "a=1; b=2")
        .header("cookie", "c=3")
        .body(Body::from(r#"{"name":"clip.mp4"}"#))
        .expect("a test request");
    let peer: SocketAddr = "198.51.100.7:50000".parse().expect("an address");
    request.extensions_mut().insert(ConnectInfo(peer));
    let before = vidpush_gateway::timestamp::now_millis();

    let (status, headers, body) = call(router, request).await;

    let event = next_event(&mut events);
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "ANY /api/{proxy+}");
    assert_eq!(event["rawPath"], "/api/jobs/7");
    assert_eq!(event["rawQueryString"], "b=2&a=1&a=x%20y");
    assert_eq!(event["cookies"], json!(["a=1", "b=2", "c=3"]));
    assert_eq!(event["headers"]["x-custom"], "one,two");
    assert_eq!(event["headers"]["x-forwarded-for"], "198.51.100.7");
    assert_eq!(event["headers"]["x-forwarded-proto"], "http");
    assert_eq!(event["headers"]["x-forwarded-port"], "8080");
    assert!(event["headers"].get("cookie").is_none(), "{event}");
    assert_eq!(
        event["queryStringParameters"],
        json!({ "a": "1,x y", "b": "2" })
    );
    assert_eq!(event["pathParameters"], json!({ "proxy": "jobs/7" }));
    assert_eq!(event["body"], r#"{"name":"clip.mp4"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    assert!(event.get("stageVariables").is_none());
    let context = &event["requestContext"];
    assert_eq!(context["accountId"], "000000000000");
    assert_eq!(context["apiId"], "a1b2c3d4e5");
    assert_eq!(context["domainPrefix"], "a1b2c3d4e5");
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["routeKey"], "ANY /api/{proxy+}");
    let epoch = context["timeEpoch"]
        .as_i64()
        .expect("timeEpoch is a number");
    assert!(epoch >= before && epoch <= before + 60_000);
    assert_eq!(
        context["time"],
        vidpush_gateway::timestamp::clf(epoch),
        "the time is the epoch's"
    );
    assert_eq!(
        context["http"],
        json!({
            "method": "POST",
            "path": "/api/jobs/7",
            "protocol": "HTTP/1.1",
            "sourceIp": "198.51.100.7",
            "userAgent": "test-agent/1.0",
        })
    );

    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event.clone()).expect("AWS's type parses the event");
    assert_eq!(parsed.request_context.http.method, Method::POST);
    assert_eq!(parsed.raw_path.as_deref(), Some("/api/jobs/7"));
    assert_eq!(
        parsed.cookies,
        Some(vec!["a=1".into(), "b=2".into(), "c=3".into()])
    );
    assert_eq!(parsed.headers["x-custom"], "one,two");
    assert_eq!(
        parsed.query_string_parameters.all("a"),
        Some(vec!["1", "x y"])
    );
    assert_eq!(parsed.path_parameters["proxy"], "jobs/7");
    assert_eq!(parsed.request_context.apiid.as_deref(), Some("a1b2c3d4e5"));

    let app_request = as_lambda_http(&event);
    assert_eq!(app_request.method(), Method::POST);
    assert_eq!(
        app_request.uri().to_string(),
        "http://localhost:8080/api/jobs/7?b=2&a=1&a=x%20y"
    );
    assert_eq!(app_request.headers()[header::COOKIE], "a=1; b=2; c=3");
    assert_eq!(app_request.headers()["x-custom"], "one,two");
    assert_eq!(app_request.body().as_ref(), br#"{"name":"clip.mp4"}"#);

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let cookies: Vec<_> = headers.get_all(header::SET_COOKIE).iter().collect();
    assert_eq!(cookies, ["session=s1; Path=/; HttpOnly", "theme=dark"]);
    assert_eq!(
        headers["apigw-requestid"],
        context["requestId"].as_str().expect("a request id")
    );
    let body: Value = serde_json::from_slice(&body).expect("the function's JSON body");
    assert_eq!(
        body,
        json!({ "path": "/api/jobs/7", "body": r#"{"name":"clip.mp4"}"# })
    );
}

#[tokio::test]
async fn a_bare_get_has_no_body_query_cookies_or_path_parameters() {
    let (router, mut events) = served("$default", ok);

    let (status, _, body) = call(router, get("/")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    let event = next_event(&mut events);
    for absent in ["body", "queryStringParameters", "cookies", "pathParameters"] {
        assert!(event.get(absent).is_none(), "{absent} in {event}");
    }
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["rawQueryString"], "");
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["requestContext"]["http"]["method"], "GET");
    // Served without connect info, the source is unknown.
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "0.0.0.0");
    serde_json::from_value::<ApiGatewayV2httpRequest>(event).expect("AWS's type parses it");
}

#[tokio::test]
async fn a_percent_encoded_path_arrives_decoded_and_the_query_as_sent() {
    let (router, mut events) = served("GET /files/{name}", ok);

    call(router, get("/files/clip%20one.mp4?q=a%2Bb+c")).await;

    let event = next_event(&mut events);
    assert_eq!(event["rawPath"], "/files/clip one.mp4");
    assert_eq!(
        event["requestContext"]["http"]["path"],
        "/files/clip one.mp4"
    );
    assert_eq!(event["pathParameters"], json!({ "name": "clip one.mp4" }));
    assert_eq!(event["rawQueryString"], "q=a%2Bb+c");
    assert_eq!(event["queryStringParameters"], json!({ "q": "a+b c" }));
    let app_request = as_lambda_http(&event);
    assert_eq!(app_request.uri().path(), "/files/clip%20one.mp4");
    assert_eq!(app_request.uri().query(), Some("q=a%2Bb+c"));
}

#[tokio::test]
async fn only_text_media_types_arrive_as_text_and_the_rest_as_base64() {
    let cases = [
        (Some("text/plain; charset=utf-8"), false),
        (Some("application/json"), false),
        (Some("Application/XML"), false),
        (Some("application/javascript"), false),
        (Some("application/x-www-form-urlencoded"), true),
        (Some("application/octet-stream"), true),
        (Some("video/mp4"), true),
        (None, true),
    ];
    for (content_type, base64) in cases {
        let (router, mut events) = served("$default", ok);

        call(router, post("/upload", content_type, "a=1&b=2")).await;

        let event = next_event(&mut events);
        assert_eq!(event["isBase64Encoded"], base64, "{content_type:?}");
        let expected = if base64 { "YT0xJmI9Mg==" } else { "a=1&b=2" };
        assert_eq!(event["body"], expected, "{content_type:?}");
        // Either way the app reads the bytes that were sent.
        assert_eq!(as_lambda_http(&event).body().as_ref(), b"a=1&b=2");
    }
}

#[tokio::test]
async fn a_binary_body_round_trips_through_base64_both_ways() {
    /// Answers with the request's body, decoded, as a binary `image/png` response.
    fn echo(event: &Value) -> Result<Bytes, InvokeError> {
        use base64::Engine;
        let encoded = event["body"].as_str().expect("a body");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("the event's body is base64");
        Ok(lambda_http_response(
            200,
            &[("content-type", "image/png")],
            LambdaBody::Binary(bytes),
        ))
    }
    let (router, mut events) = served("$default", echo);
    let bytes: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe, 0x80];

    let (status, headers, body) = call(
        router,
        post("/thumb", Some("application/octet-stream"), bytes.clone()),
    )
    .await;

    let event = next_event(&mut events);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(as_lambda_http(&event).body().as_ref(), bytes.as_slice());
    let parsed: ApiGatewayV2httpRequest =
        serde_json::from_value(event).expect("AWS's type parses the event");
    assert!(parsed.is_base64_encoded);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(body.as_ref(), bytes.as_slice());
}

#[tokio::test]
async fn output_without_a_status_code_is_a_200_json_response_of_that_output() {
    fn object(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from_static(
            br#"{ "message": "Hello from Lambda!" }"#,
        ))
    }
    fn string(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from_static(br#""Hello from Lambda!""#))
    }
    let cases: [(Answer, &[u8]); 2] = [
        (object, br#"{ "message": "Hello from Lambda!" }"#),
        (string, b"Hello from Lambda!"),
    ];
    for (answer, expected) in cases {
        let (router, _events) = served("$default", answer);

        let (status, headers, body) = call(router, get("/hello")).await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body.as_ref(), expected);
    }
}

#[tokio::test]
async fn a_response_of_headers_alone_is_used_as_is_and_framing_headers_are_the_gateways() {
    fn answer(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from(
            json!({
                "statusCode": 404,
                "headers": { "content-type": "text/plain", "content-length": "999", "x-n": 7 },
                "cookies": ["gone=1"],
                "body": "no such job",
            })
            .to_string(),
        ))
    }
    let (router, _events) = served("$default", answer);

    let (status, headers, body) = call(router, get("/jobs/9")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain");
    assert_eq!(headers["x-n"], "7");
    assert_eq!(headers[header::SET_COOKIE], "gone=1");
    assert_ne!(
        headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes()),
        Some(&b"999"[..])
    );
    assert_eq!(body.as_ref(), b"no such job");
}

#[tokio::test]
async fn multi_value_headers_give_every_value_and_replace_the_same_name_in_headers() {
    fn answer(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from(
            json!({
                "statusCode": 200,
                "headers": { "vary": "origin", "x-one": "1" },
                "multiValueHeaders": { "vary": ["origin", "accept-encoding"], "x-many": ["a", "b"] },
            })
            .to_string(),
        ))
    }
    let (router, _events) = served("$default", answer);

    let (status, headers, body) = call(router, get("/")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    let all = |name| headers.get_all(name).iter().collect::<Vec<_>>();
    assert_eq!(all("vary"), ["origin", "accept-encoding"]);
    assert_eq!(all("x-many"), ["a", "b"]);
    assert_eq!(all("x-one"), ["1"]);
}

#[tokio::test]
async fn failed_functions_and_unusable_outputs_are_500() {
    fn failed(_: &Value) -> Result<Bytes, InvokeError> {
        Err(InvokeError::Function(r#"{"errorType":"Panic"}"#.into()))
    }
    fn timed_out(_: &Value) -> Result<Bytes, InvokeError> {
        // The function's own timeout: Lambda reports a failure, which is not the gateway's 503.
        Err(InvokeError::Timeout(Duration::from_secs(3)))
    }
    fn not_json(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from_static(b"plain words"))
    }
    fn bad_status(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from_static(br#"{"statusCode":1000}"#))
    }
    fn bad_base64(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from_static(
            br#"{"statusCode":200,"body":"not base64!","isBase64Encoded":true}"#,
        ))
    }
    let answers: [Answer; 5] = [failed, timed_out, not_json, bad_status, bad_base64];
    for answer in answers {
        let (router, _events) = served("$default", answer);

        let answer = call(router, get("/")).await;

        assert_gateway_answer(&answer, 500, "Internal Server Error");
    }
}

#[tokio::test]
async fn a_throttled_function_is_429() {
    fn throttled(_: &Value) -> Result<Bytes, InvokeError> {
        Err(InvokeError::Throttled)
    }
    let (router, _events) = served("$default", throttled);

    let answer = call(router, get("/")).await;

    assert_gateway_answer(&answer, 429, "Too Many Requests");
}

#[tokio::test(start_paused = true)]
async fn a_function_slower_than_30_seconds_is_503() {
    let never =
        |_: Bytes| -> BoxFuture<Result<Bytes, InvokeError>> { Box::pin(std::future::pending()) };
    let router = HttpApiIntegration::new(Arc::new(never), facts()).router();
    let started = tokio::time::Instant::now();

    let answer = call(router, get("/")).await;

    assert_gateway_answer(&answer, 503, "Service Unavailable");
    assert_eq!(started.elapsed().as_secs(), 30);
}

#[tokio::test(start_paused = true)]
async fn the_integration_timeout_can_be_shorter_but_not_longer_than_30_seconds() {
    let never =
        |_: Bytes| -> BoxFuture<Result<Bytes, InvokeError>> { Box::pin(std::future::pending()) };
    let never: Arc<dyn Invoke> = Arc::new(never);
    for (asked, waited) in [(2, 2), (90, 30)] {
        let router = HttpApiIntegration::new(Arc::clone(&never), facts())
            .with_timeout(Duration::from_secs(asked))
            .router();
        let started = tokio::time::Instant::now();

        let answer = call(router, get("/")).await;

        assert_gateway_answer(&answer, 503, "Service Unavailable");
        assert_eq!(started.elapsed().as_secs(), waited);
    }
}

#[tokio::test]
async fn bodies_over_10_mb_are_413_without_an_invocation() {
    let (router, mut events) = served("$default", ok);

    // Exactly the quota is taken.
    let (status, _, _) = call(
        router.clone(),
        post("/upload", Some("video/mp4"), vec![7u8; MAX_PAYLOAD_BYTES]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    next_event(&mut events);

    // One byte more, without a declared length: refused while reading.
    let over = post(
        "/upload",
        Some("video/mp4"),
        vec![7u8; MAX_PAYLOAD_BYTES + 1],
    );
    let answer = call(router.clone(), over).await;
    assert_gateway_answer(&answer, 413, "Request Entity Too Large");

    // A declared length over the quota: refused before reading.
    let declared = Request::post("/upload")
        .header(header::CONTENT_LENGTH, (MAX_PAYLOAD_BYTES + 1).to_string())
        .body(Body::from("short"))
        .expect("a test request");
    let answer = call(router, declared).await;
    assert_gateway_answer(&answer, 413, "Request Entity Too Large");

    assert!(events.try_recv().is_err(), "the function was invoked");
}

#[tokio::test]
async fn requests_the_route_does_not_take_are_404_without_an_invocation() {
    let (router, mut events) = served("GET /jobs/{id}", ok);

    let wrong_method = call(router.clone(), post("/jobs/1", None, "")).await;
    let wrong_path = call(router.clone(), get("/jobs")).await;
    assert!(events.try_recv().is_err(), "the function was invoked");
    let (status, _, _) = call(router, get("/jobs/1")).await;

    assert_gateway_answer(&wrong_method, 404, "Not Found");
    assert_gateway_answer(&wrong_path, 404, "Not Found");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        next_event(&mut events)["pathParameters"],
        json!({ "id": "1" })
    );
}

#[tokio::test]
async fn mounted_under_a_prefix_events_carry_the_path_the_client_sent() {
    let (router, mut events) = served("ANY /api/{proxy+}", ok);
    let app = Router::new().nest_service("/api", router);

    let (status, _, _) = call(app, get("/api/jobs?limit=5")).await;

    assert_eq!(status, StatusCode::OK);
    let event = next_event(&mut events);
    assert_eq!(event["rawPath"], "/api/jobs");
    assert_eq!(event["rawQueryString"], "limit=5");
    assert_eq!(event["pathParameters"], json!({ "proxy": "jobs" }));
}

#[tokio::test]
async fn over_loopback_the_source_ip_is_the_peers_and_cookies_are_set_cookie_lines() {
    fn answer(_: &Value) -> Result<Bytes, InvokeError> {
        Ok(lambda_http_response(
            200,
            &[
                ("content-type", "text/plain; charset=utf-8"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2; Secure"),
            ],
            LambdaBody::Text("hi".into()),
        ))
    }
    let (router, mut events) = served("$default", answer);
    let app = Router::new().fallback_service(router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await
    });
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the gateway listens");
    let request =
        format!("GET /hello HTTP/1.1\r\nhost: {addr}\r\ncookie: x=1\r\nconnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is written");
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("the gateway answers within 10 s")
    .expect("the answer is read");

    let event = next_event(&mut events);
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(event["cookies"], json!(["x=1"]));
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("\r\nset-cookie: a=1\r\n"), "{head}");
    assert!(head.contains("\r\nset-cookie: b=2; secure\r\n"), "{head}");
    let id = event["requestContext"]["requestId"]
        .as_str()
        .expect("a request id")
        .to_ascii_lowercase();
    assert!(
        head.contains(&format!("\r\napigw-requestid: {id}")),
        "{head}"
    );
    assert_eq!(body, "hi");
}
