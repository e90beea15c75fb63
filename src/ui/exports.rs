//! Downloads of a finished result. The full result is fetched once from its `resultUrl`, then
//! each format is rendered by `crate::export` and saved through a Blob URL.

use super::conditional::optional;
use crate::export::{Format, ResultFile};
use crate::net::http;
use crate::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

/// Saves `text` as a file named `name` via a temporary `<a download>`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "The browser could not prepare the file.".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "The browser could not prepare the file.".to_owned())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("No document to download from.")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "The browser could not start the download.".to_owned())?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // Revoke later: some browsers read the URL after `click` returns.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
    Ok(())
}

/// Export buttons for a completed job.
#[component]
pub fn ExportBar(
    /// Where the full result is (relative to the API base), from `job.completed`.
    result_url: String,
    /// The video's file name, for the downloads' names and the EDL title.
    file_name: String,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let cached: StoredValue<Option<ResultFile>> = StoredValue::new(None);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let export = move |format: Format| {
        let (result_url, file_name) = (result_url.clone(), file_name.clone());
        spawn_local(async move {
            busy.set(true);
            if cached.with_value(Option::is_none) {
                let endpoints = store.endpoints.get_untracked();
                match http::fetch_result(&endpoints, &result_url).await {
                    Ok(result) => cached.set_value(Some(result)),
                    Err(message) => {
                        error.set(Some(message));
                        busy.set(false);
                        return;
                    }
                }
            }
            let outcome = cached.with_value(|r| {
                let result = r.as_ref().expect("fetched above");
                download(
                    &format.file_name(&file_name),
                    format.mime(),
                    &format.render(result, &file_name),
                )
            });
            error.set(outcome.err());
            busy.set(false);
        });
    };
    view! {
        <div class="exports" role="group" aria-label="Export the result">
            <span class="exports-label">"Export"</span>
            {Format::ALL
                .into_iter()
                .map(|format| {
                    let export = export.clone();
                    view! {
                        <button
                            class="button small"
                            data-testid=format.test_id()
                            disabled=move || busy.get()
                            on:click=move |_| export(format)
                        >
                            {format.label()}
                        </button>
                    }
                })
                .collect_view()}
            {optional(move || {
                error.get().map(|m| view! { <p class="error" role="alert">{m}</p> }.into_any())
            })}
        </div>
    }
}
