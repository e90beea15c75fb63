//! The shots of a job: a ruler of every shot in proportion, a strip of thumbnails, and a
//! storyboard grid of every shot (opened on demand). Each shot is a button, so a click, Enter
//! or Space seeks the preview to the shot's start; the arrow keys move between shots; the
//! shot under the playhead is marked in both lists while the video plays; dissolves and fades
//! are marked on the ruler and on their shots.
//!
//! - [`button`]: one shot's button, and what the buttons of a job share.
//! - [`list`]: the strip and the grid, with only the shots near the view in the DOM.
//! - [`ruler`]: the ruler, drawn on a canvas.

mod button;
mod list;
mod ruler;

use super::conditional::shown_when;
use crate::config::Endpoints;
use crate::job::JobView;
use crate::storyboard::shot_at;
use button::ShotsOfJob;
use leptos::prelude::*;

/// The shots of one job.
#[component]
pub fn ShotTimeline(
    /// The job whose shots are shown; only its shot count is tracked, so progress events do
    /// not re-render the shots.
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
    let count = Memo::new(move |_| view.with(|v| v.shots.len()));
    let shots = ShotsOfJob {
        view,
        endpoints,
        on_seek,
        can_seek,
        picked: RwSignal::new(None),
        // Recomputed on every `timeupdate`, but each button re-renders only when the shot
        // under the playhead changes. Without a player there is no playhead to mark.
        playing: Memo::new(move |_| {
            let at = playhead.get();
            can_seek
                .get()
                .then(|| view.with(|v| shot_at(&v.shots, at)))?
        }),
        count,
    };
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
    let storyboard_open = RwSignal::new(false);
    let storyboard = NodeRef::<leptos::html::Details>::new();
    view! {
        <div class="timeline" data-testid="timeline" class:empty=move || count.get() == 0>
            {ruler::shot_ruler(view, count, total)}
            {list::shot_list(shots, list::STRIP, "shot")}
            <details
                class="storyboard"
                data-testid="storyboard"
                node_ref=storyboard
                on:toggle=move |_| {
                    if let Some(details) = storyboard.get_untracked() {
                        storyboard_open.set(details.open());
                    }
                }
            >
                <summary>
                    "Storyboard · " {move || crate::format::count(count.get() as u64, "shot")}
                </summary>
                {shown_when(
                    move || storyboard_open.get(),
                    move || list::shot_list(shots, list::GRID, "storyboard-shot").into_any(),
                )}
            </details>
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
