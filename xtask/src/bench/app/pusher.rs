//! Playing the backend for the page: the page follows a made-up job, and the benchmark pushes
//! that job's events to the page's connection through the `@connections` management API, as the
//! job worker does, timing each push from just before its request is written.
//!
//! The page follows a job it remembers (in `localStorage`) only when the server's job list
//! cannot be read, so the benchmark blocks that one request (`GET /api/jobs`) with the
//! DevTools protocol; the server then answers the subscription with "no job with that id",
//! which the page shows, and which does not matter: the page applies any event of a followed
//! job that arrives in order.

use super::server::{Home, wall_ms};
use super::webdriver::Browser;
use serde_json::json;
use std::time::Duration;
use vidpush_protocol::{EventBody, JobEvent, JobId};

/// The made-up film's shots and metadata, shared with the browser tests (one source of these
/// fixtures for both).
#[path = "../../../../tests/support/film.rs"]
pub mod film;

/// How long one `@connections` request may take. The server answers in milliseconds; this only
/// keeps a hung server from hanging the benchmark.
const PUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits until the page follows the job over a live socket and has heard the server's answer.
const WAIT_SUBSCRIBED: &str = r#"
return new Promise((resolve, reject) => {
  const deadline = performance.now() + 10000;
  const check = () => {
    const live = document.querySelector('[data-testid="connection-state"]')?.textContent === 'live';
    const answered = document.querySelector('[data-testid="job"] [data-testid="job-error"]');
    if (live && answered) resolve(true);
    else if (performance.now() > deadline) reject(new Error('the page did not subscribe within 10 s'));
    else setTimeout(check, 10);
  };
  check();
});
"#;

/// Records when each shot enters the strip's DOM, by its `data-index`, the first time only (the
/// strip builds only the shots near its view, and builds one again when scrolled back to it).
pub const OBSERVE_SHOTS: &str = r#"
window.__benchShots = [];
const seen = new Set();
new MutationObserver(records => {
  const now = performance.timeOrigin + performance.now();
  for (const record of records) for (const node of record.addedNodes) {
    if (node.nodeType !== 1) continue;
    const shots = node.matches('[data-testid="shot"]') ? [node] : node.querySelectorAll('[data-testid="shot"]');
    for (const shot of shots) {
      const index = Number(shot.dataset.index);
      if (!seen.has(index)) { seen.add(index); window.__benchShots.push([index, now]); }
    }
  }
}).observe(document.body, { childList: true, subtree: true });
return true;
"#;

/// Waits until `arguments[0]` shots are in, and returns what the observer noted.
pub const COLLECT_SHOTS: &str = r#"
const want = arguments[0];
return new Promise((resolve, reject) => {
  const deadline = performance.now() + 15000;
  const check = () => {
    if (window.__benchShots.length >= want) resolve(window.__benchShots);
    else if (performance.now() > deadline) reject(new Error(`only ${window.__benchShots.length} of ${want} shots reached the DOM`));
    else setTimeout(check, 20);
  };
  check();
});
"#;

/// The backend's side of one page's socket, for one made-up job.
pub struct Pusher<'a> {
    /// One agent for every push, so they share one kept-alive connection.
    http: ureq::Agent,
    /// Where the page runs, which authorises each push.
    home: &'a dyn Home,
    /// `POST` here pushes to the page's connection.
    url: String,
    /// The made-up job.
    job_id: JobId,
    /// The next event's `seq`.
    next_seq: u64,
}

impl<'a> Pusher<'a> {
    /// Loads `page` so that it follows the made-up job `job`, and opens the kept-alive
    /// connection the pushes use.
    pub fn follow(browser: &Browser, home: &'a dyn Home, job: &str) -> crate::Result<Self> {
        let page = home.page_url();
        let page = page.as_str();
        browser.devtools("Network.enable", json!({}))?;
        browser.devtools("Network.setBlockedURLs", json!({ "urls": ["*/api/jobs"] }))?;
        // The job is remembered in the page's own origin, then the page loads again with it.
        browser.goto(page)?;
        browser.run(
            "localStorage.setItem('vidpush.jobs', arguments[0] + '\\tbench.mp4'); return true;",
            json!([job]),
        )?;
        browser.goto(page)?;
        browser.run(WAIT_SUBSCRIBED, json!([]))?;
        let url = home.connection_url(&home.newest_connection()?);
        // A non-2xx answer comes back as an answer, so its body can be shown; a proxy from the
        // environment could not reach this machine's loopback.
        let http: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(PUSH_TIMEOUT))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        // Warm-up: `GET @connections/{id}` (which changes nothing) opens the connection the
        // pushes then reuse, so no push timestamp includes a TCP handshake. Reading the body to
        // its end is what returns the connection to the agent's pool.
        let mut warm_up = http.get(&url);
        for (name, value) in home.authorization("GET", &url, b"")? {
            warm_up = warm_up.header(name, value);
        }
        let mut answer = warm_up.call()?;
        let (status, reply) = (answer.status(), answer.body_mut().read_to_string()?);
        if status != 200 {
            return Err(format!("@connections answered {status} to the warm-up: {reply}").into());
        }
        Ok(Self {
            http,
            home,
            url,
            job_id: JobId::from(job),
            next_seq: 1,
        })
    }

    /// Pushes the job's next event; the wall-clock time just before its request was written.
    pub fn push(&mut self, body: EventBody) -> crate::Result<f64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let event = JobEvent {
            job_id: self.job_id.clone(),
            seq,
            at_ms: wall_ms() as u64,
            body,
        };
        // The request, its body and its signature are ready before the timestamp, and the
        // connection is the warm pooled one, so what is timed starts with writing the request,
        // as for a worker holding a connection to the gateway: no handshake, no serialization.
        let body = event.to_json();
        let mut request = self.http.post(&self.url);
        for (name, value) in self
            .home
            .authorization("POST", &self.url, body.as_bytes())?
        {
            request = request.header(name, value);
        }
        let sent = wall_ms();
        let mut answer = request.send(body.as_bytes())?;
        let (status, reply) = (answer.status(), answer.body_mut().read_to_string()?);
        if status != 200 {
            return Err(format!("@connections answered {status} to push {seq}: {reply}").into());
        }
        Ok(sent)
    }

    /// Pushes shot `index` of the made-up job with its thumbnail URL.
    pub fn push_shot(&mut self, index: u32) -> crate::Result<f64> {
        let thumbnail_url = format!("/api/jobs/{}/thumbnails/{index}.jpg", self.job_id);
        self.push(EventBody::Shot {
            shot: film::shot(index),
            thumbnail_url,
        })
    }
}

/// A small deterministic generator (xorshift64*) for the gaps between pushes.
pub struct Gaps {
    state: u64,
    /// The shortest and longest gap, in ms.
    range: (u64, u64),
}

impl Gaps {
    /// Gaps between `range.0` and `range.1` ms, the same sequence every run.
    pub fn new(range: (u64, u64)) -> Self {
        Self {
            state: 0x9E37_79B9_7F4A_7C15,
            range,
        }
    }

    /// Sleeps for the next gap.
    pub fn sleep(&mut self) {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let (low, high) = self.range;
        let gap = low + self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) % (high - low + 1);
        std::thread::sleep(Duration::from_millis(gap));
    }
}

/// How far the page's clock (`timeOrigin + now()`) is ahead of this process's wall clock, from
/// the tightest of several WebDriver round trips, and half that round trip.
pub fn clock_offset(browser: &Browser) -> crate::Result<(f64, f64)> {
    let mut best = (f64::INFINITY, 0.0);
    for _ in 0..15 {
        let before = wall_ms();
        let page = browser.run(
            "return performance.timeOrigin + performance.now();",
            json!([]),
        )?;
        let after = wall_ms();
        let page = page.as_f64().ok_or("the page did not report its clock")?;
        if after - before < best.0 {
            best = (after - before, page - (before + after) / 2.0);
        }
    }
    Ok((best.1, best.0 / 2.0))
}
