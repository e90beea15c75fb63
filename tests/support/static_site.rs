//! The built app as a static site of its own: a copy of `dist/` with a `config.json` written by
//! the test, optionally under a sub-path, and a plain file server for it.
//!
//! A [`StaticSite`] directory can be handed to the server (`ServerOptions::static_dir`) to serve
//! a page with a different `config.json`, or served by [`StaticSite::serve`] from another
//! port, the way a CDN or a sub-path of another site would serve a release build. The file
//! server knows nothing of vidpush: it answers `GET`/`HEAD` with files and nothing else, so no
//! API call can accidentally be answered same-origin.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// Longest request head the file server reads; browsers send a few hundred bytes.
const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// How long the file server waits on a silent client before giving up on it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A copy of the built app with its own `config.json`.
pub struct StaticSite {
    /// The site's document root; deleted when the test ends.
    root: TempDir,
    /// The sub-path the app sits under, without slashes at either end ("" for the root).
    sub_path: String,
}

impl StaticSite {
    /// Copies the built app (`VIDPUSH_DIST` or `<root>/dist`) to `<new temp dir>/<sub_path>/`
    /// and writes `config` as its `config.json`.
    pub fn new(sub_path: &str, config: &Value) -> StaticSite {
        let root = tempfile::Builder::new()
            .prefix("vidpush-site-")
            .tempdir()
            .expect("the system temp dir is writable");
        let sub_path = sub_path.trim_matches('/').to_string();
        let site = StaticSite { root, sub_path };
        copy_dir(&super::server::static_dir(), &site.app_dir());
        site.write_config(config);
        site
    }

    /// Replaces `config.json`, e.g. once the server it should point to has a port. Pages
    /// loaded afterwards read the new one.
    pub fn write_config(&self, config: &Value) {
        std::fs::write(
            self.app_dir().join("config.json"),
            serde_json::to_vec_pretty(config).expect("a JSON value serialises"),
        )
        .expect("the site dir is writable");
    }

    /// The folder holding `index.html` and `config.json`.
    pub fn app_dir(&self) -> PathBuf {
        if self.sub_path.is_empty() {
            self.root.path().to_path_buf()
        } else {
            self.root.path().join(&self.sub_path)
        }
    }

    /// Serves the site's document root over plain HTTP on a free port of 127.0.0.1 until the
    /// returned server is dropped.
    pub fn serve(&self) -> FileServer {
        FileServer::start(self.root.path().to_path_buf(), self.sub_path.clone())
    }
}

/// A minimal static file server on 127.0.0.1, one thread per connection.
pub struct FileServer {
    /// Where it listens.
    addr: SocketAddr,
    /// The app's sub-path, for [`FileServer::app_url`].
    sub_path: String,
    /// Tells the accept loop to stop.
    stop: Arc<AtomicBool>,
    /// The accept loop, joined on drop.
    accept: Option<JoinHandle<()>>,
}

impl FileServer {
    fn start(root: PathBuf, sub_path: String) -> FileServer {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("the loopback interface can bind a port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || serve_connection(stream, &root));
            }
        });
        FileServer {
            addr,
            sub_path,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`, the origin pages from this server have.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the app's `index.html` folder, e.g. `http://127.0.0.1:PORT/some/path/`.
    pub fn app_url(&self) -> String {
        if self.sub_path.is_empty() {
            format!("{}/", self.origin())
        } else {
            format!("{}/{}/", self.origin(), self.sub_path)
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Answers every request on one connection (keep-alive), until the client closes it.
fn serve_connection(stream: TcpStream, root: &Path) {
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some((method, target)) = read_request_head(&mut reader) {
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let file = resolve(root, path);
        let answer = match (method.as_str(), file) {
            ("GET" | "HEAD", Some(file)) => match std::fs::read(&file) {
                Ok(body) => (200, content_type(&file), body),
                Err(_) => (404, "text/plain", b"not found".to_vec()),
            },
            ("GET" | "HEAD", None) => (404, "text/plain", b"not found".to_vec()),
            _ => (405, "text/plain", b"only GET and HEAD".to_vec()),
        };
        let (status, mime, body) = answer;
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            _ => "Method Not Allowed",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() {
            break;
        }
        if method != "HEAD" && writer.write_all(&body).is_err() {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// Reads one request head; returns its method and target. Request bodies are not expected
/// (only GET and HEAD are served), so a declared body is read and dropped.
fn read_request_head(reader: &mut BufReader<TcpStream>) -> Option<(String, String)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut read = request_line.len();
    let mut body_length = 0usize;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).ok()?;
        read += n;
        if n == 0 || read > MAX_REQUEST_HEAD {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            body_length = value.trim().parse().unwrap_or(0);
        }
    }
    if body_length > 0 {
        let mut body = vec![0u8; body_length];
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, target))
}

/// The file a URL path names inside `root`, refusing anything that would leave it. A folder
/// path means its `index.html`.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    for component in Path::new(url_path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// The `Content-Type` of a file of the built app, by extension. `application/wasm` matters:
/// `WebAssembly.instantiateStreaming` insists on it.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// Copies the files of `from` into `to`, recursively, leaving out trunk's `.stage` folder (a
/// build in progress).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the site dir is writable");
    let entries = std::fs::read_dir(from)
        .unwrap_or_else(|error| panic!("cannot read {} ({error})", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry can be read");
        let name = entry.file_name();
        if name == ".stage" {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        if source.is_dir() {
            copy_dir(&source, &target);
        } else {
            std::fs::copy(&source, &target)
                .unwrap_or_else(|error| panic!("cannot copy {} ({error})", source.display()));
        }
    }
}
