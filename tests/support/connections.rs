//! The server side of the page's WebSocket, as backend code sees it: the connection ids in the
//! gateway's datastore (`<data-dir>/gateway.db`) and the `@connections` management API, called
//! with the key from `<data-dir>/management.key`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long one management API request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the datastore is read again while waiting for a connection to be recorded (the
/// gateway writes it from its own thread, a moment after the handshake).
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The ids of the connections open now, oldest first.
pub fn open_connection_ids(data_dir: &Path) -> Vec<String> {
    let path = data_dir.join("gateway.db");
    let db = match rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(db) => db,
        Err(_) => return Vec::new(),
    };
    let _ = db.busy_timeout(Duration::from_secs(2));
    let Ok(mut query) =
        db.prepare("SELECT connection_id FROM connections ORDER BY connected_at, rowid")
    else {
        return Vec::new();
    };
    query
        .query_map([], |row| row.get::<_, String>(0))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// Waits until exactly one connection is open and returns its id. Panics with what the
/// datastore holds after `timeout`.
pub fn wait_for_single_connection(data_dir: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let ids = open_connection_ids(data_dir);
        if let [id] = ids.as_slice() {
            return id.clone();
        }
        if Instant::now() >= deadline {
            panic!("waited {timeout:?} for exactly one open connection; the datastore has {ids:?}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The management key the server generated in its data dir.
pub fn management_key(data_dir: &Path) -> String {
    let path = data_dir.join("management.key");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {} ({error})", path.display()))
        .trim()
        .to_string()
}

/// `DELETE /@connections/{id}` with the management key: the backend closing a client's socket.
/// Returns the HTTP status (204 closed, 410 gone, 403 bad key).
pub fn delete_connection(server: SocketAddr, data_dir: &Path, id: &str) -> u16 {
    let key = management_key(data_dir);
    let head = format!(
        "DELETE /@connections/{id} HTTP/1.1\r\nHost: {server}\r\nAuthorization: Bearer {key}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    request(server, &head)
}

/// `POST /@connections/{id}` with the management key and `body`: the backend pushing a message
/// to a client, as the job worker does. Returns the HTTP status (200 pushed, 410 gone).
pub fn post_to_connection(server: SocketAddr, data_dir: &Path, id: &str, body: &str) -> u16 {
    let key = management_key(data_dir);
    let head = format!(
        "POST /@connections/{id} HTTP/1.1\r\nHost: {server}\r\nAuthorization: Bearer {key}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    request(server, &head)
}

/// Sends one whole HTTP/1.1 request on a fresh connection and returns the answer's status.
fn request(server: SocketAddr, request: &str) -> u16 {
    let mut stream = TcpStream::connect_timeout(&server, REQUEST_TIMEOUT)
        .expect("the server accepts a TCP connection");
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .expect("a timeout can be set");
    stream
        .write_all(request.as_bytes())
        .expect("the request can be sent");
    let mut answer = Vec::new();
    // The server closes the connection after answering (`Connection: close`).
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("the management API answered something unreadable: {answer:?}"))
}
