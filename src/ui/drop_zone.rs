//! Where files come in: a drop area with a file picker, checks before any upload, and the
//! refusals with their reasons.

use super::rows::{Row, keyed_rows};
use crate::file_check::{self, FileFacts};
use crate::net::{storage, upload};
use crate::store::{Refusal, Store, UploadEntry, UploadPhase, UploadView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{File, FileList};

/// Checks each file and starts an upload for each one that passes.
pub fn accept_files(store: Store, files: Vec<File>) {
    for file in files {
        let facts = FileFacts {
            name: &file.name(),
            mime: &file.type_(),
            size: file.size() as u64,
        };
        if let Err(message) = file_check::check(&facts) {
            let key = store.key();
            store.refusals.update(|r| r.push(Refusal { key, message }));
            continue;
        }
        start_upload(store, file);
    }
}

fn start_upload(store: Store, file: File) {
    let key = store.key();
    let preview = web_sys::Url::create_object_url_with_blob(&file).unwrap_or_default();
    let view = RwSignal::new(UploadView {
        file_name: file.name(),
        size: file.size() as u64,
        sent: 0,
        rate: None,
        seconds_left: None,
        phase: UploadPhase::Starting,
    });
    let control = Rc::new(upload::UploadControl::default());
    upload::register(key, control.clone());
    store.uploads.update(|u| u.push(UploadEntry { key, view }));
    spawn_local(async move {
        upload::run(store, key, file, view, control, preview).await;
        upload::unregister(key);
    });
}

fn list(files: Option<FileList>) -> Vec<File> {
    let Some(files) = files else {
        return Vec::new();
    };
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// One refused file: why, and a button to dismiss it.
fn refusal_row(store: Store, refusal: Refusal) -> impl IntoView {
    let key = refusal.key;
    view! {
        <li class="refusal" data-testid="refusal" role="alert">
            <span>{refusal.message}</span>
            <button
                class="button ghost"
                aria-label="Dismiss"
                on:click=move |_| store.refusals.update(|v| v.retain(|x| x.key != key))
            >
                "✕"
            </button>
        </li>
    }
}

/// The drop area and file picker.
#[component]
pub fn DropZone() -> impl IntoView {
    let store = expect_context::<Store>();
    let dragging = RwSignal::new(false);
    let unfinished = storage::unfinished_uploads();
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
                accept_files(store, list(ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <div class="drop-icon" aria-hidden="true">"⇪"</div>
            <h1>"Drop videos here"</h1>
            <p class="hint">
                "MP4, MOV, WebM, MKV and more, up to 4 GB each. Shots, thumbnails and metadata arrive while the analysis runs."
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
                        accept_files(store, list(input.files()));
                        input.set_value("");
                    }
                />
            </label>
            {(unfinished > 0)
                .then(|| {
                    view! {
                        <p class="hint resume-hint">
                            {format!(
                                "{unfinished} unfinished upload{} can continue where {} stopped: choose the same file again.",
                                if unfinished == 1 { "" } else { "s" },
                                if unfinished == 1 { "it" } else { "they" },
                            )}
                        </p>
                    }
                })}
        </section>
        <ul class="refusals" aria-live="polite">
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
