//! Where files come in: a drop area with a file picker, checks before any upload, and the
//! refusals with their reasons.

use super::conditional::optional;
use super::rows::{Row, keyed_rows};
use crate::cuts::{self, CutChoice};
use crate::file_check::{self, FileFacts};
use crate::multipart;
use crate::net::{media_probe, storage, upload, upload_control};
use crate::store::{Refusal, Store, UploadEntry, UploadPhase, UploadView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{File, FileList};

/// Checks each file and starts an upload for each one that passes, in the order picked: the
/// name, type and size at once, then what the browser reads of its metadata (sound without
/// picture is refused before a byte is sent). Their jobs get the hard-cut `sensitivity`
/// (`None`: the server's default).
pub fn accept_files(store: Store, files: Vec<File>, sensitivity: Option<f64>) {
    let mut passed = Vec::new();
    for file in files {
        let facts = FileFacts {
            name: &file.name(),
            mime: &file.type_(),
            size: file.size() as u64,
        };
        match file_check::check(&facts, store.max_upload_bytes.get_untracked()) {
            Ok(()) => passed.push(file),
            Err(message) => refuse(store, message),
        }
    }
    if passed.is_empty() {
        return;
    }
    // Still inside the person's gesture, as browsers require for the question.
    crate::net::notify::ask_permission();
    // Places taken now, the first picked highest: the cards stand in the order picked.
    let mut places: Vec<u64> = passed.iter().map(|_| store.key()).collect();
    places.reverse();
    spawn_local(async move {
        for (file, place) in passed.into_iter().zip(places) {
            let preview = web_sys::Url::create_object_url_with_blob(&file).unwrap_or_default();
            let picture = media_probe::picture_size(&preview).await;
            if let Err(message) = file_check::picture_check(&file.name(), picture) {
                let _ = web_sys::Url::revoke_object_url(&preview);
                refuse(store, message);
                continue;
            }
            start_upload(store, file, preview, place, sensitivity);
        }
    });
}

fn refuse(store: Store, message: String) {
    let key = store.key();
    store.refusals.update(|r| r.push(Refusal { key, message }));
}

fn start_upload(store: Store, file: File, preview: String, place: u64, sensitivity: Option<f64>) {
    let key = store.key();
    let entry = UploadEntry::new(
        key,
        place,
        UploadView {
            file_name: file.name(),
            size: file.size() as u64,
            sent: 0,
            rate: None,
            seconds_left: None,
            phase: UploadPhase::Starting,
        },
    );
    let view = entry.view;
    let control = Rc::new(upload_control::UploadControl::default());
    upload_control::register(key, control.clone());
    store.uploads.update(|u| u.push(entry));
    spawn_local(async move {
        upload::run(store, key, file, view, control, preview, sensitivity).await;
        upload_control::unregister(key);
    });
}

/// The hard-cut sensitivity the person chose last (kept in the browser's storage), for files
/// dropped outside the drop zone.
pub fn remembered_sensitivity() -> Option<f64> {
    CutChoice::from_stored(storage::get(cuts::STORAGE_KEY).as_deref()).sensitivity()
}

/// The files of a drop.
pub fn dropped_files(ev: &web_sys::DragEvent) -> Vec<File> {
    list(ev.data_transfer().and_then(|d| d.files()))
}

fn list(files: Option<FileList>) -> Vec<File> {
    let Some(files) = files else {
        return Vec::new();
    };
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// Moves keyboard focus to the file picker, for when the focused card goes away.
pub fn focus_file_picker() {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("[data-testid=file-input]").ok().flatten());
    if let Some(input) = input {
        let _ = input.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

/// One refused file: why, and a button to dismiss it.
fn refusal_row(store: Store, refusal: Refusal) -> impl IntoView {
    let key = refusal.key;
    let message_id = format!("refusal-{key}");
    view! {
        <li class="refusal" data-testid="refusal" role="alert">
            <span id=message_id.clone()>{refusal.message}</span>
            <button
                class="button ghost"
                aria-label="Dismiss"
                aria-describedby=message_id
                on:click=move |_| {
                    store.refusals.update(|v| v.retain(|x| x.key != key));
                    focus_file_picker();
                }
            >
                "✕"
            </button>
        </li>
    }
}

/// Fewer, usual or more cuts: a radio group chosen before a file is picked, for the uploads
/// started from then on; remembered for the next visit.
fn cut_choice(chosen: RwSignal<CutChoice>) -> impl IntoView {
    view! {
        <fieldset class="cuts" data-testid="cuts">
            <legend>"Cuts"</legend>
            <div class="cut-options">
                {CutChoice::ALL
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <label class="cut-option">
                                <input
                                    type="radio"
                                    name="cuts"
                                    value=choice.as_str()
                                    data-testid=format!("cuts-{}", choice.as_str())
                                    aria-describedby="cuts-explanation"
                                    prop:checked=move || chosen.get() == choice
                                    on:change=move |_| {
                                        chosen.set(choice);
                                        storage::set(cuts::STORAGE_KEY, choice.as_str());
                                    }
                                />
                                {choice.label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <p id="cuts-explanation" class="hint cuts-explanation" data-testid="cuts-explanation">
                {move || chosen.get().explanation()}
            </p>
        </fieldset>
    }
}

/// The drop area and file picker.
#[component]
pub fn DropZone() -> impl IntoView {
    let store = expect_context::<Store>();
    let dragging = RwSignal::new(false);
    let chosen = RwSignal::new(CutChoice::from_stored(
        storage::get(cuts::STORAGE_KEY).as_deref(),
    ));
    // Uploads a reload interrupted, minus those running again. Re-read when an upload starts
    // or ends, which is when the remembered ones change, and after lost ones are forgotten.
    let resume_hint = move || {
        let running: Vec<(String, u64)> = store.uploads.with(|uploads| {
            uploads
                .iter()
                .map(|e| e.view.with_untracked(|v| (v.file_name.clone(), v.size)))
                .collect()
        });
        store.remembered_uploads.track();
        let stopped = storage::unfinished_uploads();
        let names: Vec<&str> = stopped
            .iter()
            .filter(|u| {
                !running
                    .iter()
                    .any(|(name, size)| *name == u.file_name && *size == u.size)
            })
            .map(|u| u.file_name.as_str())
            .collect();
        multipart::resume_hint(&names)
    };
    view! {
        <section
            class="dropzone"
            class:dragging=move || dragging.get()
            on:dragover=move |ev| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                dragging.set(false);
                accept_files(
                    store,
                    dropped_files(&ev),
                    chosen.get_untracked().sensitivity(),
                );
            }
        >
            <svg class="drop-icon" aria-hidden="true" viewBox="0 0 24 24" width="36" height="36"
                fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"
                stroke-linejoin="round">
                <path d="M12 15V3M7 8l5-5 5 5M4 15v4a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-4" />
            </svg>
            <h1>"Drop videos here"</h1>
            <p class="hint" data-testid="accepted-files">
                {move || file_check::accepted_files(store.max_upload_bytes.get())}
                " Shots, thumbnails and metadata arrive while the analysis runs."
            </p>
            <label class="button primary">
                "Choose videos"
                <input
                    type="file"
                    class="sr-only"
                    accept="video/*"
                    multiple
                    data-testid="file-input"
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = ev
                            .target()
                            .expect("change events come from the input")
                            .unchecked_into();
                        accept_files(store, list(input.files()), chosen.get_untracked().sensitivity());
                        input.set_value("");
                    }
                />
            </label>
            {cut_choice(chosen)}
            {optional(move || {
                resume_hint()
                    .map(|hint| {
                        view! { <p class="hint resume-hint" data-testid="resume-hint">{hint}</p> }
                            .into_any()
                    })
            })}
        </section>
        // Each refusal is its own alert, so the list is not a live region as well.
        <ul class="refusals">
            {keyed_rows(move || {
                store.refusals.with(|refusals| {
                    refusals
                        .iter()
                        .cloned()
                        .map(|refusal| Row::new(refusal.key, move || refusal_row(store, refusal)))
                        .collect()
                })
            })}
        </ul>
    }
}
