//! Mounts the vidpush app on the page; everything else lives in the library.
//!
//! In the browser the app starts from wasm-bindgen's `start` export rather than a Rust `main`:
//! `main` would bring in std's process start-up and exit path (stdout flushing and the text of
//! every I/O error kind), which a page never runs.

#![cfg_attr(target_arch = "wasm32", no_main)]

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(vidpush::ui::App);
}

/// Natively there is no page to mount on; the binary exists for the browser build only.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "vidpush is the browser app: `cargo xtask dev` builds it and serves it with the server"
    );
    std::process::exit(2);
}
