//! Headless Chromium driven through chromedriver with fantoccini, one per test.
//!
//! Elements are found by `data-testid`. Waiting is always on a DOM condition, polled at a short
//! interval up to a deadline; a timed-out wait panics with what the page showed instead. When a
//! test panics while a `Browser` is alive, a screenshot `<test name>-failed.png` is saved and the
//! browser console is printed.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

use super::webdriver;

/// Debian's `chromium-driver` and `chromium` packages.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to answer `/status` after it was spawned.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

/// How often a wait re-reads the page: short enough not to slow tests, long enough not to
/// flood chromedriver.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A Chromium session for one test.
pub struct Browser {
    /// The fantoccini client every helper goes through.
    client: Client,
    /// The chromedriver process, killed on drop.
    driver: Child,
    /// chromedriver's port, for the blocking calls made from `Drop`.
    port: u16,
    /// The WebDriver session id, for the blocking calls made from `Drop`.
    session: String,
    /// Chromium's profile and chromedriver's log; deleted when the test ends.
    dir: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session. Panics with a
    /// readable reason if either does not come up.
    pub async fn start() -> Browser {
        let dir = tempfile::Builder::new()
            .prefix("vidpush-browser-")
            .tempdir()
            .expect("the system temp dir is writable");
        let profile = dir.path().join("profile");
        let log_path = dir.path().join("chromedriver.log");
        let log = std::fs::File::create(&log_path).expect("the temp dir is writable");

        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                log.try_clone().expect("the log handle can be cloned"),
            ))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|error| {
                panic!("could not start {CHROMEDRIVER} ({error}); run `cargo xtask install`")
            });
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        while !webdriver::is_ready(port) {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!(
                    "chromedriver exited before it was ready ({status}); its log:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            if Instant::now() >= deadline {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver did not answer within {DRIVER_START_TIMEOUT:?}");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
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
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => client,
            Err(error) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!(
                    "chromedriver could not start Chromium ({error}); chromedriver's log:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
        };
        let session = client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a connected client has a session id");
        Browser {
            client,
            driver,
            port,
            session,
            dir,
        }
    }

    /// chromedriver's port and the session id, for commands fantoccini has no method for
    /// (Chrome DevTools commands through `/goog/cdp/execute`).
    pub fn driver_session(&self) -> (u16, &str) {
        (self.port, &self.session)
    }

    /// The fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for the page load to finish.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("could not open {url}: {error}"));
    }

    /// Opens `url` and waits until the page's WebSocket is live.
    pub async fn open_live(&self, url: &str) {
        self.goto(url).await;
        self.wait_for_text("connection-state", "live", super::LIVE_TIMEOUT)
            .await;
    }

    /// Reloads the page and waits until its WebSocket is live again.
    pub async fn reload_live(&self) {
        self.client
            .refresh()
            .await
            .expect("the page can be reloaded");
        self.wait_for_text("connection-state", "live", super::LIVE_TIMEOUT)
            .await;
    }

    /// The page title.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("the page has a title")
    }

    /// The visible text of the first element with this `data-testid`, if there is one.
    pub async fn text(&self, testid: &str) -> Option<String> {
        let element = self
            .client
            .find(Locator::Css(&selector(testid)))
            .await
            .ok()?;
        element.text().await.ok()
    }

    /// How many elements carry this `data-testid`.
    pub async fn count(&self, testid: &str) -> usize {
        self.client
            .find_all(Locator::Css(&selector(testid)))
            .await
            .map(|found| found.len())
            .unwrap_or(0)
    }

    /// Clicks the first element with this `data-testid`.
    pub async fn click(&self, testid: &str) {
        let element = self
            .client
            .find(Locator::Css(&selector(testid)))
            .await
            .unwrap_or_else(|error| panic!("no element [data-testid={testid}] to click: {error}"));
        element
            .click()
            .await
            .unwrap_or_else(|error| panic!("could not click [data-testid={testid}]: {error}"));
    }

    /// Picks `path` in the `<input type="file">` with this `data-testid`, as a person choosing a
    /// file would; the input may be visually hidden (chromedriver allows that for file inputs).
    pub async fn choose_file(&self, testid: &str, path: &std::path::Path) {
        let input = self
            .client
            .find(Locator::Css(&selector(testid)))
            .await
            .unwrap_or_else(|error| panic!("no file input [data-testid={testid}]: {error}"));
        let path = path
            .canonicalize()
            .unwrap_or_else(|error| panic!("cannot choose {} ({error})", path.display()));
        input
            .send_keys(&path.to_string_lossy())
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "could not choose {} in [data-testid={testid}]: {error}",
                    path.display()
                )
            });
    }

    /// Waits until the element with this `data-testid` reads `expected` (ignoring surrounding
    /// whitespace). Panics with what it read instead after `timeout`.
    pub async fn wait_for_text(&self, testid: &str, expected: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.text(testid).await;
            if found.as_deref().map(str::trim) == Some(expected) {
                return;
            }
            if Instant::now() >= deadline {
                let seen = match found {
                    Some(text) => format!("it reads {text:?}"),
                    None => "there is no such element".into(),
                };
                panic!(
                    "waited {timeout:?} for [data-testid={testid}] to read {expected:?}; {seen}"
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until the element with this `data-testid` contains `expected`. Panics with what it
    /// read instead after `timeout`.
    pub async fn wait_for_text_containing(&self, testid: &str, expected: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.text(testid).await;
            if found.as_deref().is_some_and(|text| text.contains(expected)) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {timeout:?} for [data-testid={testid}] to contain {expected:?}; it reads {found:?}"
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until exactly `expected` elements carry this `data-testid`. Panics with the count it
    /// saw instead after `timeout`.
    pub async fn wait_for_count(&self, testid: &str, expected: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let count = self.count(testid).await;
            if count == expected {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {timeout:?} for {expected} elements [data-testid={testid}]; there are {count}"
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Saves a PNG of the page as `<target>/e2e-screenshots/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|error| panic!("could not take screenshot {name}: {error}"));
        save_screenshot(name, &png)
    }

    /// The browser console messages logged since the last call.
    pub fn console_log(&self) -> Vec<String> {
        webdriver::console_log(self.port, &self.session)
    }

    /// chromedriver's own log, for diagnosing a session that misbehaves.
    pub fn driver_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let name = format!("{}-failed", super::current_test_name());
            match webdriver::screenshot(self.port, &self.session) {
                Some(png) => {
                    let path = save_screenshot(&name, &png);
                    eprintln!("saved a screenshot of the failed page: {}", path.display());
                }
                None => eprintln!("could not take a screenshot of the failed page"),
            }
            let console = self.console_log();
            if !console.is_empty() {
                eprintln!(
                    "---- browser console ----\n{}\n---- end of browser console ----",
                    console.join("\n")
                );
            }
        }
        webdriver::delete_session(self.port, &self.session);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The CSS selector for a `data-testid`.
fn selector(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

/// Writes `png` to `<target>/e2e-screenshots/<name>.png`.
fn save_screenshot(name: &str, png: &[u8]) -> PathBuf {
    let dir = super::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("the target dir is writable");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("the screenshot dir is writable");
    path
}

/// A port nobody listens on right now. Another process could take it before chromedriver
/// binds; chromedriver would then fail to start, and the test says so.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("the loopback interface can bind a port")
}
