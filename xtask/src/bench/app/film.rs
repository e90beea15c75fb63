//! `cargo xtask bench app --film`: the page under a feature film's worth of shots. The page
//! follows one made-up job with its storyboard open, as a person reviewing a film has it, and
//! the benchmark pushes the job's metadata and then 3,000 `job.shot` events (every 25th a
//! fade, every other 10th a dissolve) through the real server's `@connections` API, a few
//! milliseconds apart, as a worker finding shots quickly would.
//!
//! It reports:
//! - push→DOM p50 and p99 over the last 500 shots, when the page already holds 2,500: each
//!   shot timed from just before its push request is written to when its button enters the
//!   strip's DOM (the strip follows the newest shot), on the clocks [`super::timing`] explains;
//! - the longest main-thread task during the pushes, from a `PerformanceObserver` for
//!   `longtask` (which reports tasks of 50 ms and more), and the longest gap between two
//!   animation frames;
//! - the heap at the end, after a forced garbage collection: the JS heap (the DevTools
//!   protocol's `Runtime.getHeapUsage`) and the wasm's linear memory beside it; and how many
//!   elements the page has;
//! - for finding where time goes: the same latency over the first 500 shots, and the main
//!   thread's time per shot in script, style and layout (DevTools' `Performance.getMetrics`).
//!
//! Targets (issue 14): p99 ≤ 16 ms, no task over 50 ms, heap ≤ 100 MB.

use super::pusher::{COLLECT_SHOTS, Gaps, OBSERVE_SHOTS, Pusher, clock_offset, film};
use super::server::{Server, mean, quantile, sorted};
use super::timing::report_console;
use super::webdriver::Browser;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;
use vidpush_protocol::EventBody;

/// Shots pushed by default (`--film N` changes it): a feature film's upper end.
pub const DEFAULT_SHOTS: u32 = 3_000;
/// The shots latency is reported over: the last ones, when the page is fullest.
const MEASURED_TAIL: usize = 500;
/// Pause between two pushes, in ms: a worker finding shots quickly.
const PUSH_GAP_MS: (u64, u64) = (2, 12);
/// The job the page follows. Well-formed, never created on the server.
const JOB_ID: &str = "bench-film";
/// Target for push→DOM at p99 over the last shots (issue 14).
const TARGET_P99_MS: f64 = 16.0;
/// No main-thread task may take longer (issue 14); also the long-task API's own threshold.
const TARGET_LONGEST_TASK_MS: f64 = 50.0;
/// Target for the heap at the end (issue 14), in MB.
const TARGET_HEAP_MB: f64 = 100.0;

/// Notes every long task and the longest gap between two animation frames.
const OBSERVE_TASKS: &str = r#"
const tasks = window.__benchTasks = { longest: 0, count: 0, frameGap: 0 };
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    tasks.count += 1;
    tasks.longest = Math.max(tasks.longest, entry.duration);
  }
}).observe({ type: 'longtask' });
let last = null;
const frame = now => {
  if (last !== null) tasks.frameGap = Math.max(tasks.frameGap, now - last);
  last = now;
  if (!window.__benchStop) requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
return true;
"#;

/// Stops the frame watch and returns what was noted, with the page's element count.
const READ_TASKS: &str = r#"
window.__benchStop = true;
return Object.assign({ elements: document.getElementsByTagName('*').length }, window.__benchTasks);
"#;

/// Runs the film-scale measurement against `dist/` and prints it.
pub fn run(server_binary: &Path, dist: &Path, shots: u32) -> crate::Result {
    let server = Server::start(server_binary, dist)?;
    let browser = Browser::start()?;
    let mut pusher = Pusher::follow(&browser, &server, JOB_ID)?;
    browser.run(
        "document.querySelector('[data-testid=storyboard] summary').click(); return true;",
        json!([]),
    )?;
    browser.run(OBSERVE_SHOTS, json!([]))?;
    browser.run(OBSERVE_TASKS, json!([]))?;
    let (offset, uncertainty) = clock_offset(&browser)?;
    browser.devtools("Performance.enable", json!({}))?;
    let before = browser.devtools("Performance.getMetrics", json!({}))?;
    pusher.push(EventBody::Metadata {
        metadata: film::metadata(shots),
    })?;
    let mut gaps = Gaps::new(PUSH_GAP_MS);
    let mut pushed_at = Vec::with_capacity(shots as usize);
    let started = Instant::now();
    for index in 0..shots {
        gaps.sleep();
        pushed_at.push(pusher.push_shot(index)?);
    }
    let pushing = started.elapsed();
    let seen = browser.run(COLLECT_SHOTS, json!([shots]))?;
    let tasks = browser.run(READ_TASKS, json!([]))?;
    let after = browser.devtools("Performance.getMetrics", json!({}))?;
    browser.devtools("HeapProfiler.collectGarbage", json!({}))?;
    let heap = browser.devtools("Runtime.getHeapUsage", json!({}))?;
    let wasm_memory = wasm_memory_bytes(&browser)?;

    let mut latency = vec![f64::NAN; shots as usize];
    for entry in seen.as_array().into_iter().flatten() {
        let index = entry[0].as_u64().unwrap_or(u64::MAX) as usize;
        if let (Some(slot), Some(at)) = (latency.get_mut(index), entry[1].as_f64()) {
            *slot = at - offset - pushed_at[index];
        }
    }
    let head = sorted(latency[..MEASURED_TAIL.min(latency.len())].to_vec());
    let tail = &latency[latency.len().saturating_sub(MEASURED_TAIL)..];
    if tail.iter().any(|l| l.is_nan()) {
        return Err("some of the last shots were never seen entering the DOM".into());
    }
    let tail = sorted(tail.to_vec());
    println!();
    println!(
        "film scale: {shots} job.shot events for one job in {:.1} s, storyboard open (clock offset {offset:+.2} ms ± {uncertainty:.2} ms):",
        pushing.as_secs_f64()
    );
    let p99 = quantile(&tail, 0.99);
    println!(
        "  push→DOM, last {} shots: p50 {:.1} ms, mean {:.1} ms, p99 {p99:.1} ms, max {:.1} ms; target p99 ≤ {TARGET_P99_MS:.0} ms — {}",
        tail.len(),
        quantile(&tail, 0.5),
        mean(&tail),
        quantile(&tail, 1.0),
        verdict(p99 <= TARGET_P99_MS)
    );
    println!(
        "  (the first {} shots, for comparison: p50 {:.1} ms, p99 {:.1} ms)",
        head.len(),
        quantile(&head, 0.5),
        quantile(&head, 0.99)
    );
    let spent =
        |name: &str| (metric(&after, name) - metric(&before, name)) * 1000.0 / f64::from(shots);
    println!(
        "  main thread per shot (DevTools metrics over the run): tasks {:.2} ms, of which script {:.2} ms, style {:.2} ms, layout {:.2} ms",
        spent("TaskDuration"),
        spent("ScriptDuration"),
        spent("RecalcStyleDuration"),
        spent("LayoutDuration")
    );
    let longest = number(&tasks["longest"]);
    let long_tasks = tasks["count"].as_u64().unwrap_or(0);
    println!(
        "  main thread: {long_tasks} task(s) of 50 ms or more{}; longest gap between frames {:.1} ms; target no task over {TARGET_LONGEST_TASK_MS:.0} ms — {}",
        if long_tasks > 0 {
            format!(", the longest {longest:.1} ms")
        } else {
            String::new()
        },
        number(&tasks["frameGap"]),
        verdict(longest <= TARGET_LONGEST_TASK_MS)
    );
    let js = number(&heap["usedSize"]) / 1_000_000.0;
    let wasm = wasm_memory / 1_000_000.0;
    println!(
        "  heap after GC: JS {js:.1} MB + the wasm's linear memory {wasm:.1} MB = {:.1} MB; {} elements in the page; target ≤ {TARGET_HEAP_MB:.0} MB — {}",
        js + wasm,
        tasks["elements"],
        verdict(js + wasm <= TARGET_HEAP_MB)
    );
    report_console(&browser)
}

/// The bytes of every `WebAssembly.Memory` in the page (the app's linear memory; the JS heap
/// figure leaves it out), found through the DevTools protocol since the page keeps it private.
fn wasm_memory_bytes(browser: &Browser) -> crate::Result<f64> {
    let prototype = browser.devtools(
        "Runtime.evaluate",
        json!({ "expression": "WebAssembly.Memory.prototype" }),
    )?;
    let memories = browser.devtools(
        "Runtime.queryObjects",
        json!({ "prototypeObjectId": prototype["result"]["objectId"] }),
    )?;
    let total = browser.devtools(
        "Runtime.callFunctionOn",
        json!({
            "objectId": memories["objects"]["objectId"],
            "functionDeclaration": "function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }",
            "returnByValue": true,
        }),
    )?;
    total["result"]["value"]
        .as_f64()
        .ok_or_else(|| format!("the page's wasm memory could not be read: {total}").into())
}

/// The value of the DevTools performance metric `name` in a `Performance.getMetrics` answer.
fn metric(metrics: &Value, name: &str) -> f64 {
    metrics["metrics"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == name))
        .map_or(0.0, |m| number(&m["value"]))
}

/// A JSON number, or 0.
fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// "met" or "missed".
fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "missed" }
}
