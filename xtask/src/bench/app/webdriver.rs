//! Just enough W3C WebDriver to drive headless Chromium through chromedriver: start both, load
//! a page, run a script (a returned promise is awaited, as the spec says), read the console.
//! Dropping the [`Browser`] ends the session and chromedriver, and removes the fresh profile.

use super::http;
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium the project tests with (Debian's `chromium` package).
const CHROMIUM: &str = "/usr/bin/chromium";
/// Its matching driver (Debian's `chromium-driver` package).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long chromedriver may take to answer `/status` after it starts.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

/// A headless Chromium with a fresh profile (so the first page load is a cold one), driven
/// through its own chromedriver.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session.
    pub fn start() -> crate::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("could not start {CHROMEDRIVER} ({e}); install chromium-driver")
            })?;
        let profile = std::env::temp_dir().join(format!(
            "vidpush-bench-profile-{}-{port}",
            std::process::id()
        ));
        let mut browser = Self {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        while !matches!(
            browser.call("GET", "/status", None),
            Ok(answer) if answer["ready"] == Value::Bool(true)
        ) {
            if Instant::now() >= deadline {
                return Err(
                    format!("chromedriver did not answer within {DRIVER_START_TIMEOUT:?}").into(),
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--no-first-run",
                        "--window-size=1280,900",
                        format!("--user-data-dir={}", browser.profile.display()),
                    ],
                },
                "goog:loggingPrefs": { "browser": "ALL" },
            }}
        });
        let answer = browser.call("POST", "/session", Some(&capabilities))?;
        browser.session = answer["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver opened no session: {answer}"))?
            .to_owned();
        Ok(browser)
    }

    /// Loads `url` and returns once its `load` event has fired.
    pub fn goto(&self, url: &str) -> crate::Result {
        self.call_session("POST", "/url", Some(&json!({ "url": url })))?;
        Ok(())
    }

    /// Runs `script` as a function body with `args` and returns its value, after awaiting it
    /// when it is a promise.
    pub fn run(&self, script: &str, args: Value) -> crate::Result<Value> {
        self.call_session(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// The console messages logged since the last call, as `LEVEL message`.
    pub fn console(&self) -> crate::Result<Vec<String>> {
        let entries = self.call_session("POST", "/se/log", Some(&json!({ "type": "browser" })))?;
        Ok(entries
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
            .unwrap_or_default())
    }

    fn call_session(&self, method: &str, path: &str, body: Option<&Value>) -> crate::Result<Value> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// One WebDriver command; its `value`, or the driver's error as a sentence.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> crate::Result<Value> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let (status, answer) = http::request(
            self.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )?;
        let answer: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        if status != 200 {
            return Err(format!(
                "chromedriver answered {status} to {method} {path}: {}",
                answer["value"]["message"].as_str().unwrap_or("no message")
            )
            .into());
        }
        Ok(answer["value"].clone())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Best effort: ending the session closes Chromium.
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
