//! Reviewing a film's shots: the storyboard grid beside the strip, worked from the keyboard
//! alone with the player brought into view and the playing shot marked; a film's worth of
//! pushed shots kept to a few dozen buttons, with its dissolves and fades marked on the ruler
//! and in the grid.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use fantoccini::key::Key;
use serde_json::{Value, json};
use support::connections::{post_to_connection, wait_for_single_connection};
use support::film;
use support::{
    Browser, ClipSpec, JOB_TIMEOUT, LIVE_TIMEOUT, Server, ServerOptions, THUMBNAIL_TIMEOUT,
    make_clip,
};
use vidpush_protocol::{EventBody, JobEvent, JobId};

/// The focused shot's `data-testid` and `data-index`, and where it is in its list.
async fn focused(browser: &Browser) -> Value {
    browser
        .eval(
            "const e = document.activeElement;
             const r = e.getBoundingClientRect();
             const track = e.closest('.shot-track').getBoundingClientRect();
             return { testid: e.getAttribute('data-testid'), index: e.getAttribute('data-index'),
                      left: Math.round(r.left - track.left), top: Math.round(r.top - track.top) };",
        )
        .await
}

/// How many of the grid's and the strip's buttons are in the DOM.
async fn built(browser: &Browser) -> (u64, u64) {
    let counts = browser
        .eval(
            "return [document.querySelectorAll('[data-testid=storyboard-shot]').length,
                     document.querySelectorAll('[data-testid=shot]').length];",
        )
        .await;
    (
        counts[0].as_u64().unwrap_or(0),
        counts[1].as_u64().unwrap_or(0),
    )
}

#[tokio::test]
async fn the_keyboard_alone_moves_through_the_storyboard_brings_the_player_into_view_and_follows_the_playhead()
 {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 90,
            shot_seconds: 0.4,
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let summary = browser.text("job-summary").await.unwrap_or_default();
    let shots: usize = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the summary names no shot count: {summary:?}"));
    assert!(shots >= 80, "too few shots found for this test: {summary}");

    // The storyboard opens from the keyboard, and Tab goes from it into the grid.
    browser
        .eval("document.querySelector('[data-testid=storyboard] summary').focus(); return null;")
        .await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_script(
            "the grid to open",
            "return document.querySelectorAll('[data-testid=storyboard-shot]').length;",
            THUMBNAIL_TIMEOUT,
            |n| n.as_u64().unwrap_or(0) > 0,
        )
        .await;
    browser.press(Key::Tab).await;
    let first = focused(&browser).await;
    assert_eq!(
        (first["testid"].as_str(), first["index"].as_str()),
        (Some("storyboard-shot"), Some("0")),
        "Tab from the storyboard's title did not reach its first shot"
    );
    browser.press(Key::Right).await;
    browser.press(Key::Right).await;
    let third = focused(&browser).await;
    assert_eq!(third["index"], "2", "two right arrows from shot 1");
    browser.press(Key::Down).await;
    let below = focused(&browser).await;
    let below_index: usize = below["index"]
        .as_str()
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    assert!(
        below_index > 3
            && below["left"] == third["left"]
            && below["top"].as_i64() > third["top"].as_i64(),
        "the down arrow did not go to the shot right below: from {third} to {below}"
    );
    // The last shot is far below the grid's view: End scrolls the grid to it, and the grid
    // builds only the rows near its view.
    browser.press(Key::End).await;
    let last = focused(&browser).await;
    assert_eq!(last["index"], (shots - 1).to_string(), "End went elsewhere");
    let (in_grid, _) = built(&browser).await;
    assert!(
        (in_grid as usize) < shots,
        "the grid built all {shots} shots ({in_grid} buttons) instead of those near its view"
    );
    let scrolled = browser
        .eval("return document.querySelector('.shots.grid').scrollTop;")
        .await;
    assert!(
        scrolled.as_f64().unwrap_or(0.0) > 0.0,
        "End did not scroll the grid"
    );

    // Choosing a shot near the end with Enter seeks the player there and brings it whole into
    // view, above the page's sticky bar.
    browser.press(Key::Left).await;
    browser.press(Key::Left).await;
    let chosen = shots - 3;
    assert_eq!(focused(&browser).await["index"], chosen.to_string());
    browser.press(Key::Enter).await;
    let player = browser
        .wait_for_script(
            "the player to come into view at the chosen shot",
            "const v = document.querySelector('[data-testid=job] video');
             const r = v.getBoundingClientRect();
             const bar = document.querySelector('.topbar').getBoundingClientRect();
             return v.seeking ? null : { at: v.currentTime, top: r.top, bottom: r.bottom,
                                         bar: bar.bottom, height: innerHeight };",
            THUMBNAIL_TIMEOUT,
            |p| p.is_object(),
        )
        .await;
    let start = chosen as f64 * 0.4;
    assert!(
        (player["at"].as_f64().unwrap_or(0.0) - start).abs() < 0.05,
        "the player is not at shot {}'s start ({start} s): {player}",
        chosen + 1
    );
    assert!(
        player["top"].as_f64() >= player["bar"].as_f64()
            && player["bottom"].as_f64() <= player["height"].as_f64(),
        "choosing a shot left the player partly out of view: {player}"
    );

    // K plays from there; the mark follows the playhead into the next shots, in the grid and
    // in the strip alike.
    let grid_shot = format!(
        "document.querySelector('[data-testid=storyboard-shot][data-index=\"{chosen}\"]').focus(); return null;"
    );
    browser.eval(&grid_shot).await;
    browser.type_keys("k").await;
    let marked = browser
        .wait_for_script(
            "the playing mark to move on while the video plays",
            "const grid = document.querySelector('[data-testid=storyboard-shot].playing');
             const strip = document.querySelector('[data-testid=shot].playing');
             const v = document.querySelector('[data-testid=job] video');
             return grid && strip && !v.paused
                 ? [Number(grid.dataset.index), Number(strip.dataset.index)] : null;",
            THUMBNAIL_TIMEOUT,
            |m| m[0].as_u64().unwrap_or(0) as usize > chosen,
        )
        .await;
    assert_eq!(
        marked[0], marked[1],
        "the grid and the strip mark different shots as playing"
    );
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    browser.fit_window_to_page().await;
    browser.wait_for_transitions().await;
    browser
        .screenshot("the_keyboard_alone_moves_through_the_storyboard")
        .await;
    browser.type_keys("k").await;
    browser.assert_console_has_no_errors();
}

/// Whether the ruler's canvas is painted in its transition colour at shot `index`'s start
/// (just before it, where its mark is drawn) — and, for comparison, in the middle of the shot.
const RULER_AT: &str = "
const [index, total] = arguments;
const ruler = document.querySelector('[data-testid=ruler]');
const hex = getComputedStyle(ruler).getPropertyValue('--ruler-mark').trim();
const mark = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
const context = ruler.getContext('2d');
const is_mark = x => {
  const p = context.getImageData(Math.floor(x), 4, 1, 1).data;
  return mark.every((c, i) => Math.abs(c - p[i]) < 12);
};
const x = index / total * ruler.width;
return [is_mark(x - 1.5), is_mark(x + ruler.width / total / 2)];
";

#[tokio::test]
async fn a_films_shots_stay_a_few_dozen_buttons_and_its_dissolves_and_fades_are_marked() {
    const SHOTS: u32 = 1_500;
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    // The page follows a job this browser remembers, as when the server's list of jobs cannot
    // be read (blocked here); the server has no such job (it says so), and the test plays the
    // worker, pushing the film's events through `@connections`.
    browser.open_live(&server.url()).await;
    browser.devtools("Network.enable", json!({}));
    browser.devtools("Network.setBlockedURLs", json!({ "urls": ["*/api/jobs"] }));
    browser
        .eval("localStorage.setItem('vidpush.jobs', 'made-up-film\\tfilm.mp4'); return null;")
        .await;
    browser.reload_live().await;
    browser
        .wait_for_script(
            "the page to hear about the job",
            "return !!document.querySelector('[data-testid=job] [data-testid=job-error]');",
            LIVE_TIMEOUT,
            |heard| heard == true,
        )
        .await;
    let connection = wait_for_single_connection(&server.data_dir(), LIVE_TIMEOUT);
    let job_id = JobId::from("made-up-film");
    let push = |seq: u64, body: EventBody| {
        let event = JobEvent {
            job_id: job_id.clone(),
            seq,
            at_ms: 0,
            body,
        };
        let status = post_to_connection(
            server.addr(),
            &server.data_dir(),
            &connection,
            &event.to_json(),
        );
        assert_eq!(status, 200, "@connections refused push {seq}");
    };
    push(
        1,
        EventBody::Metadata {
            metadata: film::metadata(SHOTS),
        },
    );
    for index in 0..SHOTS {
        push(
            u64::from(index) + 2,
            EventBody::Shot {
                shot: film::shot(index),
                thumbnail_url: format!("/api/jobs/made-up-film/thumbnails/{index}.jpg"),
            },
        );
    }
    browser
        .wait_for_text("job-summary", &format!("{SHOTS} shots so far"), JOB_TIMEOUT)
        .await;

    // The strip follows the newest shot and holds only those near its view.
    let (_, in_strip) = built(&browser).await;
    assert!(
        in_strip < 100,
        "the strip built {in_strip} of {SHOTS} shots"
    );
    let newest = browser
        .eval(&format!(
            "return !!document.querySelector('[data-testid=shot][data-index=\"{}\"]');",
            SHOTS - 1
        ))
        .await;
    assert_eq!(newest, true, "the strip does not show the newest shot");

    browser
        .eval("document.querySelector('[data-testid=storyboard] summary').click(); return null;")
        .await;
    let marks = browser
        .wait_for_script(
            "the grid's first shots",
            "const at = i => document.querySelector(`[data-testid=storyboard-shot][data-index=\"${i}\"]`);
             return at(25) ? [10, 11, 20, 25].map(i => at(i).getAttribute('data-transition')) : null;",
            THUMBNAIL_TIMEOUT,
            |m| m.is_array(),
        )
        .await;
    assert_eq!(
        marks,
        json!(["dissolve", null, "dissolve", "fade"]),
        "the grid does not mark dissolves and fades, and only them"
    );
    let (in_grid, _) = built(&browser).await;
    assert!(in_grid < 200, "the grid built {in_grid} of {SHOTS} shots");

    for (index, kind) in [(10, "dissolve"), (25, "fade")] {
        let painted = browser
            .client()
            .execute(RULER_AT, vec![json!(index), json!(SHOTS)])
            .await
            .expect("the ruler can be read");
        assert_eq!(
            painted,
            json!([true, false]),
            "the ruler does not mark shot {}'s {kind} (start, middle)",
            index + 1
        );
    }
    let cut = browser
        .client()
        .execute(RULER_AT, vec![json!(13), json!(SHOTS)])
        .await
        .expect("the ruler can be read");
    assert_eq!(
        cut,
        json!([false, false]),
        "a hard cut is marked as gradual"
    );

    // Scrolled to its end, the grid swaps its buttons for the last shots'.
    browser
        .eval("const g = document.querySelector('.shots.grid'); g.scrollTop = g.scrollHeight; return null;")
        .await;
    browser
        .wait_for_script(
            "the grid to build its last row",
            &format!(
                "return !!document.querySelector('[data-testid=storyboard-shot][data-index=\"{}\"]')
                     && !document.querySelector('[data-testid=storyboard-shot][data-index=\"0\"]');",
                SHOTS - 1
            ),
            THUMBNAIL_TIMEOUT,
            |done| done == true,
        )
        .await;
    let (in_grid, _) = built(&browser).await;
    assert!(in_grid < 200, "scrolled, the grid built {in_grid} shots");
    browser
        .eval("document.querySelector('.shots.grid').scrollTop = 0; document.querySelector('[data-testid=timeline]').scrollIntoView(); return null;")
        .await;
    browser
        .wait_for_script(
            "the grid's first row again",
            "return !!document.querySelector('[data-testid=storyboard-shot][data-index=\"0\"]');",
            THUMBNAIL_TIMEOUT,
            |done| done == true,
        )
        .await;
    browser.wait_for_transitions().await;
    browser
        .screenshot("a_films_shots_stay_a_few_dozen_buttons_and_its_dissolves_and_fades_are_marked")
        .await;
}
