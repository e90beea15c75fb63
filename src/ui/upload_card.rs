//! One upload: a real byte progress bar with rate and time left, pause/resume and cancel. A
//! failed upload shows only why, as a sentence: no bar or byte count that could read as done.

use super::conditional::{optional, shown_when};
use super::drop_zone::focus_file_picker;
use crate::format;
use crate::net::upload_control;
use crate::store::{Store, UploadEntry, UploadPhase};
use leptos::prelude::*;

/// The card of one upload, shown until its job exists.
#[component]
pub fn UploadCard(
    /// The upload to show.
    entry: UploadEntry,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let (key, view) = (entry.key, entry.view);
    let phase = Memo::new(move |_| view.with(|v| v.phase.clone()));
    // Only this changes what the card's middle shows, so phase changes do not rebuild the bar.
    let failure = Memo::new(move |_| match phase.get() {
        UploadPhase::Failed(message) => Some(format::sentence(&message)),
        _ => None,
    });
    let fraction = move || {
        view.with(|v| {
            if v.size == 0 {
                0.0
            } else {
                v.sent as f64 / v.size as f64
            }
        })
    };
    let figures = move || {
        view.with(|v| {
            let mut parts = vec![
                format!("{} of {}", format::bytes(v.sent), format::bytes(v.size)),
                format::percent(if v.size == 0 {
                    0.0
                } else {
                    v.sent as f64 / v.size as f64
                }),
            ];
            if v.phase == UploadPhase::Sending {
                if let Some(rate) = v.rate {
                    parts.push(format!("{}/s", format::bytes(rate as u64)));
                }
                if let Some(left) = v.seconds_left {
                    parts.push(format!("{} left", format::remaining(left)));
                }
            }
            // A line breaks only between figures, never inside one ("21 s" | "left").
            let parts: Vec<String> = parts.iter().map(|p| p.replace(' ', "\u{a0}")).collect();
            parts.join(" · ")
        })
    };
    let status = move || match phase.get() {
        UploadPhase::Starting => "Preparing…".to_owned(),
        UploadPhase::Sending => "Uploading".to_owned(),
        UploadPhase::Paused => "Paused".to_owned(),
        UploadPhase::Retrying { .. } => {
            "The server cannot be reached — retrying with the parts not stored yet".to_owned()
        }
        UploadPhase::StartingJob => "Starting the analysis…".to_owned(),
        UploadPhase::Failed(_) => "Upload failed".to_owned(),
    };
    let failed = move || failure.with(Option::is_some);
    let paused = move || phase.get() == UploadPhase::Paused;
    let running = move || !failed() && phase.get() != UploadPhase::StartingJob;
    // The card goes away under the focused button, so focus moves to the file picker.
    let remove = move || {
        store.uploads.update(|u| u.retain(|e| e.key != key));
        focus_file_picker();
    };
    view! {
        <article class="card upload" data-testid="upload" data-phase=move || phase.get().name()>
            <header class="card-head">
                <h2 class="file-name" title=move || view.with(|v| v.file_name.clone())>
                    {move || view.with(|v| v.file_name.clone())}
                </h2>
                <span class="badge" data-state=move || failed().then_some("failed")>
                    {move || if failed() { "failed" } else { "upload" }}
                </span>
            </header>
            <p class="stage">{status}</p>
            {optional(move || Some(match failure.get() {
                Some(message) => view! {
                    <p class="error notice" role="alert" data-testid="upload-error">{message}</p>
                }
                    .into_any(),
                None => view! {
                    <progress
                        data-testid="upload-progress"
                        max="1"
                        prop:value=fraction
                        aria-label="Upload progress"
                    ></progress>
                    <p class="figures" data-testid="upload-figures">{figures}</p>
                }
                    .into_any(),
            }))}
            <div class="actions">
                {shown_when(running, move || {
                    view! {
                    <button
                        class="button"
                        data-testid="upload-pause"
                        on:click=move |_| {
                            if let Some(c) = upload_control::control(key) {
                                if paused() { c.resume() } else { c.pause() }
                            }
                        }
                    >
                        {move || if paused() { "Resume" } else { "Pause" }}
                    </button>
                    <button
                        class="button ghost"
                        data-testid="upload-cancel"
                        on:click=move |_| match upload_control::control(key) {
                            Some(c) => {
                                c.cancel();
                                focus_file_picker();
                            }
                            None => remove(),
                        }
                    >
                        "Cancel"
                    </button>
                    }
                    .into_any()
                })}
                {shown_when(failed, move || {
                    view! { <button class="button ghost" on:click=move |_| remove()>"Dismiss"</button> }
                        .into_any()
                })}
            </div>
        </article>
    }
}
