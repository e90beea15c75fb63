//! A scrolling list of a job's shots with only the cells near the view in the DOM, so a film's
//! 3,000 shots cost a few dozen buttons. Used twice: the strip (one row, follows the newest
//! shot while it is scrolled to its end) and the storyboard grid (rows that wrap). The
//! arithmetic is `crate::storyboard`'s; this file wires it to the scroller.
//!
//! Keyboard: the arrows (and Page Up/Down, Home, End) move the focus between shots, scrolling
//! the list as needed; only one button of a list is a Tab stop. The shot under the playhead is
//! scrolled into the list's view (never the page's) when it changes.

use super::button::{ShotsOfJob, shot_button};
use crate::storyboard::{Cells, shot_after_key};
use crate::ui::rows::{Row, keyed_rows};
use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The strip's cells: a 128×72 thumbnail and a label line. Forty shots are built each side of
/// its view: a clip of up to about 90 shots is in the DOM whole (for finding in the page and
/// for a screen reader's list navigation), and a film costs about 90 buttons.
pub const STRIP: Cells = Cells {
    width: 130.0,
    height: 102.0,
    gap: 8.0,
    one_row: true,
    overscan: 40,
};

/// The storyboard grid's cells: a 160×90 thumbnail and a label line.
pub const GRID: Cells = Cells {
    width: 162.0,
    height: 120.0,
    gap: 10.0,
    one_row: false,
    overscan: 4,
};

/// The scroller's padding on each side (room for the focus ring), as in `style/main.css`.
const PADDING: f64 = 6.0;

/// Assumed before the scroller is measured: a laptop's window.
const UNMEASURED: (f64, f64) = (1200.0, 800.0);

/// How the list is scrolled and how big it is.
#[derive(Clone, Copy)]
struct Scroll {
    /// The scroller.
    node: NodeRef<Div>,
    /// How far it is scrolled along its axis.
    offset: RwSignal<f64>,
    /// Its width, and the height that can be visible at most (the window's).
    size: RwSignal<(f64, f64)>,
    /// The strip only: scrolled to its end, so it follows the newest shot.
    at_end: RwSignal<bool>,
    /// Shots per line at the current width.
    per_line: Memo<usize>,
    /// The cells, fitted to the scroller's width.
    cells: Memo<Cells>,
    /// True for the strip.
    one_row: bool,
}

impl Scroll {
    /// Pixels visible along the scrolling axis.
    fn view_length(&self) -> f64 {
        let (across, down) = self.size.get_untracked();
        if self.one_row { across } else { down }
    }

    /// Scrolls the list (not the page) so shot `i` shows whole.
    fn reveal(&self, i: usize) {
        let Some(node) = self.node.get_untracked() else {
            return;
        };
        let current = if self.one_row {
            node.scroll_left()
        } else {
            node.scroll_top()
        } as f64;
        let view = self.view_length() - 2.0 * PADDING;
        let per_line = self.per_line.get_untracked();
        let cells = self.cells.get_untracked();
        if let Some(to) = cells.offset_showing(i, per_line, current, view) {
            if self.one_row {
                node.set_scroll_left(to as i32);
            } else {
                node.set_scroll_top(to as i32);
            }
            self.offset.set(to);
        }
    }

    /// Reads the scroller's size again (after mounting and when the window is resized).
    fn measure(&self) {
        if let Some(node) = self.node.get_untracked() {
            let across = f64::from(node.client_width()) - 2.0 * PADDING;
            let down = window()
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(UNMEASURED.1);
            if across > 0.0 {
                self.size.set((across, down));
            }
        }
    }
}

/// The list of `shots` laid out in cells like `base`; `testid` names its buttons.
pub fn shot_list(shots: ShotsOfJob, base: Cells, testid: &'static str) -> impl IntoView {
    let size = RwSignal::new(UNMEASURED);
    let one_row = base.one_row;
    let cells = Memo::new(move |_| base.fitted(size.get().0));
    let scroll = Scroll {
        node: NodeRef::new(),
        offset: RwSignal::new(0.0),
        size,
        at_end: RwSignal::new(true),
        per_line: Memo::new(move |_| base.per_line(size.get().0)),
        cells,
        one_row,
    };
    let count = shots.count;
    let near = Memo::new(move |_| {
        let (count, per_line) = (count.get(), scroll.per_line.get());
        let (across, down) = size.get();
        let view = if one_row { across } else { down };
        let cells = cells.get();
        let offset = if one_row && scroll.at_end.get() {
            (cells.track_length(count, per_line) - view).max(0.0)
        } else {
            scroll.offset.get()
        };
        cells.near_view(count, per_line, offset, view)
    });
    // The one button Tab reaches: the last one focused, or the first built when that one is
    // scrolled away.
    let active = RwSignal::new(0_usize);
    // One memo for the list, so a new shot re-renders no button's tabindex unless the Tab stop
    // itself moves.
    let tab_stop_at = Memo::new(move |_| {
        let (active, near) = (active.get(), near.get());
        if near.contains(&active) {
            active
        } else {
            near.start
        }
    });
    let tab_stop = move |i: usize| move || tab_stop_at.get() == i;
    Effect::new(move |_| scroll.measure());
    let resized = window_event_listener(leptos::ev::resize, move |_| scroll.measure());
    on_cleanup(move || resized.remove());
    // The strip keeps its newest shot in view while it is at its end, as a log does: scrolled
    // once a frame, when the browser lays the page out anyway, not once per pushed shot (each
    // scroll asks for a layout at once).
    let tail_scroll_pending = StoredValue::new(false);
    // Where the strip's own last scroll to its end left it.
    let tail_left = StoredValue::new(0.0_f64);
    Effect::new(move |_| {
        count.track();
        if one_row && scroll.at_end.get_untracked() && !tail_scroll_pending.get_value() {
            tail_scroll_pending.set_value(true);
            // The card may be gone by the next frame: nothing is read from it then.
            request_animation_frame(move || {
                tail_scroll_pending.try_set_value(false);
                if scroll.at_end.try_get_untracked() == Some(true)
                    && let Some(node) = scroll.node.try_get_untracked().flatten()
                {
                    node.set_scroll_left(i32::MAX);
                    tail_left.try_set_value(f64::from(node.scroll_left()));
                }
            });
        }
    });
    Effect::new(move |_| {
        if let Some(i) = shots.playing.get() {
            scroll.reveal(i);
        }
    });
    let track_style = move || {
        let cells = cells.get();
        let length = cells.track_length(count.get(), scroll.per_line.get());
        let along = if one_row { "width" } else { "height" };
        format!(
            "--cell-w:{}px;--cell-h:{}px;{along}:{}px",
            px(cells.width),
            px(cells.height),
            px(length)
        )
    };
    let on_scroll = move |_| {
        let Some(node) = scroll.node.get_untracked() else {
            return;
        };
        if one_row {
            let offset = f64::from(node.scroll_left());
            let slack = cells.get_untracked().width / 2.0;
            let at_end =
                offset + f64::from(node.client_width()) + slack >= f64::from(node.scroll_width());
            // Shots that came after the strip's own scroll to its end leave it short of the
            // end: it is still following unless the person scrolled back.
            let following =
                scroll.at_end.get_untracked() && offset >= tail_left.get_value() - slack;
            scroll.offset.set(offset);
            scroll.at_end.set(at_end || following);
        } else {
            scroll.offset.set(f64::from(node.scroll_top()));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(from) = shot_index(&ev) else { return };
        if ev.key().eq_ignore_ascii_case("k") {
            toggle_playing(&ev);
            ev.prevent_default();
            return;
        }
        let step = cells.get_untracked().line_step();
        let lines_in_view = (scroll.view_length() / step).floor() as usize;
        let per_line = scroll.per_line.get_untracked();
        let Some(to) = shot_after_key(
            &ev.key(),
            from,
            count.get_untracked(),
            per_line,
            lines_in_view,
        ) else {
            return;
        };
        ev.prevent_default();
        scroll.reveal(to);
        focus_when_built(scroll.node, to);
    };
    let cell_style = move |i: usize| {
        move || {
            let (x, y) = cells.get().position(i, scroll.per_line.get());
            format!("transform:translate({}px,{}px)", px(x), px(y))
        }
    };
    view! {
        <div
            class=if one_row { "shots" } else { "shots grid" }
            node_ref=scroll.node
            on:scroll=on_scroll
            on:keydown=on_key
            on:focusin=move |ev| {
                if let Some(i) = shot_index(&ev) {
                    active.set(i);
                }
            }
        >
            <ol
                class="shot-track"
                aria-label=if one_row { "Shots" } else { "Storyboard: every shot" }
                aria-keyshortcuts="ArrowLeft ArrowRight ArrowUp ArrowDown PageUp PageDown Home End K"
                style=track_style
            >
                {keyed_rows(move || {
                    near.get()
                        .map(|i| {
                            Row::new(i as u64, move || {
                                view! {
                                    <li style=cell_style(i)>
                                        {shot_button(shots, i, testid, tab_stop(i))}
                                    </li>
                                }
                            })
                        })
                        .collect()
                })}
            </ol>
        </div>
    }
}

/// Whole CSS pixels: formatting an `f64` would bring Rust's float printing into the wasm
/// (several KiB) for sub-pixel precision nobody sees.
fn px(length: f64) -> i64 {
    length.round() as i64
}

/// The index of the shot button an event happened in.
fn shot_index(ev: &web_sys::Event) -> Option<usize> {
    ev.target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-index]")
        .ok()??
        .get_attribute("data-index")?
        .parse()
        .ok()
}

/// Focuses shot `i`'s button of the list: now when it is built, else once the list has
/// rendered what scrolling asked for (before the next frame).
fn focus_when_built(list: NodeRef<Div>, i: usize) {
    let focus = move || {
        let button = list
            .try_get_untracked()
            .flatten()
            .and_then(|l| l.query_selector(&format!("[data-index=\"{i}\"]")).ok()?)
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
        button.map(|b| b.focus()).is_some()
    };
    if !focus() {
        request_animation_frame(move || {
            focus();
        });
    }
}

/// Plays or pauses the player of the card the key was pressed in.
fn toggle_playing(ev: &web_sys::Event) {
    let Some(video) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|t| t.closest("[data-testid=job]").ok().flatten())
        .and_then(|card| card.query_selector("video").ok().flatten())
        .and_then(|v| v.dyn_into::<web_sys::HtmlVideoElement>().ok())
    else {
        return;
    };
    if video.paused() {
        let _ = video.play();
    } else {
        let _ = video.pause();
    }
}
