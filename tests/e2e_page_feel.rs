//! The page as a finished product: a file dropped anywhere is taken (not opened by the browser
//! in place of the app), one job uses the whole width with its player beside its details, and
//! the tab's title says when the analysis is done; the keyboard moves through the shots and the
//! shot under the playhead is marked.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::Engine;
use fantoccini::key::Key;
use support::{
    Browser, ClipSpec, JOB_TIMEOUT, Server, ServerOptions, THUMBNAIL_TIMEOUT, make_clip,
};

#[tokio::test]
async fn a_file_dropped_outside_the_box_is_analysed_and_the_title_says_when_it_is_done() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let bytes = std::fs::read(&clip.path).expect("the clip was rendered");
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    let page = browser.eval("return location.href;").await;

    // Dropped on the empty-board sentence, far from the dashed box.
    let script = format!(
        "const bytes = Uint8Array.from(atob({:?}), c => c.charCodeAt(0));
         const data = new DataTransfer();
         data.items.add(new File([bytes], 'dropped.mp4', {{ type: 'video/mp4' }}));
         const target = document.querySelector('.empty');
         const over = new DragEvent('dragover', {{ dataTransfer: data, bubbles: true, cancelable: true }});
         target.dispatchEvent(over);
         const drop = new DragEvent('drop', {{ dataTransfer: data, bubbles: true, cancelable: true }});
         target.dispatchEvent(drop);
         return [over.defaultPrevented, drop.defaultPrevented];",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    let prevented = browser.eval(&script).await;
    assert_eq!(
        prevented,
        serde_json::json!([true, true]),
        "the browser's default (opening the file in place of the app) was not cancelled"
    );
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    assert_eq!(browser.eval("return location.href;").await, page);
    let name = browser
        .eval("return document.querySelector('[data-testid=job] .file-name').textContent;")
        .await;
    assert_eq!(name.as_str(), Some("dropped.mp4"));
    assert_eq!(browser.title().await, "✓ Analysis done · vidpush");

    // One job on a wide screen: the player and the details side by side.
    let beside = browser
        .eval(
            "const card = document.querySelector('[data-testid=job]').getBoundingClientRect();
             const video = document.querySelector('[data-testid=job] video').getBoundingClientRect();
             const details = document.querySelector('[data-testid=metadata]').getBoundingClientRect();
             const board = document.querySelector('.board').getBoundingClientRect();
             return [card.width >= board.width - 1, details.left >= video.right];",
        )
        .await;
    assert_eq!(
        beside,
        serde_json::json!([true, true]),
        "one job does not use the whole width with its details beside the player"
    );
    browser
        .finish("a_file_dropped_outside_the_box_is_analysed_and_the_title_says_when_it_is_done")
        .await;
}

async fn focused_shot(browser: &Browser) -> serde_json::Value {
    browser
        .eval("return document.activeElement.getAttribute('data-index');")
        .await
}

#[tokio::test]
async fn arrow_keys_move_through_the_shots_and_the_shot_under_the_playhead_is_marked() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 6,
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;

    browser
        .eval("document.querySelector('[data-testid=shot]').focus(); return null;")
        .await;
    browser.press(Key::Right).await;
    browser.press(Key::Right).await;
    assert_eq!(
        focused_shot(&browser).await,
        "2",
        "two right arrows from shot 1"
    );
    browser.press(Key::Left).await;
    assert_eq!(focused_shot(&browser).await, "1");
    browser.press(Key::End).await;
    assert_eq!(focused_shot(&browser).await, "5");
    browser.press(Key::Home).await;
    browser.press(Key::Right).await;
    browser.press(Key::Right).await;
    browser.press(Key::Enter).await;
    // Shot 3 starts at 2.0 s; once the player is there, shot 3 is marked as playing.
    let playing = browser
        .wait_for_script(
            "the shot under the playhead to be marked",
            "const v = document.querySelector('[data-testid=job] video');
             const mark = document.querySelector('[data-testid=shot].playing');
             return !v.seeking && mark ? mark.getAttribute('data-index') : null;",
            THUMBNAIL_TIMEOUT,
            |index| index == "2",
        )
        .await;
    assert_eq!(playing, "2");
    // From the card's name, one Tab reaches the shots: the player's own controls are not in
    // the way, and K plays and pauses it from the strip.
    browser
        .eval("document.querySelector('[data-testid=job] .file-name').focus(); return null;")
        .await;
    browser.press(Key::Tab).await;
    let reached = browser
        .eval("return document.activeElement.getAttribute('data-testid');")
        .await;
    assert_eq!(
        reached, "shot",
        "Tab from the card's name went elsewhere first"
    );
    browser.type_keys("k").await;
    browser
        .wait_for_script(
            "K to play the video",
            "return !document.querySelector('[data-testid=job] video').paused;",
            THUMBNAIL_TIMEOUT,
            |playing| playing == true,
        )
        .await;
    browser.type_keys("k").await;
    browser
        .wait_for_script(
            "K to pause the video",
            "return document.querySelector('[data-testid=job] video').paused;",
            THUMBNAIL_TIMEOUT,
            |paused| paused == true,
        )
        .await;
    let in_view = browser
        .eval(
            "const r = document.querySelector('[data-testid=job] video').getBoundingClientRect();
             return r.top >= 0 && r.bottom <= window.innerHeight;",
        )
        .await;
    assert_eq!(in_view, true, "choosing a shot left the player out of view");
    browser
        .finish("arrow_keys_move_through_the_shots_and_the_shot_under_the_playhead_is_marked")
        .await;
}

#[tokio::test]
async fn a_job_that_ends_while_the_tab_is_hidden_is_told_in_a_notification() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    // Headless Chromium shows no notifications and its tab is never hidden: both are played
    // by the script, which records what the page asks for.
    browser
        .eval(
            "window.__asked = 0;
             window.__notices = [];
             window.Notification = class {
                 constructor(title, options) { window.__notices.push([title, options.body]); }
                 static get permission() { return window.__asked ? 'granted' : 'default'; }
                 static requestPermission() { window.__asked += 1; return Promise.resolve('granted'); }
             };
             Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
             return null;",
        )
        .await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let asked = browser.eval("return window.__asked;").await;
    assert_eq!(
        asked, 1,
        "the page did not ask once for permission to notify"
    );
    let notices = browser
        .wait_for_script(
            "the notification",
            "return window.__notices;",
            THUMBNAIL_TIMEOUT,
            |n| n.as_array().is_some_and(|n| !n.is_empty()),
        )
        .await;
    assert_eq!(
        notices,
        serde_json::json!([["Analysis done", "clip.mp4: 3 shots"]]),
        "the page did not say, once, that the analysis was done"
    );
    browser
        .finish("a_job_that_ends_while_the_tab_is_hidden_is_told_in_a_notification")
        .await;
}
