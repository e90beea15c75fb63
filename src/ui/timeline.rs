//! The shots of a job as a strip of thumbnails over a proportional ruler. Each shot is a
//! button, so a click, Enter or Space seeks the preview to the shot's start; the arrow keys
//! (and Home, End) move between shots; the shot under the playhead is marked while the video
//! plays; a shot that begins with a dissolve or a fade says so.
//!
//! The ruler is one element painted with a gradient, not an element per shot: a keyed list
//! of segments cost about 10 KB of the app's wasm for a purely decorative bar.

use super::conditional::shown_when;
use super::rows::{Row, keyed_rows};
use crate::config::Endpoints;
use crate::format;
use crate::job::{JobView, ShotView};
use leptos::prelude::*;
use vidpush_protocol::TransitionKind;

/// The shot strip of one job.
#[component]
pub fn ShotTimeline(
    /// The job whose shots are shown; only its shot count is tracked, so progress events do
    /// not re-render the strip.
    view: RwSignal<JobView>,
    /// Where thumbnails are fetched from (only read here).
    endpoints: RwSignal<Endpoints>,
    /// Called with a shot's start in milliseconds when the person picks it.
    on_seek: Callback<u64>,
    /// Whether there is a preview to seek (only read here); without one the shots are shown
    /// but cannot be picked.
    can_seek: RwSignal<bool>,
    /// Where the preview's playhead is, in milliseconds (only read here).
    playhead: RwSignal<u64>,
) -> impl IntoView {
    let picked = RwSignal::new(None::<usize>);
    // Recomputed on every `timeupdate`, but each button re-renders only when the shot under
    // the playhead changes.
    let playing = Memo::new(move |_| {
        let at = playhead.get();
        view.with(|v| shot_at(&v.shots, at))
    });
    let shots = ShotStrip {
        view,
        endpoints,
        on_seek,
        can_seek,
        picked,
        playing,
    };
    let count = Memo::new(move |_| view.with(|v| v.shots.len()));
    let total = Memo::new(move |_| {
        view.with(|v| {
            v.metadata
                .as_ref()
                .map(|m| m.duration_millis)
                .or(v.shots.last().map(|s| s.shot.span.end_timestamp_millis))
                .unwrap_or(0)
                .max(1)
        })
    });
    view! {
        <div class="timeline" data-testid="timeline">
            <div
                class="ruler"
                aria-hidden="true"
                style:background-image=move || {
                    let (count, total) = (count.get(), total.get());
                    view.with_untracked(|v| ruler_gradient(&v.shots[..count], total))
                }
            ></div>
            <ol
                class="shots"
                aria-label="Shots"
                aria-keyshortcuts="ArrowLeft ArrowRight Home End K"
                on:keydown=move |ev| move_between_shots(&ev)
            >
                {keyed_rows(move || {
                    (0..count.get())
                        .map(|i| Row::new(i as u64, move || shot_button(shots, i)))
                        .collect()
                })}
            </ol>
            {shown_when(
                move || !can_seek.get() && count.get() > 0,
                || {
                    view! {
                        <p class="note">
                            "This browser cannot play this video, so the shots cannot seek it."
                        </p>
                    }
                        .into_any()
                },
            )}
        </div>
    }
}

/// What every shot button of one strip shares.
#[derive(Clone, Copy)]
struct ShotStrip {
    view: RwSignal<JobView>,
    endpoints: RwSignal<Endpoints>,
    on_seek: Callback<u64>,
    can_seek: RwSignal<bool>,
    /// The shot picked last, marked as the current one.
    picked: RwSignal<Option<usize>>,
    /// The shot under the playhead.
    playing: Memo<Option<usize>>,
}

/// Shot `i` of the strip: a button with its thumbnail, number and start that seeks to it.
fn shot_button(strip: ShotStrip, i: usize) -> impl IntoView {
    let ShotStrip {
        view,
        endpoints,
        on_seek,
        can_seek,
        picked,
        playing,
    } = strip;
    let shot = view.with_untracked(|v| v.shots[i].clone());
    let start = shot.shot.span.start_timestamp_millis;
    let number = shot.shot.index + 1;
    let at = format::clock_tenths(start);
    let gradual = match shot.shot.transition_in.kind {
        TransitionKind::Dissolve => Some("dissolve"),
        TransitionKind::Fade => Some("fade"),
        TransitionKind::Start | TransitionKind::Cut => None,
    };
    let label = format!(
        "Shot {number} at {at}, {}{}",
        format::seconds(shot.shot.span.duration_millis),
        gradual.map_or(String::new(), |kind| format!(", after a {kind}"))
    );
    let src = endpoints.with_untracked(|e| e.media_url(&shot.thumbnail_url));
    view! {
        <li>
            <button
                class="shot"
                class:playing=move || playing.get() == Some(i)
                data-transition=gradual
                data-testid="shot"
                data-index=i
                title=label.clone()
                aria-label=label
                aria-current=move || (picked.get() == Some(i)).then_some("true")
                disabled=move || !can_seek.get()
                on:click=move |_| {
                    picked.set(Some(i));
                    on_seek.run(start);
                }
            >
                <img src=src alt="" loading="lazy" width="160" height="90" />
                <span class="shot-label">
                    <b>{number}</b>
                    " "
                    {at}
                    {gradual.map(|kind| view! { <span class="transition">{kind}</span> })}
                </span>
            </button>
        </li>
    }
}

/// The shot playing at `ms`: the last one that starts at or before it (shots are in order).
pub fn shot_at(shots: &[ShotView], ms: u64) -> Option<usize> {
    shots
        .partition_point(|s| s.shot.span.start_timestamp_millis <= ms)
        .checked_sub(1)
}

/// Which shot an arrow key (or Home, End) moves to from shot `from` of `count`.
pub fn shot_after_key(key: &str, from: usize, count: usize) -> Option<usize> {
    let last = count.checked_sub(1)?;
    let to = match key {
        "ArrowRight" | "ArrowDown" => (from + 1).min(last),
        "ArrowLeft" | "ArrowUp" => from.saturating_sub(1),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    (to != from).then_some(to)
}

/// Moves the focus between the shot buttons of the list the key was pressed in.
fn move_between_shots(ev: &leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Some(shot) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|t| t.closest("[data-testid=shot]").ok().flatten())
    else {
        return;
    };
    let Some(list) = shot.closest("ol").ok().flatten() else {
        return;
    };
    if ev.key().eq_ignore_ascii_case("k") {
        toggle_playing(&shot);
        ev.prevent_default();
        return;
    }
    let Ok(buttons) = list.query_selector_all("[data-testid=shot]") else {
        return;
    };
    let from = shot
        .get_attribute("data-index")
        .and_then(|i| i.parse::<usize>().ok())
        .unwrap_or(0);
    let Some(to) = shot_after_key(&ev.key(), from, buttons.length() as usize) else {
        return;
    };
    if let Some(target) = buttons
        .item(to as u32)
        .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
    {
        ev.prevent_default();
        let _ = target.focus();
    }
}

/// Plays or pauses the player of the card `shot` belongs to.
fn toggle_playing(shot: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let Some(video) = shot
        .closest("[data-testid=job]")
        .ok()
        .flatten()
        .and_then(|card| card.query_selector("video").ok().flatten())
        .and_then(|v| v.dyn_into::<web_sys::HtmlVideoElement>().ok())
    else {
        return;
    };
    if video.paused() {
        let _ = video.play();
    } else {
        let _ = video.pause();
    }
}

/// The ruler's paint: each shot a band from its start to its end, proportional to `total`
/// milliseconds, alternating two tones with a 2 px gap before the next shot; the part not yet
/// analysed stays in the ruler's own colour.
pub fn ruler_gradient(shots: &[ShotView], total: u64) -> String {
    let mut paint = String::from("linear-gradient(to right");
    for (i, shot) in shots.iter().enumerate() {
        let end = format::css_percent(shot.shot.span.end_timestamp_millis.min(total), total);
        let tone = if i % 2 == 0 { "--ruler-a" } else { "--ruler-b" };
        // A stop at 0 sits right after the previous one, so bands never overlap.
        paint.push_str(&format!(
            ", var({tone}) 0 calc({end} - 2px), var(--surface) 0 {end}"
        ));
    }
    paint.push_str(", transparent 0)");
    paint
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::shot;

    fn view(shot: vidpush_protocol::Shot) -> ShotView {
        ShotView {
            shot,
            thumbnail_url: String::new(),
        }
    }

    #[test]
    fn each_shot_is_a_band_ending_at_its_share_of_the_video() {
        // fixtures::shot takes frames at 25 fps: 0–75 is 0–3000 ms, 75–250 is 3000–10000 ms.
        let shots = [view(shot(0, 0, 75)), view(shot(1, 75, 250))];
        assert_eq!(
            ruler_gradient(&shots, 20_000),
            "linear-gradient(to right, var(--ruler-a) 0 calc(15.000% - 2px), var(--surface) 0 15.000%, \
             var(--ruler-b) 0 calc(50.000% - 2px), var(--surface) 0 50.000%, transparent 0)"
        );
    }

    #[test]
    fn the_shot_under_the_playhead_is_the_last_that_started() {
        let shots = [view(shot(0, 0, 75)), view(shot(1, 75, 250))];
        assert_eq!(shot_at(&shots, 0), Some(0));
        assert_eq!(shot_at(&shots, 2_999), Some(0));
        assert_eq!(shot_at(&shots, 3_000), Some(1));
        assert_eq!(shot_at(&shots, 99_000), Some(1));
        assert_eq!(shot_at(&[], 10), None);
    }

    #[test]
    fn arrow_keys_move_one_shot_and_home_and_end_to_the_ends() {
        assert_eq!(shot_after_key("ArrowRight", 0, 3), Some(1));
        assert_eq!(shot_after_key("ArrowDown", 2, 3), None, "already the last");
        assert_eq!(shot_after_key("ArrowLeft", 2, 3), Some(1));
        assert_eq!(shot_after_key("ArrowUp", 0, 3), None);
        assert_eq!(shot_after_key("End", 0, 3), Some(2));
        assert_eq!(shot_after_key("Home", 2, 3), Some(0));
        assert_eq!(shot_after_key("Tab", 0, 3), None);
        assert_eq!(shot_after_key("End", 0, 0), None);
    }

    #[test]
    fn no_shots_paint_nothing_and_ends_past_the_total_are_clamped() {
        assert_eq!(
            ruler_gradient(&[], 1),
            "linear-gradient(to right, transparent 0)"
        );
        let long = [view(shot(0, 0, 250))];
        assert!(ruler_gradient(&long, 5_000).contains("var(--surface) 0 100.000%"));
    }
}
