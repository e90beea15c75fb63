//! The buttons' side of running uploads: what the person wants (run, pause, cancel), the
//! requests a pause or cancel aborts, and the wake-up of an upload that waits. `net::upload`
//! reads these; the upload cards and the socket task call them.

use crate::net::xhr::InFlight;
use crate::upload_flow::Wish;
use futures::channel::oneshot;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The buttons' side of a running upload.
#[derive(Default)]
pub struct UploadControl {
    /// The current wish.
    wish: Cell<Option<Wish>>,
    /// The upload's requests in flight (part `PUT`s and API calls), aborted on pause and
    /// cancel.
    pub(super) in_flight: Rc<InFlight>,
    /// Wakes a paused upload, or one waiting to retry.
    pub(super) wake: RefCell<Option<oneshot::Sender<()>>>,
}

impl UploadControl {
    /// What the person wants now.
    pub(super) fn wish(&self) -> Wish {
        self.wish.get().unwrap_or(Wish::Run)
    }

    fn interrupt(&self, wish: Wish) {
        self.wish.set(Some(wish));
        self.in_flight.abort_all();
        if let Some(wake) = self.wake.borrow_mut().take() {
            let _ = wake.send(());
        }
    }

    /// Stops sending; the stored parts are kept on the server.
    pub fn pause(&self) {
        self.interrupt(Wish::Pause);
    }

    /// Continues with the parts the server does not have yet.
    pub fn resume(&self) {
        self.interrupt(Wish::Run);
    }

    /// Stops and deletes the upload on the server.
    pub fn cancel(&self) {
        self.interrupt(Wish::Cancel);
    }
}

/// Ends the wait of every upload waiting to retry, so they go on as soon as the server is
/// known to be back (the socket is live again) rather than when their own backoff says.
pub fn retry_waiting_now() {
    CONTROLS.with(|controls| {
        for (_, control) in controls.borrow().iter() {
            // A paused upload woken this way sees it is still paused and waits again.
            if let Some(wake) = control.wake.borrow_mut().take() {
                let _ = wake.send(());
            }
        }
    });
}

thread_local! {
    /// The controls of running uploads, by upload key, for the cards' buttons. A few at a time,
    /// so a list: a `HashMap` would add its hasher to the wasm for nothing.
    static CONTROLS: RefCell<Vec<(u64, Rc<UploadControl>)>> = RefCell::default();
}

/// Makes `control` reachable by the card of upload `key`.
pub fn register(key: u64, control: Rc<UploadControl>) {
    CONTROLS.with(|c| c.borrow_mut().push((key, control)));
}

/// Forgets the control of a finished upload.
pub fn unregister(key: u64) {
    CONTROLS.with(|c| c.borrow_mut().retain(|(k, _)| *k != key));
}

/// The control of upload `key`, while it runs.
pub fn control(key: u64) -> Option<Rc<UploadControl>> {
    CONTROLS.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, control)| control.clone())
    })
}
