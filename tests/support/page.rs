//! Reading the app's page beyond text and counts: attributes, scripts, job states, shots, and
//! recorders for states too short-lived to be caught by polling (an upload of a small file, a
//! reconnect).
//!
//! These are methods of [`Browser`], written here so the driver stays about driving.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde::Deserialize;
use serde_json::Value;

use super::browser::Browser;

/// How often a wait re-reads the page.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The tallest window [`Browser::fit_window_to_page`] makes: enough for a few job cards,
/// small enough for a screenshot a person can read.
const MAX_SCREENSHOT_HEIGHT: u64 = 2400;

/// One `[data-testid=shot]` button as the page shows it.
#[derive(Clone, Debug, Deserialize)]
pub struct ShotOnPage {
    /// `data-index`: its position in the strip.
    pub position: Option<String>,
    /// Its accessible name, e.g. `Shot 3 at 0:02, 1.0 s`.
    pub label: String,
    /// The thumbnail's URL.
    pub src: String,
    /// Whether the thumbnail finished loading into a real image (`naturalWidth > 0`).
    pub loaded: bool,
}

impl ShotOnPage {
    /// The shot number in its label (`Shot 3 at …` → 3), which the page derives from the
    /// server's `index` + 1.
    pub fn number(&self) -> Option<usize> {
        self.label
            .strip_prefix("Shot ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

impl Browser {
    /// Waits until the (first) job's player has loaded its video's metadata, and checks its
    /// duration is the clip's: the video is served, with range requests, by whoever stores it.
    pub async fn assert_player_loads(&self, clip: &super::Clip) {
        let played = self
            .wait_for_script(
                "the served video's metadata to load",
                "const v = document.querySelector('[data-testid=job] video');
                 return v && v.readyState >= 1 ? v.duration : null;",
                super::THUMBNAIL_TIMEOUT,
                |duration| duration.is_number(),
            )
            .await;
        let seconds = played.as_f64().unwrap_or_default();
        assert!(
            (seconds - clip.duration_ms as f64 / 1000.0).abs() < 0.2,
            "the player has a video of {seconds} s for a clip of {} ms",
            clip.duration_ms
        );
    }

    /// Picks several files at once in the `<input type="file" multiple>` with this
    /// `data-testid` (chromedriver takes them as one newline-separated string).
    pub async fn choose_files(&self, testid: &str, paths: &[&std::path::Path]) {
        let input = self
            .client()
            .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .unwrap_or_else(|error| panic!("no file input [data-testid={testid}]: {error}"));
        let joined = paths
            .iter()
            .map(|path| {
                path.canonicalize()
                    .unwrap_or_else(|error| panic!("cannot choose {} ({error})", path.display()))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect::<Vec<_>>()
            .join("\n");
        input
            .send_keys(&joined)
            .await
            .unwrap_or_else(|error| panic!("could not choose {joined:?}: {error}"));
    }

    /// Runs a Chrome DevTools Protocol command in the page (through chromedriver). Panics
    /// with chromedriver's answer when it fails.
    pub fn devtools(&self, command: &str, params: serde_json::Value) -> Value {
        let (port, session) = self.driver_session();
        let body = serde_json::json!({ "cmd": command, "params": params });
        let path = format!("/session/{session}/goog/cdp/execute");
        match super::webdriver::post(port, &path, &body) {
            Ok((200, answer)) => answer["value"].clone(),
            Ok((status, answer)) => panic!("{command} failed with {status}: {answer}"),
            Err(error) => panic!("could not send {command} to chromedriver: {error}"),
        }
    }

    /// Makes the page see `prefers-color-scheme: dark`, as on a device in dark mode.
    pub fn prefer_dark_colours(&self) {
        self.devtools(
            "Emulation.setEmulatedMedia",
            serde_json::json!({
                "features": [{ "name": "prefers-color-scheme", "value": "dark" }],
            }),
        );
    }

    /// Makes the viewport `width` × `height` CSS pixels, like a phone held upright.
    pub fn emulate_screen(&self, width: u32, height: u32) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true,
            }),
        );
    }

    /// Presses `key` in whatever element has the focus, as a person at the keyboard would.
    pub async fn press(&self, key: fantoccini::key::Key) {
        self.type_keys(&String::from(char::from(key))).await;
    }

    /// Types `keys` into whatever element has the focus.
    pub async fn type_keys(&self, keys: &str) {
        let focused = self
            .client()
            .active_element()
            .await
            .expect("something has the focus");
        focused.send_keys(keys).await.expect("the key can be sent");
    }

    /// Runs `script` (a function body: it `return`s a value) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.client()
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("the page could not run a script: {error}\n{script}"))
    }

    /// Runs `script` until `done` accepts its value; returns that value. Panics with the last
    /// value after `timeout`, saying what was awaited.
    pub async fn wait_for_script(
        &self,
        what: &str,
        script: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(script).await;
            if done(&value) {
                return value;
            }
            if Instant::now() >= deadline {
                panic!("waited {timeout:?} for {what}; the page said {value}");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The attribute `name` of the first element with this `data-testid`.
    pub async fn attribute(&self, testid: &str, name: &str) -> Option<String> {
        let element = self
            .client()
            .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .ok()?;
        element.attr(name).await.ok().flatten()
    }

    /// Waits until the first job card's `data-state` is `expected`. Fails at once, with the
    /// card's error, if the job ends in another final state.
    pub async fn wait_for_job_state(&self, expected: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.attribute("job", "data-state").await;
            match state.as_deref() {
                Some(state) if state == expected => return,
                Some(state @ ("completed" | "failed" | "cancelled")) => panic!(
                    "the job ended {state}, not {expected}; its card says {:?}, its error {:?}",
                    self.text("job").await.unwrap_or_default(),
                    self.text("job-error").await
                ),
                _ => {}
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {timeout:?} for the job to be {expected}; it is {state:?}, stage {:?}",
                    self.text("job-stage").await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The shot buttons on the page, in document order.
    pub async fn shots(&self) -> Vec<ShotOnPage> {
        let value = self
            .eval(
                "return [...document.querySelectorAll('[data-testid=shot]')].map(shot => {
                    const img = shot.querySelector('img');
                    return {
                        position: shot.getAttribute('data-index'),
                        label: shot.getAttribute('aria-label') || '',
                        src: img ? img.src : '',
                        loaded: !!img && img.complete && img.naturalWidth > 0,
                    };
                });",
            )
            .await;
        serde_json::from_value(value).expect("the script returns a list of shots")
    }

    /// Every shot of the first job's strip, in strip order, scrolling the strip from its start
    /// to its end: it keeps only the shots near its view in the DOM. Panics if one position
    /// shows two different shots on the way (a shot shown twice, or out of place).
    pub async fn every_shot(&self) -> Vec<ShotOnPage> {
        let mut by_position: std::collections::BTreeMap<usize, ShotOnPage> = Default::default();
        let mut offset = 0.0;
        loop {
            let (width, length) = self.scroll_strip(offset).await;
            for shot in self.shots().await {
                let Some(position) = shot.position.as_deref().and_then(|p| p.parse().ok()) else {
                    continue;
                };
                if let Some(earlier) = by_position.get(&position) {
                    assert_eq!(
                        earlier.number(),
                        shot.number(),
                        "strip position {position} showed two shots: {earlier:?} and {shot:?}"
                    );
                }
                by_position.insert(position, shot);
            }
            if width <= 0.0 || offset + width >= length {
                return by_position.into_values().collect();
            }
            offset += width / 2.0;
        }
    }

    /// Scrolls the first job's strip to `offset` px and waits two frames, for the list to build
    /// the cells of the new view; the strip's visible and whole lengths.
    async fn scroll_strip(&self, offset: f64) -> (f64, f64) {
        let view = self
            .eval(&format!(
                "const strip = document.querySelector('[data-testid=job] .shots:not(.grid)');
                 strip.scrollLeft = {offset};
                 strip.dispatchEvent(new Event('scroll'));
                 return [strip.clientWidth, strip.scrollWidth];"
            ))
            .await;
        self.eval(
            "return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));",
        )
        .await;
        (
            view[0].as_f64().unwrap_or(0.0),
            view[1].as_f64().unwrap_or(0.0),
        )
    }

    /// Scrolls the first job's strip until the shot at `position` is built (the strip keeps
    /// only the shots near its view in the DOM). Panics if it never is.
    pub async fn show_shot(&self, position: usize) {
        let mut offset = 0.0;
        loop {
            let (width, length) = self.scroll_strip(offset).await;
            let built = self
                .eval(&format!(
                    "return !!document.querySelector('[data-testid=job] [data-testid=shot][data-index=\"{position}\"]');"
                ))
                .await;
            if built.as_bool() == Some(true) {
                return;
            }
            assert!(
                width > 0.0 && offset + width < length,
                "the strip never built the shot at position {position}"
            );
            offset += width / 2.0;
        }
    }

    /// Waits until every shot's thumbnail has loaded, scrolling each into view once (they load
    /// lazily). Panics with the ones still missing after `timeout`.
    pub async fn wait_for_thumbnails(&self, timeout: Duration) -> Vec<ShotOnPage> {
        let deadline = Instant::now() + timeout;
        loop {
            let shots = self.shots().await;
            if shots.iter().all(|s| s.loaded) {
                return shots;
            }
            if Instant::now() >= deadline {
                let missing: Vec<_> = shots.iter().filter(|s| !s.loaded).collect();
                panic!("waited {timeout:?} for thumbnails; these did not load: {missing:#?}");
            }
            self.eval(
                "for (const img of document.querySelectorAll('[data-testid=shot] img')) {
                    if (!(img.complete && img.naturalWidth > 0)) img.loading = 'eager';
                 }
                 return null;",
            )
            .await;
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// From now on, records every text the first element with this `data-testid` shows, each
    /// change once, including ones that last less than a poll. Read with
    /// [`Browser::recorded_texts`].
    pub async fn record_texts(&self, testid: &str) {
        let script = format!(
            "const id = {testid:?};
             window.__recorded = window.__recorded || {{}};
             const seen = window.__recorded[id] = window.__recorded[id] || [];
             const read = () => {{
                 const el = document.querySelector('[data-testid=\"' + id + '\"]');
                 const text = el ? el.textContent.trim() : null;
                 if (text !== null && seen[seen.length - 1] !== text) seen.push(text);
             }};
             read();
             new MutationObserver(read).observe(document.body, {{
                 subtree: true, childList: true, characterData: true, attributes: true,
             }});
             return null;"
        );
        self.eval(&script).await;
    }

    /// The texts recorded since [`Browser::record_texts`] for this `data-testid`, in order.
    pub async fn recorded_texts(&self, testid: &str) -> Vec<String> {
        let value = self
            .eval(&format!(
                "return ((window.__recorded || {{}})[{testid:?}] || []);"
            ))
            .await;
        serde_json::from_value(value).expect("the recorder holds strings")
    }

    /// The end of a passing test: the console holds no error, and a screenshot of the whole
    /// page is saved as `name`.
    pub async fn finish(&self, name: &str) {
        self.assert_console_has_no_errors();
        self.fit_window_to_page().await;
        self.screenshot(name).await;
    }

    /// Panics when the browser console holds an error logged since the last read (a failed
    /// request, a CORS refusal, a panic in the app). `/favicon.ico` is the one request allowed
    /// to fail: the app ships an inline icon, but a browser may still ask for the file.
    pub fn assert_console_has_no_errors(&self) {
        let errors: Vec<String> = self
            .console_log()
            .into_iter()
            .filter(|line| line.starts_with("SEVERE") && !line.contains("/favicon.ico"))
            .collect();
        assert!(
            errors.is_empty(),
            "the browser console logged errors:\n{}",
            errors.join("\n")
        );
    }

    /// Makes the window as tall as the page (up to [`MAX_SCREENSHOT_HEIGHT`]) and scrolls to the
    /// top, so a screenshot shows everything a person would scroll through.
    pub async fn fit_window_to_page(&self) {
        let height = self
            .eval("window.scrollTo(0, 0); return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(600, MAX_SCREENSHOT_HEIGHT);
        let (width, _) = self
            .client()
            .get_window_size()
            .await
            .expect("the window has a size");
        // The window includes a little browser chrome even when headless; a margin keeps the
        // page from scrolling.
        self.client()
            .set_window_size(width as u32, height as u32 + 160)
            .await
            .expect("the window can be resized");
        self.wait_for_transitions().await;
    }

    /// Waits until no CSS transition or animation is running (a progress bar still sliding
    /// to 100% would look wrong in a screenshot), then for two frames to be painted.
    pub async fn wait_for_transitions(&self) {
        let script = "const done = arguments[arguments.length - 1];
            const settle = () => requestAnimationFrame(() => requestAnimationFrame(() => done(null)));
            Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))
                .then(settle, settle);";
        self.client()
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("the page did not settle: {error}"));
    }

    /// Holds every request whose URL matches `pattern` (`*` is any text) before it leaves the
    /// browser, until [`Browser::release_requests`]: the page sees it in flight, as on a
    /// stalled link, for as long as the test needs.
    pub fn hold_requests(&self, pattern: &str) {
        self.devtools(
            "Fetch.enable",
            serde_json::json!({ "patterns": [{ "urlPattern": pattern, "requestStage": "Request" }] }),
        );
    }

    /// Stops holding requests (see [`Browser::hold_requests`]).
    pub fn release_requests(&self) {
        self.devtools("Fetch.disable", serde_json::json!({}));
    }

    /// From now on, records the method and URL of every `XMLHttpRequest` the page opens, until
    /// it is reloaded. Read with [`Browser::recorded_requests`].
    pub async fn record_requests(&self) {
        self.eval(
            "window.__requests = [];
             const open = XMLHttpRequest.prototype.open;
             XMLHttpRequest.prototype.open = function (method, url, ...rest) {
                 window.__requests.push(method + ' ' + url);
                 return open.call(this, method, url, ...rest);
             };
             return null;",
        )
        .await;
    }

    /// The `METHOD url` of every request recorded since [`Browser::record_requests`].
    pub async fn recorded_requests(&self) -> Vec<String> {
        let value = self.eval("return window.__requests || [];").await;
        serde_json::from_value(value).expect("the recorder holds strings")
    }
}
