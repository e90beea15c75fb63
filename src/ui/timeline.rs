//! The shots of a job as a strip of thumbnails over a proportional ruler. Each shot is a
//! button, so a click, Enter or Space seeks the preview to the shot's start.

use crate::config::Endpoints;
use crate::format;
use crate::job::JobView;
use leptos::prelude::*;

/// The shot strip of one job.
#[component]
pub fn ShotTimeline(
    /// The job whose shots are shown; only its shot count is tracked, so progress events do
    /// not re-render the strip.
    view: RwSignal<JobView>,
    /// Where thumbnails are fetched from.
    #[prop(into)]
    endpoints: Signal<Endpoints>,
    /// Called with a shot's start in milliseconds when the person picks it.
    on_seek: Callback<u64>,
) -> impl IntoView {
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
            <div class="ruler" aria-hidden="true">
                <For
                    each=move || 0..count.get()
                    key=|i| *i
                    children=move |i| {
                        let (start, len) = view.with_untracked(|v| {
                            let s = &v.shots[i].shot.span;
                            (s.start_timestamp_millis, s.duration_millis)
                        });
                        view! {
                            <span
                                class="segment"
                                style:left=move || format::css_percent(start, total.get())
                                style:width=move || format::css_percent(len, total.get())
                            ></span>
                        }
                    }
                />
            </div>
            <ol class="shots" aria-label="Shots">
                <For
                    each=move || 0..count.get()
                    key=|i| *i
                    children=move |i| {
                        let shot = view.with_untracked(|v| v.shots[i].clone());
                        let start = shot.shot.span.start_timestamp_millis;
                        let number = shot.shot.index + 1;
                        let at = format::clock_tenths(start);
                        let label = format!("Shot {number} at {at}, {}", format::seconds(shot.shot.span.duration_millis));
                        let src = endpoints.with_untracked(|e| e.media_url(&shot.thumbnail_url));
                        view! {
                            <li>
                                <button
                                    class="shot"
                                    data-testid="shot"
                                    data-index=i
                                    title=label.clone()
                                    aria-label=label
                                    on:click=move |_| on_seek.run(start)
                                >
                                    <img src=src alt="" loading="lazy" width="160" height="90" />
                                    <span class="shot-label">
                                        <b>{number}</b>
                                        " "
                                        {at}
                                    </span>
                                </button>
                            </li>
                        }
                    }
                />
            </ol>
        </div>
    }
}
