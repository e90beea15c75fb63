//! "Fewer cuts / usual / more cuts": chosen before a file is picked, from the keyboard too,
//! remembered across a reload, and sent with the job, whose analysis then finds fewer cuts.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use fantoccini::Locator;
use support::{Browser, ClipSpec, JOB_TIMEOUT, LIVE_TIMEOUT, Server, ServerOptions, make_clip};

/// Two shots of one test pattern, the second with its hues turned by 40°: the analysis finds
/// the cut between them at the usual sensitivity and not with fewer cuts.
const LOOK_ALIKE: &[&str] = &["testsrc2", "testsrc2,hue=h=40"];

/// Which of the radio buttons `cuts-fewer`, `cuts-usual`, `cuts-more` is checked.
async fn checked_cuts(browser: &Browser) -> String {
    let value = browser
        .eval("return document.querySelector('[data-testid=cuts] input:checked')?.value ?? null;")
        .await;
    value.as_str().unwrap_or("none").to_owned()
}

/// Waits until every job card is completed; their file names and shot counts, in page order.
async fn finished_jobs(browser: &Browser, count: usize) -> Vec<(String, u64)> {
    let jobs = browser
        .wait_for_script(
            "every job to complete",
            "return [...document.querySelectorAll('[data-testid=job]')].map(job => ({
                 state: job.getAttribute('data-state'),
                 text: job.textContent,
                 shots: job.querySelectorAll('[data-testid=shot]').length,
             }));",
            JOB_TIMEOUT,
            |jobs| {
                jobs.as_array().is_some_and(|jobs| {
                    jobs.len() == count && jobs.iter().all(|job| job["state"] == "completed")
                })
            },
        )
        .await;
    jobs.as_array()
        .expect("a list of jobs")
        .iter()
        .map(|job| {
            let text = job["text"].as_str().unwrap_or_default();
            let name = if text.contains("usual.mp4") {
                "usual.mp4"
            } else {
                "fewer.mp4"
            };
            (name.to_owned(), job["shots"].as_u64().unwrap_or(0))
        })
        .collect()
}

#[tokio::test]
async fn fewer_cuts_chosen_by_keyboard_is_remembered_and_the_job_finds_fewer_cuts() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = |name: &str| {
        make_clip(
            clips.path(),
            &ClipSpec {
                shots: 2,
                file_name: name.into(),
                patterns: LOOK_ALIKE,
                ..ClipSpec::default()
            },
        )
    };
    let (usual, fewer) = (clip("usual.mp4"), clip("fewer.mp4"));
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    assert_eq!(
        checked_cuts(&browser).await,
        "usual",
        "a new visitor gets the usual setting"
    );

    // The usual setting finds the cut between the look-alike shots.
    browser.choose_file("file-input", &usual.path).await;
    assert_eq!(finished_jobs(&browser, 1).await, [("usual.mp4".into(), 2)]);

    // Arrow keys move through a radio group: one step left of "usual" is "fewer".
    let usual_button = browser
        .client()
        .find(Locator::Css("[data-testid=cuts-usual]"))
        .await
        .expect("the usual button is on the page");
    usual_button
        .send_keys("\u{E012}") // WebDriver's ArrowLeft
        .await
        .expect("the radio group takes keys");
    assert_eq!(checked_cuts(&browser).await, "fewer");
    browser
        .wait_for_text_containing("cuts-explanation", "Fewer cuts:", LIVE_TIMEOUT)
        .await;
    let described = browser
        .attribute("cuts-fewer", "aria-describedby")
        .await
        .expect("the choice names its explanation");
    assert_eq!(described, "cuts-explanation");

    browser.reload_live().await;
    assert_eq!(
        checked_cuts(&browser).await,
        "fewer",
        "the choice is forgotten on reload"
    );

    // With fewer cuts the same two shots are one.
    browser.choose_file("file-input", &fewer.path).await;
    let mut jobs = finished_jobs(&browser, 2).await;
    jobs.sort();
    assert_eq!(
        jobs,
        [("fewer.mp4".into(), 1), ("usual.mp4".into(), 2)],
        "the job started with fewer cuts still found the look-alike cut"
    );
    browser
        .finish("fewer_cuts_chosen_by_keyboard_is_remembered_and_the_job_finds_fewer_cuts")
        .await;
}
