//! What the browser itself reads from a picked file's metadata before anything is uploaded:
//! its picture size, through a detached `<video>` element. Sound without picture has none.

use crate::net::sleep;
use futures::channel::oneshot;
use futures::future::{Either, select};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::HtmlVideoElement;

/// How long the browser may take to read a local file's metadata. It reads a few kilobytes
/// from disk, so this only bounds a browser that never answers; then the server decides.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The picture size the browser reads from the file at `url` (an object URL): `Some((0, 0))`
/// when it plays the file and finds no picture, `None` when it cannot tell (a container or
/// codec it does not play, or no answer in time).
pub async fn picture_size(url: &str) -> Option<(u32, u32)> {
    let document = web_sys::window()?.document()?;
    let video: HtmlVideoElement = document.create_element("video").ok()?.unchecked_into();
    video.set_preload("metadata");
    video.set_muted(true);
    let (tx, rx) = oneshot::channel::<bool>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let answer = |loaded: bool| {
        let tx = tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(loaded);
            }
        })
    };
    let (loaded, failed) = (answer(true), answer(false));
    video.set_onloadedmetadata(Some(loaded.as_ref().unchecked_ref()));
    video.set_onerror(Some(failed.as_ref().unchecked_ref()));
    video.set_src(url);
    let outcome = select(rx, Box::pin(sleep(PROBE_TIMEOUT))).await;
    let size = match outcome {
        Either::Left((Ok(true), _)) => Some((video.video_width(), video.video_height())),
        _ => None,
    };
    // Let go of the file before the closures go.
    video.set_onloadedmetadata(None);
    video.set_onerror(None);
    video.remove_attribute("src").ok()?;
    video.load();
    size
}
