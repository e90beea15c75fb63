//! The top bar: the app's name and the connection pill.

use super::conditional::shown_when;
use crate::connection::ConnectionState;
use crate::store::Store;
use leptos::prelude::*;
use std::time::Duration;

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let store = expect_context::<Store>();
    let bar = NodeRef::<leptos::html::Header>::new();
    // The bar is sticky and its height changes with the connection's detail line and the screen
    // width; keyboard focus scrolled into view must land below it, so the page's scroll padding
    // follows its height.
    let fit_scroll_padding = move || {
        request_animation_frame(move || {
            if let (Some(bar), Some(root)) = (bar.get_untracked(), document().document_element()) {
                let padding = format!("scroll-padding-top: {}px", bar.offset_height() + 8);
                let _ = root.set_attribute("style", &padding);
            }
        })
    };
    Effect::new(move |_| {
        store.connection.track();
        fit_scroll_padding();
    });
    let _ = window_event_listener(leptos::ev::resize, move |_| fit_scroll_padding());
    view! {
        <header class="topbar" node_ref=bar>
            <div class="brand">
                <span class="logo" aria-hidden="true">"▶"</span>
                <span class="name">"vidpush"</span>
                <span class="tagline">"Shot detection, pushed live"</span>
            </div>
            <ConnectionPill
                state=store.connection
                on_retry=Callback::new(move |()| store.retry_connection_now())
            />
        </header>
    }
}

/// The connection state in a pill (exactly `connecting`, `live`, `reconnecting` or `offline`)
/// and, beside it, why and when the next attempt happens.
#[component]
pub fn ConnectionPill(
    /// The state to show (only read here); the countdown is derived from it.
    state: RwSignal<ConnectionState>,
    /// Called when the person asks to reconnect now instead of waiting.
    on_retry: Callback<()>,
) -> impl IntoView {
    let now = RwSignal::new(js_sys::Date::now());
    // The countdown needs a clock; it only ticks the `now` signal, nothing else.
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(js_sys::Date::now()),
        Duration::from_millis(500),
    ) {
        on_cleanup(move || handle.clear());
    }
    let label = move || state.with(ConnectionState::label);
    let pill = NodeRef::<leptos::html::Span>::new();
    view! {
        <div class="connection">
            // Focusable from script only: "Retry now" hands it the focus before going away.
            <span
                class="pill"
                data-state=label
                data-testid="connection-state"
                tabindex="-1"
                node_ref=pill
            >
                {label}
            </span>
            <span class="connection-detail" data-testid="connection-detail">
                {move || state.with(|s| s.detail(now.get()))}
            </span>
            {shown_when(
                move || state.with(ConnectionState::is_reconnecting),
                move || {
                    view! {
                        <button
                            class="button small ghost"
                            data-testid="connection-retry"
                            on:click=move |_| {
                                if let Some(pill) = pill.get_untracked() {
                                    let _ = pill.focus();
                                }
                                on_retry.run(());
                            }
                        >
                            "Retry now"
                        </button>
                    }
                        .into_any()
                },
            )}
        </div>
    }
}
