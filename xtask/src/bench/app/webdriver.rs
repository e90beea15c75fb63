//! Just enough W3C WebDriver to drive headless Chromium through chromedriver: start both, load
//! a page, run a script (a returned promise is awaited, as the spec says), read the console.
//! Dropping the [`Browser`] ends the session and chromedriver, and removes the fresh profile.
//! ureq speaks the HTTP; this module only knows WebDriver's commands and the shape of its answers.

use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use ureq::Body;
use ureq::http::Response;

/// The Chromium the project tests with (Debian's `chromium` package).
const CHROMIUM: &str = "/usr/bin/chromium";
/// Its matching driver (Debian's `chromium-driver` package).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long chromedriver may take to answer `/status` after it starts.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one command may take. chromedriver's slowest answer here is a page load or a script
/// waiting for the page, which the scripts themselves bound well below this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A headless Chromium with a fresh profile (so the first page load is a cold one), driven
/// through its own chromedriver.
pub struct Browser {
    /// The chromedriver process, killed on drop.
    driver: Child,
    /// Where chromedriver listens.
    addr: SocketAddr,
    /// One client for every command, so they share one kept-alive connection.
    http: ureq::Agent,
    /// The WebDriver session id; empty until the session is open.
    session: String,
    /// Chromium's fresh profile, removed on drop.
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
        // Error answers come back as answers (chromedriver explains them in the JSON body), and a
        // proxy from the environment could not reach this machine's loopback.
        let http = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let mut browser = Self {
            driver,
            addr,
            http,
            session: String::new(),
            profile,
        };
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        while !matches!(
            browser.get("/status"),
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
        let answer = browser.post("/session", &capabilities)?;
        browser.session = answer["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver opened no session: {answer}"))?
            .to_owned();
        Ok(browser)
    }

    /// Loads `url` and returns once its `load` event has fired.
    pub fn goto(&self, url: &str) -> crate::Result {
        self.session_post("/url", &json!({ "url": url }))?;
        Ok(())
    }

    /// Runs `script` as a function body with `args` and returns its value, after awaiting it
    /// when it is a promise.
    pub fn run(&self, script: &str, args: Value) -> crate::Result<Value> {
        self.session_post("/execute/sync", &json!({ "script": script, "args": args }))
    }

    /// Runs a Chrome DevTools Protocol command in the page and returns its result.
    pub fn devtools(&self, command: &str, params: Value) -> crate::Result<Value> {
        self.session_post(
            "/goog/cdp/execute",
            &json!({ "cmd": command, "params": params }),
        )
    }

    /// The console messages logged since the last call, as `LEVEL message`.
    pub fn console(&self) -> crate::Result<Vec<String>> {
        let entries = self.session_post("/se/log", &json!({ "type": "browser" }))?;
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

    fn session_post(&self, path: &str, body: &Value) -> crate::Result<Value> {
        self.post(&format!("/session/{}{path}", self.session), body)
    }

    fn post(&self, path: &str, body: &Value) -> crate::Result<Value> {
        let response = self.http.post(self.url(path)).send_json(body);
        command_value(response, "POST", path)
    }

    fn get(&self, path: &str) -> crate::Result<Value> {
        command_value(self.http.get(self.url(path)).call(), "GET", path)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A WebDriver command's `value`, or the driver's error as a sentence.
fn command_value(
    response: Result<Response<Body>, ureq::Error>,
    method: &str,
    path: &str,
) -> crate::Result<Value> {
    let mut response = response?;
    let status = response.status();
    let mut answer: Value = response.body_mut().read_json().unwrap_or(Value::Null);
    if status != 200 {
        return Err(format!(
            "chromedriver answered {status} to {method} {path}: {}",
            answer["value"]["message"].as_str().unwrap_or("no message")
        )
        .into());
    }
    Ok(answer["value"].take())
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Best effort: ending the session closes Chromium.
            let url = self.url(&format!("/session/{}", self.session));
            let _ = self.http.delete(url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
