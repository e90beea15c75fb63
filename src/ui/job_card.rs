//! One job, live: state, stage and progress, the local preview, shots as they are pushed, the
//! metadata panel, the failure reason, cancel, and exports once completed.

use super::conditional::{optional, shown_when};
use super::drop_zone::focus_file_picker;
use super::exports::ExportBar;
use super::shots::ShotTimeline;
use crate::connection::ConnectionState;
use crate::format;
use crate::job::JobView;
use crate::net::http;
use crate::store::{JobEntry, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use vidpush_protocol::{ClientAction, JobId, JobState, VideoMetadata};

/// The card of one job.
#[component]
pub fn JobCard(
    /// The job to show.
    entry: JobEntry,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let JobEntry {
        id, view, preview, ..
    } = entry;
    let state = Memo::new(move |_| view.with(|v| v.state));
    // Memoized, so the action button changes only when the job becomes final.
    let is_final = Memo::new(move |_| state.get().is_final());
    let video = NodeRef::<leptos::html::Video>::new();
    let id_for_retry = id.clone();
    let whole_name = RwSignal::new(false);
    let connected = Memo::new(move |_| store.connection.with(|c| *c == ConnectionState::Live));
    // Remove asks once more before it deletes on the server; Retry and Remove share one busy
    // flag and one place for what went wrong.
    let confirming = RwSignal::new(false);
    let can_retry = Memo::new(move |_| view.with(JobView::can_retry));
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<String>);
    // Shots seek only while there is a preview to seek: none when the browser cannot play the
    // file (the server may still analyse it), or the server no longer has it.
    let playable = RwSignal::new(preview.is_some());
    // Focus stays on the shot, so the next one is one Tab away rather than behind the player's
    // controls.
    // Choosing a shot brings the whole player into view, so the person sees where it seeks.
    let seek = Callback::new(move |millis: u64| {
        if let Some(video) = video.get() {
            video.set_current_time(millis as f64 / 1000.0);
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            video.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
    let playhead = RwSignal::new(0_u64);
    let completed = Memo::new(move |_| {
        view.with(|v| v.result_url.clone().map(|url| (url, v.file_name.clone())))
    });
    view! {
        <article class="card job" data-testid="job" data-state=move || state.get().as_str()>
            <header class="card-head">
                // A long name is cut with an ellipsis; a tap or Enter shows it whole (a hover
                // tooltip never shows on touch).
                <h2
                    class="file-name"
                    class:whole=move || whole_name.get()
                    tabindex="0"
                    title=move || view.with(|v| v.file_name.clone())
                    on:click=move |_| whole_name.update(|w| *w = !*w)
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            whole_name.update(|w| *w = !*w);
                        }
                    }
                >
                    {move || view.with(|v| v.file_name.clone())}
                </h2>
                <span class="badge" data-state=move || state.get().as_str()>
                    {move || state.get().as_str()}
                </span>
            </header>
            {preview.map(|src| view! {
                <video
                    class="preview"
                    src=src
                    controls
                    preload="metadata"
                    node_ref=video
                    // The player's own controls would be seven Tab stops before the shots; the
                    // shot strip plays, pauses (K) and seeks it from the keyboard instead.
                    tabindex="-1"
                    on:timeupdate=move |_| {
                        if let Some(video) = video.get() {
                            playhead.set((video.current_time() * 1000.0) as u64);
                        }
                    }
                    on:error=move |_| {
                        playable.set(false);
                        if let Some(video) = video.get() {
                            video.set_hidden(true);
                        }
                    }
                ></video>
            })}
            <div class="progress-row">
                <span class="stage" data-testid="job-stage">{move || view.with(|v| v.status(connected.get()))}</span>
                <span class="percent">{move || view.with(|v| format::percent(v.fraction))}</span>
            </div>
            <progress
                data-testid="job-progress"
                max="1"
                prop:value=move || view.with(|v| v.fraction)
                aria-label="Analysis progress"
            ></progress>
            {optional(move || {
                view.with(|v| {
                    let reason = format::sentence(v.error.as_deref()?);
                    // A cancellation is what the person asked for: a note, not an alarm. Neither
                    // is an ARIA alert: the live region already announces both.
                    Some(if v.state == JobState::Cancelled {
                        view! { <p class="note" data-testid="job-error">{reason}</p> }
                            .into_any()
                    } else {
                        view! { <p class="error" data-testid="job-error">{reason}</p> }
                            .into_any()
                    })
                })
            })}
            <ShotTimeline view endpoints=store.endpoints on_seek=seek can_seek=playable playhead />
            <Summary view />
            <MetadataPanel view />
            {optional(move || {
                completed
                    .get()
                    .map(|(result_url, file_name)| view! { <ExportBar result_url file_name /> }.into_any())
            })}
            // One button that changes its job, so keyboard focus stays on it: cancel while the
            // job runs; once it is over, Remove, then "Delete for good" to confirm.
            <div class="actions">
                {shown_when(
                    move || can_retry.get() && !confirming.get(),
                    move || {
                        let id = id_for_retry.clone();
                        view! {
                            <button
                                class="button"
                                data-testid="job-retry"
                                disabled=move || busy.get()
                                on:click=move |_| retry(store, id.clone(), view, busy, action_error)
                            >
                                "Retry"
                            </button>
                        }
                            .into_any()
                    },
                )}
                <button
                    class="button ghost"
                    class:danger=move || confirming.get()
                    data-testid=move || match (is_final.get(), confirming.get()) {
                        (false, _) => "job-cancel",
                        (true, false) => "job-remove",
                        (true, true) => "job-remove-confirm",
                    }
                    disabled=move || busy.get()
                    on:click=move |_| {
                        if !is_final.get_untracked() {
                            store.send(ClientAction::Cancel { job_id: id.clone() });
                        } else if !confirming.get_untracked() {
                            confirming.set(true);
                        } else {
                            remove(store, id.clone(), busy, action_error);
                        }
                    }
                >
                    {move || match (is_final.get(), confirming.get()) {
                        (false, _) => "Cancel analysis",
                        (true, false) => "Remove",
                        (true, true) => "Delete for good",
                    }}
                </button>
                {shown_when(
                    move || confirming.get(),
                    move || {
                        view! {
                            <span class="confirm" data-testid="job-remove-question">
                                "Delete this analysis, its shots and its video from the server?"
                            </span>
                            <button
                                class="button ghost"
                                data-testid="job-remove-keep"
                                on:click=move |_| {
                                    confirming.set(false);
                                    action_error.set(None);
                                }
                            >
                                "Keep"
                            </button>
                        }
                            .into_any()
                    },
                )}
            </div>
            {optional(move || {
                action_error
                    .get()
                    .map(|m| view! { <p class="error" role="alert" data-testid="job-action-error">{m}</p> }.into_any())
            })}
        </article>
    }
}

/// Deletes the job on the server, then takes its card off the board; a failure stays on the
/// card, which can be tried again.
fn remove(store: Store, id: JobId, busy: RwSignal<bool>, action_error: RwSignal<Option<String>>) {
    busy.set(true);
    spawn_local(async move {
        match http::delete_job(&store.endpoints.get_untracked(), &id).await {
            Ok(()) => {
                store.dismiss(&id);
                focus_file_picker();
            }
            Err(message) => {
                action_error.set(Some(message));
                busy.set(false);
            }
        }
    });
}

/// Asks the server to run a failed or cancelled job again, and follows it again from the last
/// event this page has (the server may have dropped this page's subscription to a finished job
/// when its socket was renewed).
fn retry(
    store: Store,
    id: JobId,
    view: RwSignal<JobView>,
    busy: RwSignal<bool>,
    action_error: RwSignal<Option<String>>,
) {
    busy.set(true);
    action_error.set(None);
    spawn_local(async move {
        match http::retry_job(&store.endpoints.get_untracked(), &id).await {
            Ok(()) => store.send(ClientAction::Subscribe {
                job_id: id,
                after_seq: view.with_untracked(|v| v.last_seq),
            }),
            Err(message) => action_error.set(Some(message)),
        }
        busy.set(false);
    });
}

/// Shot counts so far, and the totals once completed.
#[component]
fn Summary(
    /// The job.
    view: RwSignal<JobView>,
) -> impl IntoView {
    let text = move || {
        view.with(|v| match &v.summary {
            Some(s) => format!(
                "{} · {} · {} gradual · analysed in {}",
                format::count(s.shot_count as u64, "shot"),
                format::count(s.cut_count as u64, "cut"),
                s.gradual_count,
                format::seconds(s.processing_millis)
            ),
            None if v.shots.is_empty() => String::new(),
            None => format!(
                "{} shot{} so far",
                v.shots.len(),
                if v.shots.len() == 1 { "" } else { "s" }
            ),
        })
    };
    view! { <p class="summary" data-testid="job-summary">{text}</p> }
}

fn metadata_rows(m: &VideoMetadata) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Duration", format::clock(m.duration_millis)),
        (
            "Resolution",
            format!("{} × {}", m.frame_width, m.frame_height),
        ),
        ("Frame rate", format::frame_rate(m.frame_rate)),
        ("Video codec", m.codec.clone()),
        ("Container", format::container(&m.format)),
        ("Colour range", format::lower_case(&m.color_range)),
    ];
    if let Some(frames) = m.frame_count {
        rows.push(("Frames", frames.to_string()));
    }
    if let Some(audio) = &m.audio_codec {
        rows.push(("Audio codec", audio.clone()));
    }
    rows
}

/// The container's facts, once probed.
#[component]
fn MetadataPanel(
    /// The job.
    view: RwSignal<JobView>,
) -> impl IntoView {
    let metadata = Memo::new(move |_| view.with(|v| v.metadata.clone()));
    optional(move || {
        metadata.get().map(|m| {
            view! {
                <details class="metadata" data-testid="metadata" open>
                    <summary>"Video details"</summary>
                    <dl>
                        {metadata_rows(&m)
                            .into_iter()
                            .map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })
                            .collect_view()}
                    </dl>
                </details>
            }
            .into_any()
        })
    })
}
