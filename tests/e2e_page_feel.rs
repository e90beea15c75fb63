//! The page as a finished product: a file dropped anywhere is taken (not opened by the browser
//! in place of the app), one job uses the whole width with its player beside its details, and
//! the tab's title says when the analysis is done.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::Engine;
use support::{Browser, ClipSpec, JOB_TIMEOUT, Server, ServerOptions, make_clip};

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
