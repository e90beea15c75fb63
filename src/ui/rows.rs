//! The page's one keyed list. Uploads, jobs, shots and refusals all render through this single
//! `<For>`, so the wasm carries one copy of Leptos' keyed diffing instead of one per list (each
//! copy is several KB, generic over the list's item, key and row view).
//!
//! A list hands over [`Row`]s: a key and how to build that row's view. Only rows with a key not
//! seen before are built; rows whose key disappears are removed; the rest stay as they are.

use leptos::prelude::*;

/// One row of a keyed list.
pub struct Row {
    /// Unique within its list; a row is built once per key.
    key: u64,
    /// Builds the row's view, called only when the key is new.
    build: Box<dyn FnOnce() -> AnyView + Send>,
}

impl Row {
    /// A row with this key, built by `build` when it first appears.
    pub fn new<V>(key: u64, build: impl FnOnce() -> V + Send + 'static) -> Self
    where
        V: IntoView + IntoAny + 'static,
    {
        Self {
            key,
            build: Box::new(move || build().into_any()),
        }
    }
}

/// A keyed list of the rows `rows` returns; it re-runs when the signals `rows` reads change.
pub fn keyed_rows(rows: impl Fn() -> Vec<Row> + Send + 'static) -> impl IntoView {
    rows_of(Box::new(rows))
}

/// Not generic, so every list shares one `For`.
fn rows_of(rows: Box<dyn Fn() -> Vec<Row> + Send>) -> impl IntoView {
    view! { <For each=rows key=|row: &Row| row.key children=|row: Row| (row.build)() /> }
}
