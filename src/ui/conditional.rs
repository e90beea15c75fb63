//! Parts of the page that come and go. Every such part renders through the one boxed closure
//! type here, so the wasm carries one copy of Leptos' reactive-view plumbing for all of them
//! instead of one per closure type (each copy is generic over the closure and the view it makes).

use leptos::prelude::*;

/// A reactive part of the page: what `view` returns, or nothing. Re-runs when the signals
/// `view` reads change; a view of the same kind as before is updated in place, not rebuilt, so
/// focus and DOM nodes survive.
pub fn optional(view: impl Fn() -> Option<AnyView> + Send + 'static) -> impl IntoView {
    let view: Box<dyn FnMut() -> Option<AnyView> + Send> = Box::new(view);
    view
}

/// What `view` builds while `when` holds. `when` is memoized, so the part is built once each
/// time it appears, however often the signals behind `when` change.
pub fn shown_when(
    when: impl Fn() -> bool + Send + Sync + 'static,
    view: impl Fn() -> AnyView + Send + 'static,
) -> impl IntoView {
    let when = Memo::new(move |_| when());
    optional(move || when.get().then(&view))
}
