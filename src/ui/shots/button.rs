//! One shot as a button: its thumbnail, number and start; a click, Enter or Space picks it
//! (seeks the preview); it is marked while under the playhead, and says so when it begins with
//! a dissolve or a fade. The strip and the storyboard grid build the same button.

use crate::config::Endpoints;
use crate::format;
use crate::job::JobView;
use leptos::prelude::*;
use vidpush_protocol::TransitionKind;

/// What every shot button of one job shares, in the strip and in the grid.
#[derive(Clone, Copy)]
pub struct ShotsOfJob {
    /// The job whose shots are shown.
    pub view: RwSignal<JobView>,
    /// Where thumbnails are fetched from (only read here).
    pub endpoints: RwSignal<Endpoints>,
    /// Called with a shot's start in milliseconds when the person picks it.
    pub on_seek: Callback<u64>,
    /// Whether there is a preview to seek.
    pub can_seek: RwSignal<bool>,
    /// The shot picked last, marked as the current one in both lists.
    pub picked: RwSignal<Option<usize>>,
    /// The shot under the playhead.
    pub playing: Memo<Option<usize>>,
    /// How many shots the job has so far.
    pub count: Memo<usize>,
}

/// What a gradual transition into a shot is called on the page; `None` after a hard cut.
pub fn transition_name(kind: TransitionKind) -> Option<&'static str> {
    match kind {
        TransitionKind::Dissolve => Some("dissolve"),
        TransitionKind::Fade => Some("fade"),
        TransitionKind::Start | TransitionKind::Cut => None,
    }
}

/// Shot `i`'s button. `testid` tells the strip's (`shot`) from the grid's (`storyboard-shot`);
/// `tab_stop` says whether it is the one button of its list that Tab reaches.
pub fn shot_button(
    shots: ShotsOfJob,
    i: usize,
    testid: &'static str,
    tab_stop: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let ShotsOfJob {
        view,
        endpoints,
        on_seek,
        can_seek,
        picked,
        playing,
        ..
    } = shots;
    let shot = view.with_untracked(|v| v.shots[i].clone());
    let start = shot.shot.span.start_timestamp_millis;
    let number = shot.shot.index + 1;
    let at = format::clock_tenths(start);
    let gradual = transition_name(shot.shot.transition_in.kind);
    let label = format!(
        "Shot {number} at {at}, {}{}",
        format::seconds(shot.shot.span.duration_millis),
        gradual.map_or(String::new(), |kind| format!(", after a {kind}"))
    );
    let src = endpoints.with_untracked(|e| e.media_url(&shot.thumbnail_url));
    view! {
        <button
            class="shot"
            class:playing=move || playing.get() == Some(i)
            data-transition=gradual
            data-testid=testid
            data-index=i
            title=label.clone()
            aria-label=label
            aria-current=move || (picked.get() == Some(i)).then_some("true")
            tabindex=move || if tab_stop() { "0" } else { "-1" }
            disabled=move || !can_seek.get()
            on:click=move |_| {
                picked.set(Some(i));
                on_seek.run(start);
            }
        >
            <img src=src alt="" loading="lazy" />
            <span class="shot-label">
                <b>{number}</b>
                " "
                {at}
                {gradual.map(|kind| view! { <span class="transition">{kind}</span> })}
            </span>
        </button>
    }
}
