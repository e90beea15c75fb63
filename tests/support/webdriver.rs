//! Blocking calls to chromedriver on 127.0.0.1, for the places where async cannot go: waiting
//! for chromedriver to answer before fantoccini connects, Chrome DevTools commands, and `Drop`
//! (failure screenshot, console, closing the session so Chromium does not outlive the test).
//! ureq speaks the HTTP; this module only knows WebDriver's paths and the shape of its answers.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use ureq::Body;
use ureq::http::Response;

/// How long one request may take; chromedriver answers these in milliseconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for chromedriver: every request bounded by [`REQUEST_TIMEOUT`], error answers
/// returned as answers (chromedriver explains them in the JSON body), and never a proxy from the
/// environment, which could not reach this machine's loopback.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(REQUEST_TIMEOUT))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

/// The status code and the JSON body of chromedriver's answer.
fn answer(response: Result<Response<Body>, ureq::Error>) -> Result<(u16, Value), ureq::Error> {
    let mut response = response?;
    Ok((response.status().as_u16(), response.body_mut().read_json()?))
}

/// `GET path` from chromedriver on `port`: the status code and the JSON body.
pub fn get(port: u16, path: &str) -> Result<(u16, Value), ureq::Error> {
    answer(agent().get(url(port, path)).call())
}

/// `POST path` with a JSON `body` to chromedriver on `port`: the status code and the JSON body.
pub fn post(port: u16, path: &str, body: &Value) -> Result<(u16, Value), ureq::Error> {
    answer(agent().post(url(port, path)).send_json(body))
}

/// Whether chromedriver on `port` answers `/status` with `ready: true`.
pub fn is_ready(port: u16) -> bool {
    matches!(
        get(port, "/status"),
        Ok((200, body)) if body["value"]["ready"] == Value::Bool(true)
    )
}

/// A PNG screenshot of the session's current page.
pub fn screenshot(port: u16, session: &str) -> Option<Vec<u8>> {
    match get(port, &format!("/session/{session}/screenshot")) {
        Ok((200, body)) => STANDARD.decode(body["value"].as_str()?).ok(),
        _ => None,
    }
}

/// The browser console messages logged since the last call (needs `goog:loggingPrefs`).
pub fn console_log(port: u16, session: &str) -> Vec<String> {
    let body = serde_json::json!({ "type": "browser" });
    let Ok((200, answer)) = post(port, &format!("/session/{session}/se/log"), &body) else {
        return Vec::new();
    };
    answer["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    format!(
                        "{} {}",
                        entry["level"].as_str().unwrap_or("?"),
                        entry["message"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Ends the session, which closes Chromium.
pub fn delete_session(port: u16, session: &str) {
    // Best effort: chromedriver may already be gone, and then so is Chromium.
    let _ = agent()
        .delete(url(port, &format!("/session/{session}")))
        .call();
}
