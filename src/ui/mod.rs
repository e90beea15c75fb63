//! The Leptos components. They only wire signals of the [`Store`](crate::store::Store) to the
//! DOM and call into `net`; what to show is decided by the logic modules.
//!
//! - [`App`]: the page; starts the socket task and lays out the rest.
//! - [`header::Header`], [`header::ConnectionPill`]: app name and the connection state.
//! - [`drop_zone::DropZone`]: picking and dropping files, refusals.
//! - [`upload_card::UploadCard`]: one upload's progress and controls.
//! - [`job_card::JobCard`]: one job live: progress, preview, shots, metadata, exports.
//! - [`shots::ShotTimeline`]: the shots of a job: ruler, strip and storyboard grid.
//! - [`exports::ExportBar`]: downloads of a finished result.
//! - [`rows::keyed_rows`]: the one keyed list every list above renders through.
//! - [`conditional`]: the one reactive closure every part that comes and goes renders through.

pub mod conditional;
pub mod drop_zone;
pub mod exports;
pub mod header;
pub mod job_card;
pub mod rows;
pub mod shots;
pub mod upload_card;

use crate::config::Endpoints;
use crate::net::{http, job_list, socket, upload};
use crate::store::Store;
use conditional::{optional, shown_when};
use leptos::prelude::*;
use leptos::task::spawn_local;
use rows::{Row, keyed_rows};
use vidpush_protocol::ClientConfig;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let defaults = Endpoints::resolve(&http::page_url(), &ClientConfig::default());
    let (store, outbox) = Store::new(defaults);
    provide_context(store);
    // Back online: reconnect now rather than when the backoff timer says. Kept for the page's life.
    let _ = window_event_listener(leptos::ev::online, move |_| store.retry_connection_now());
    // A file dropped anywhere is taken, not opened by the browser in place of the app. The drop
    // zone takes its own drops first (and marks them handled).
    let _ = window_event_listener(leptos::ev::dragover, |ev| ev.prevent_default());
    let _ = window_event_listener(leptos::ev::drop, move |ev| {
        if !ev.default_prevented() {
            ev.prevent_default();
            drop_zone::accept_files(
                store,
                drop_zone::dropped_files(&ev),
                drop_zone::remembered_sensitivity(),
            );
        }
    });
    // The tab's title follows the jobs, so progress shows from another tab.
    Effect::new(move |was_busy: Option<bool>| {
        let jobs: Vec<_> = store.jobs.with(|jobs| {
            jobs.iter()
                .map(|j| j.view.with(|v| (v.state, v.fraction)))
                .collect()
        });
        let busy = jobs.iter().any(|(state, _)| !state.is_final());
        let just_finished = was_busy == Some(true) && !busy;
        // Every pushed shot runs this; the browser is told only when the title changes.
        let title = crate::tab_title::tab_title(&jobs, just_finished);
        let document = document();
        if document.title() != title {
            document.set_title(&title);
        }
        busy
    });
    let has_cards = move || !(store.uploads.with(Vec::is_empty) && store.jobs.with(Vec::is_empty));
    spawn_local(async move {
        store.endpoints.set(http::load_endpoints().await);
        let endpoints = store.endpoints.get_untracked();
        if let Some(max) = http::max_upload_bytes(&endpoints).await {
            store.max_upload_bytes.set(max);
        }
        job_list::show_newest(store).await;
        spawn_local(upload::forget_lost(store));
        socket::run(store, outbox).await;
    });
    view! {
        <header::Header />
        <main class="page" class:has-cards=has_cards>
            <drop_zone::DropZone />
            <Board />
        </main>
        <LiveRegion />
    }
}

/// The uploads and jobs, side by side in a responsive grid, newest first.
#[component]
pub fn Board() -> impl IntoView {
    let store = expect_context::<Store>();
    let empty = move || store.uploads.with(Vec::is_empty) && store.jobs.with(Vec::is_empty);
    view! {
        <section class="board" aria-label="Uploads and analyses">
            // One list, newest first, so a job's card appears where its upload's card was.
            {keyed_rows(move || {
                // Uploads are kept oldest first; the board shows them newest first.
                let mut cards: Vec<(u64, Row)> = store.uploads.with(|uploads| {
                    uploads
                        .iter()
                        .rev()
                        .cloned()
                        .map(|entry| {
                            let place = entry.place;
                            (place, Row::new(entry.key, move || view! { <upload_card::UploadCard entry /> }))
                        })
                        .collect()
                });
                store.jobs.with(|jobs| {
                    for entry in jobs.iter().cloned() {
                        let place = entry.place;
                        // A few cards: inserting in order beats carrying a sort in the wasm.
                        let at = cards.partition_point(|(other, _)| *other > place);
                        cards.insert(
                            at,
                            (place, Row::new(entry.key, move || view! { <job_card::JobCard entry /> })),
                        );
                    }
                });
                cards.into_iter().map(|(_, row)| row).collect()
            })}
        </section>
        {shown_when(empty, || {
            view! {
                <p class="empty">"Analyses appear here, live, as soon as the server finds each shot."</p>
            }
            .into_any()
        })}
        <OlderJobs />
    }
}

/// "Show older analyses", while the server lists more of this token's jobs than the board has.
#[component]
fn OlderJobs() -> impl IntoView {
    let store = expect_context::<Store>();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    shown_when(
        move || store.older_jobs.with(Option::is_some),
        move || {
            view! {
                <div class="older">
                    <button
                        class="button ghost"
                        data-testid="older-jobs"
                        disabled=move || busy.get()
                        on:click=move |_| {
                            busy.set(true);
                            spawn_local(async move {
                                error.set(job_list::show_older(store).await.err());
                                busy.set(false);
                            });
                        }
                    >
                        "Show older analyses"
                    </button>
                    {optional(move || error.get().map(|m| view! { <p class="error" role="alert">{m}</p> }.into_any()))}
                </div>
            }
            .into_any()
        },
    )
}

/// How many sentences the live region keeps. Screen readers read each one once, as it is
/// added; older ones only have to stay until then, and the cap keeps the hidden log short.
const ANNOUNCEMENTS_KEPT: u32 = 5;

/// The ARIA live region: screen readers announce pushed results as they arrive. A log that
/// sentences are appended to, so each is read once, and all of those pushed in the same moment
/// are read. The paragraphs are added to the DOM directly rather than through a view: the region
/// must only ever gain nodes (a rebuilt node is read again), and this runs for every pushed
/// result, where a keyed list cost about a millisecond each.
#[component]
pub fn LiveRegion() -> impl IntoView {
    let store = expect_context::<Store>();
    let region = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        store.announcements.track();
        let Some(region) = region.get() else { return };
        let sentences = store
            .announcements
            .try_update_untracked(std::mem::take)
            .unwrap_or_default();
        let document = document();
        for sentence in sentences {
            if let Ok(paragraph) = document.create_element("p") {
                paragraph.set_text_content(Some(&sentence));
                let _ = region.append_child(&paragraph);
            }
        }
        while region.child_element_count() > ANNOUNCEMENTS_KEPT {
            if let Some(oldest) = region.first_element_child() {
                oldest.remove();
            }
        }
    });
    view! {
        <div
            class="sr-only"
            role="log"
            aria-live="polite"
            data-testid="announcer"
            node_ref=region
        ></div>
    }
}
