//! The page on a phone in dark mode: dark colours from `prefers-color-scheme`, nothing wider
//! than the screen (even a card for a file with a very long name), a finished job readable; and
//! once a job exists, the header and the drop zone shrink so the results are above the fold.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Browser, ClipSpec, JOB_TIMEOUT, Server, ServerOptions, THUMBNAIL_TIMEOUT, make_clip,
};

/// A phone held upright, in CSS pixels.
const PHONE: (u32, u32) = (390, 844);

/// Relative luminance (0 black … 1 white) of the CSS colour the script returns, from its
/// `rgb(r, g, b)` form.
fn luminance(css: &str) -> f64 {
    let channels: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .filter_map(|c| c.trim().parse::<f64>().ok())
        .collect();
    assert_eq!(channels.len(), 3, "not an rgb() colour: {css:?}");
    (0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]) / 255.0
}

#[tokio::test]
async fn a_finished_job_reads_well_on_a_phone_in_dark_mode() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    // People's file names run long; the card must cut them, not grow past the screen.
    let clip = make_clip(
        clips.path(),
        &ClipSpec {
            file_name: "A very long holiday video file name from the summer in Lisbon with the \
                        whole family_final_v2 (1).mp4"
                .into(),
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.prefer_dark_colours();
    browser.emulate_screen(PHONE.0, PHONE.1);
    browser.open_live(&server.url()).await;

    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;

    let page = browser
        .eval(
            "const root = document.documentElement;
             const card = document.querySelector('[data-testid=job]');
             return {
                 background: getComputedStyle(document.body).backgroundColor,
                 cardBackground: getComputedStyle(card).backgroundColor,
                 text: getComputedStyle(card).color,
                 scrollWidth: root.scrollWidth,
                 clientWidth: root.clientWidth,
                 cardScrollWidth: card.scrollWidth,
                 cardClientWidth: card.clientWidth,
                 height: root.scrollHeight,
             };",
        )
        .await;
    let background = luminance(page["background"].as_str().unwrap_or_default());
    let card = luminance(page["cardBackground"].as_str().unwrap_or_default());
    let text = luminance(page["text"].as_str().unwrap_or_default());
    assert!(
        background < 0.25 && card < 0.25,
        "dark mode is not dark: page {}, card {}",
        page["background"],
        page["cardBackground"]
    );
    assert!(
        text > 0.6,
        "the card's text is not light on its dark background: {}",
        page["text"]
    );
    assert!(
        page["scrollWidth"].as_u64() <= page["clientWidth"].as_u64(),
        "the page is wider than a {}-pixel screen: {page}",
        PHONE.0
    );
    assert!(
        page["cardScrollWidth"].as_u64() <= page["cardClientWidth"].as_u64(),
        "the job card's content is wider than the card: {page}"
    );

    browser.assert_console_has_no_errors();
    let height = page["height"].as_u64().unwrap_or(u64::from(PHONE.1)) as u32;
    browser.emulate_screen(PHONE.0, height.max(PHONE.1));
    browser.wait_for_transitions().await;
    browser
        .screenshot("a_finished_job_reads_well_on_a_phone_in_dark_mode")
        .await;
}

#[tokio::test]
async fn on_a_phone_the_header_and_drop_zone_shrink_once_a_job_exists_and_a_tap_shows_the_whole_name()
 {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let name =
        "Grandma's 90th birthday at the lake house, all the speeches, uncut (phone copy).mp4";
    let clip = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 6,
            file_name: name.into(),
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.emulate_screen(PHONE.0, PHONE.1);
    browser.open_live(&server.url()).await;
    let heights =
        "const h = s => Math.round(document.querySelector(s).getBoundingClientRect().height);
                   return { header: h('.topbar'), dropzone: h('.dropzone') };";
    let before = browser.eval(heights).await;

    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    browser.eval("window.scrollTo(0, 0); return null;").await;
    let after = browser.eval(heights).await;
    let (header, dropzone) = (
        after["header"].as_u64().unwrap_or(u64::MAX),
        after["dropzone"].as_u64().unwrap_or(u64::MAX),
    );
    assert!(
        header <= 60,
        "the header takes {header} px of a phone's height with a job on the board"
    );
    assert!(
        dropzone <= 110 && dropzone * 3 < before["dropzone"].as_u64().unwrap_or(0),
        "the drop zone did not shrink once a job existed: {before} → {after}"
    );
    // The drop zone keeps its button and the cut choice for the next file. The results are
    // above the fold: the player and the first row of shots on the first screen, without
    // scrolling.
    let fold = browser
        .eval(
            "const bottom = s => document.querySelector(s).getBoundingClientRect().bottom;
             return { video: bottom('[data-testid=job] video'), shots: bottom('[data-testid=shot]'),
                      height: innerHeight };",
        )
        .await;
    assert!(
        fold["shots"].as_f64() <= fold["height"].as_f64()
            && fold["video"].as_f64() <= fold["height"].as_f64(),
        "the player and the shots are below the fold on a phone: {fold}"
    );

    // The name is cut to one line; a tap shows it whole (no hover-only tooltip).
    let shown = "const e = document.querySelector('[data-testid=job] .file-name');
                 return { cut: e.scrollWidth > e.clientWidth, text: e.textContent };";
    let cut = browser.eval(shown).await;
    assert_eq!(cut["cut"], true, "the long name is not cut to fit: {cut}");
    let tapped = browser
        .client()
        .find(fantoccini::Locator::Css("[data-testid=job] .file-name"))
        .await
        .expect("the card has a name");
    tapped.click().await.expect("the name can be tapped");
    let whole = browser.eval(shown).await;
    assert_eq!(
        (whole["cut"].as_bool(), whole["text"].as_str()),
        (Some(false), Some(name)),
        "a tap did not show the whole name"
    );
    browser.assert_console_has_no_errors();
    browser.wait_for_transitions().await;
    browser
        .screenshot("on_a_phone_the_header_and_drop_zone_shrink_once_a_job_exists")
        .await;
}
