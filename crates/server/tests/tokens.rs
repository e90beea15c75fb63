//! Token checks against the real server: one parser and one rule for `?token=` everywhere, and
//! failed checks throttled per address on the API and `connect-check` as on `/ws`.

mod support;

use support::*;
use vidpush_protocol::{ApiError, ConnectCheck, ConnectVerdict};

/// The one token the server accepts in these tests.
const TOKEN: &str = "good-token";

#[tokio::test]
async fn a_token_named_twice_is_a_bad_request_everywhere() {
    let server = TestServer::start(&["--tokens", TOKEN], ScriptedAnalyzer::new(1)).await;
    let twice = format!("token={TOKEN}&token={TOKEN}");
    for path in [
        format!("/api/jobs/0000000000000000000000000a?{twice}"),
        format!("/api/jobs/0000000000000000000000000a/result?{twice}"),
        format!("/api/connect-check?{twice}"),
    ] {
        let response = server.http.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let text = response.text().await.unwrap();
        assert!(text.contains("more than once"), "{path}: {text}");
    }
    let handshake =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?{twice}", server.addr)).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(refused)) = handshake else {
        panic!("the handshake was not refused over HTTP");
    };
    assert_eq!(refused.status(), 400);
    let text = String::from_utf8_lossy(refused.body().as_deref().unwrap_or_default()).into_owned();
    assert!(text.contains("more than once"), "/ws: {text}");
    server.stop().await;
}

#[tokio::test]
async fn failed_token_checks_are_throttled_per_address_on_the_api_and_connect_check() {
    // One attempt a second with a burst of two.
    let server = TestServer::start(
        &["--tokens", TOKEN, "--connect-rate", "1"],
        ScriptedAnalyzer::new(1),
    )
    .await;
    let job = server.url("/api/jobs/0000000000000000000000000a");
    let check = |token: &str| server.url(&format!("/api/connect-check?token={token}"));

    let wrong = server
        .http
        .get(&job)
        .bearer_auth("guess-1")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let verdict: ConnectCheck = server
        .http
        .get(check("guess-2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict.verdict, ConnectVerdict::Unauthorized);

    // The address is out of attempts: the next guess is refused before its token is looked
    // at, on either endpoint, and so is a right token from the same address for now.
    let throttled = server
        .http
        .get(&job)
        .bearer_auth("guess-3")
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    let error: ApiError = throttled.json().await.unwrap();
    assert!(
        error
            .message
            .to_lowercase()
            .contains("too many failed token checks"),
        "{}",
        error.message
    );
    let verdict: ConnectCheck = server
        .http
        .get(check(TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict.verdict, ConnectVerdict::Throttled);
    let right = server
        .http
        .get(&job)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 429);
    server.stop().await;
}

#[tokio::test]
async fn right_tokens_never_use_up_the_attempts() {
    let server = TestServer::start(
        &["--tokens", TOKEN, "--connect-rate", "1"],
        ScriptedAnalyzer::new(1),
    )
    .await;
    let job = server.url("/api/jobs/0000000000000000000000000a");
    for _ in 0..10 {
        let response = server
            .http
            .get(&job)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
    server.stop().await;
}
