//! One `XMLHttpRequest` as a future. Only XHR reports upload progress (`upload.onprogress`),
//! which the uploader needs for a real progress bar.

use futures::channel::oneshot;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{ProgressEvent, XmlHttpRequest};

/// How a request ended without an HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XhrError {
    /// The network failed (offline, connection reset, CORS refusal).
    Network,
    /// [`XmlHttpRequest::abort`] was called: the person paused or cancelled.
    Aborted,
}

/// An HTTP answer.
pub struct Answer {
    /// The request, to read headers and body from.
    xhr: XmlHttpRequest,
    /// The HTTP status.
    pub status: u16,
}

impl Answer {
    /// A response header (CORS must expose it for cross-origin APIs).
    pub fn header(&self, name: &str) -> Option<String> {
        self.xhr.get_response_header(name).ok().flatten()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        self.xhr.response_text().ok().flatten().unwrap_or_default()
    }

    /// What a refusal means for the person: the page's own sentence for a refused token (the
    /// server's words address API clients: "send `Authorization: Bearer`"), else the `message`
    /// of an [`vidpush_protocol::ApiError`] body, else `fallback` with the status.
    pub fn error_message(&self, fallback: &str) -> String {
        if self.status == 401 {
            return crate::connection::TOKEN_REFUSED.to_owned();
        }
        vidpush_protocol::web::decode::<vidpush_protocol::ApiError>(&self.text())
            .map(|e| crate::format::sentence(&e.message))
            .unwrap_or_else(|_| {
                format!("{fallback} (HTTP {}). Try again in a moment.", self.status)
            })
    }
}

/// The requests of one task that a person's click may abort (an upload's pause and cancel).
#[derive(Default)]
pub struct InFlight(RefCell<Vec<XmlHttpRequest>>);

impl InFlight {
    /// Aborts every request in flight; each ends with [`XhrError::Aborted`].
    pub fn abort_all(&self) {
        // Taken out first: an abort ends its request at once, which takes it off the list.
        for xhr in self.0.take() {
            let _ = xhr.abort();
        }
    }
}

/// A request being built.
pub struct Request {
    xhr: XmlHttpRequest,
    /// Where the request is listed while it runs, when it may be aborted.
    in_flight: Option<Rc<InFlight>>,
}

type Done = Rc<RefCell<Option<oneshot::Sender<Result<(), XhrError>>>>>;

impl Request {
    /// Opens `method url`.
    pub fn new(method: &str, url: &str) -> Self {
        let xhr = XmlHttpRequest::new().expect("XMLHttpRequest exists in every browser");
        xhr.open(method, url)
            .expect("open only fails for malformed methods, which are constants here");
        Self {
            xhr,
            in_flight: None,
        }
    }

    /// Adds a request header.
    pub fn header(self, name: &str, value: &str) -> Self {
        let _ = self.xhr.set_request_header(name, value);
        self
    }

    /// Sends `json` as an `application/json` body and waits for the answer.
    pub async fn send_json(self, json: String) -> Result<Answer, XhrError> {
        let parts = js_sys::Array::of1(&json.into());
        let body = web_sys::Blob::new_with_str_sequence(&parts).map_err(|_| XhrError::Network)?;
        self.header("Content-Type", "application/json")
            .send(Some(&body), None)
            .await
    }

    /// Lists this request in `in_flight` while it runs, so it can be aborted from there.
    pub fn abortable(mut self, in_flight: &Rc<InFlight>) -> Self {
        self.in_flight = Some(in_flight.clone());
        self
    }

    /// Sends `body` and waits for the answer; `on_progress(bytes_sent)` is called as the body
    /// goes out.
    pub async fn send(
        self,
        body: Option<&web_sys::Blob>,
        on_progress: Option<Box<dyn FnMut(f64)>>,
    ) -> Result<Answer, XhrError> {
        let (tx, rx) = oneshot::channel();
        let done: Done = Rc::new(RefCell::new(Some(tx)));
        let finish = |outcome: Result<(), XhrError>| {
            let done = done.clone();
            Closure::<dyn FnMut()>::new(move || {
                if let Some(tx) = done.borrow_mut().take() {
                    let _ = tx.send(outcome);
                }
            })
        };
        let on_load = finish(Ok(()));
        let on_error = finish(Err(XhrError::Network));
        let on_abort = finish(Err(XhrError::Aborted));
        self.xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        self.xhr
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.xhr
            .set_ontimeout(Some(on_error.as_ref().unchecked_ref()));
        self.xhr
            .set_onabort(Some(on_abort.as_ref().unchecked_ref()));
        let progress = on_progress.map(|mut f| {
            Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| f(e.loaded()))
        });
        if let (Some(p), Ok(upload)) = (&progress, self.xhr.upload()) {
            upload.set_onprogress(Some(p.as_ref().unchecked_ref()));
        }
        let sent = match body {
            Some(blob) => self.xhr.send_with_opt_blob(Some(blob)),
            None => self.xhr.send(),
        };
        if sent.is_err() {
            return Err(XhrError::Network);
        }
        if let Some(in_flight) = &self.in_flight {
            in_flight.0.borrow_mut().push(self.xhr.clone());
        }
        // The closures above must live until one of them has fired.
        let outcome = rx.await.unwrap_or(Err(XhrError::Aborted));
        if let Some(in_flight) = &self.in_flight {
            in_flight.0.borrow_mut().retain(|x| *x != self.xhr);
        }
        self.xhr.set_onload(None);
        self.xhr.set_onerror(None);
        self.xhr.set_ontimeout(None);
        self.xhr.set_onabort(None);
        if let Ok(upload) = self.xhr.upload() {
            upload.set_onprogress(None);
        }
        drop((on_load, on_error, on_abort, progress));
        outcome?;
        let status = self.xhr.status().unwrap_or(0);
        if status == 0 {
            return Err(XhrError::Network);
        }
        Ok(Answer {
            xhr: self.xhr,
            status,
        })
    }
}
