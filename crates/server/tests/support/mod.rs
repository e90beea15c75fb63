//! Test support: a real server on `127.0.0.1:0` with a temporary data folder and a scripted
//! analyzer, a tus client over reqwest, and a WebSocket client that collects pushed events.

#![allow(dead_code)] // each test file uses a different part of this module

mod process;
#[allow(unused_imports)] // only the tests that kill the server use it
pub use process::Process;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vidpush_analysis::{AnalysisEvent, CancelFlag};
use vidpush_protocol::*;
use vidpush_server::Server;
use vidpush_server::config::ServerConfig;
use vidpush_server::jobs::analyzer::{AnalysisFailure, VideoAnalyzer};

/// Longest any test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Waits until `condition` holds, checking every few milliseconds, for at most [`PATIENCE`].
pub async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data: tempfile::TempDir,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with `flags` (as on the command line) and `analyzer`.
    pub async fn start(flags: &[&str], analyzer: Arc<dyn VideoAnalyzer>) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), flags, analyzer).await
    }

    /// Starts a server on the data folder `data`, as a restarted process finds it.
    pub async fn start_in(
        data: tempfile::TempDir,
        flags: &[&str],
        analyzer: Arc<dyn VideoAnalyzer>,
    ) -> Self {
        let mut args = vec!["vidpush-server", "--listen", "127.0.0.1:0", "--data-dir"];
        let dir = data.path().to_str().unwrap().to_owned();
        args.push(&dir);
        args.extend(["--static-dir", "/nonexistent"]);
        args.extend(flags);
        let config = ServerConfig::try_parse_from(args).unwrap();
        let server = Server::bind_with(config, analyzer).await.unwrap();
        let addr = server.addr;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            server
                .serve(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            data,
            http: reqwest::Client::new(),
            stop: Some(stop),
            done: Some(done),
        }
    }

    /// The server's base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `GET path`, its JSON body as `T`; any failure fails the test.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Shuts down gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    /// Shuts down gracefully, then starts again on the same data folder with `flags` and
    /// `analyzer`, as a restarted process does.
    pub async fn restart(mut self, flags: &[&str], analyzer: Arc<dyn VideoAnalyzer>) -> Self {
        self.shut_down().await;
        Self::start_in(self.data, flags, analyzer).await
    }

    async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            tokio::time::timeout(PATIENCE, done)
                .await
                .expect("server stops")
                .unwrap();
        }
    }

    /// Creates a tus upload of `len` bytes; returns its URL.
    pub async fn create_upload(&self, len: u64, token: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/api/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len.to_string())
            .header(
                "Upload-Metadata",
                "filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0",
            );
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    /// PATCHes `bytes` at `offset`.
    pub async fn patch(
        &self,
        location: &str,
        offset: u64,
        bytes: Vec<u8>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .patch(self.url(location))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    /// Uploads `bytes` whole and returns the upload id.
    pub async fn upload(&self, bytes: &[u8], token: Option<&str>) -> UploadId {
        let created = self.create_upload(bytes.len() as u64, token).await;
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let patched = self.patch(&location, 0, bytes.to_vec(), token).await;
        assert_eq!(patched.status(), 204, "{}", patched.text().await.unwrap());
        UploadId(location.rsplit('/').next().unwrap().to_owned())
    }

    /// Uploads `bytes` and starts a job on them.
    pub async fn start_job(&self, bytes: &[u8], token: Option<&str>) -> JobId {
        self.start_job_with(bytes, token, None).await
    }

    /// Uploads `bytes` and starts a job on them with the hard-cut `sensitivity`.
    pub async fn start_job_with(
        &self,
        bytes: &[u8],
        token: Option<&str>,
        sensitivity: Option<f64>,
    ) -> JobId {
        let upload_id = self.upload(bytes, token).await;
        let mut req = self
            .http
            .post(self.url("/api/jobs"))
            .json(&CreateJobRequest {
                upload_id,
                sensitivity,
            });
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 201);
        response.json::<CreateJobResponse>().await.unwrap().job_id
    }

    /// `HEAD` of an upload, as a tus client asks for its offset.
    pub async fn head(&self, location: &str) -> reqwest::Response {
        self.bodiless_tus(reqwest::Method::HEAD, location).await
    }

    /// `DELETE` of an upload (tus termination), as a client that cancels sends it.
    pub async fn terminate(&self, location: &str) -> reqwest::Response {
        self.bodiless_tus(reqwest::Method::DELETE, location).await
    }

    /// A tus request without a body to an upload's URL.
    async fn bodiless_tus(&self, method: reqwest::Method, location: &str) -> reqwest::Response {
        self.http
            .request(method, self.url(location))
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap()
    }

    /// How many upload files are on disk.
    pub fn stored_uploads(&self) -> usize {
        std::fs::read_dir(self.data.path().join("uploads"))
            .unwrap()
            .count()
    }

    /// Opens a WebSocket (no Origin header: a non-browser client).
    pub async fn connect(&self, token: Option<&str>) -> Client {
        let url = match token {
            Some(token) => format!("ws://{}/ws?token={token}", self.addr),
            None => format!("ws://{}/ws", self.addr),
        };
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Client { socket }
    }

    /// Waits until the job is in `state` (polled over HTTP; for setup only).
    pub async fn wait_for_state(&self, job: &JobId, state: JobState) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let status: JobStatus = self.get_json(&format!("/api/jobs/{job}")).await;
            if status.state == state {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job stuck in {:?}, wanted {state:?}",
                status.state
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A WebSocket client.
pub struct Client {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Sends an action.
    pub async fn send(&mut self, action: &ClientAction) {
        self.socket
            .send(Message::text(action.to_json()))
            .await
            .unwrap();
    }

    /// The next server message.
    pub async fn next(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a message in time");
            match frame.expect("socket open").unwrap() {
                Message::Text(text) => {
                    return ServerMessage::from_json(&text)
                        .unwrap_or_else(|e| panic!("{e}: {text}"));
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Subscribes to `job` after `after_seq` and returns the reply, with any events that came
    /// before it.
    pub async fn subscribe(&mut self, job: &JobId, after_seq: u64) -> (Reply, Vec<JobEvent>) {
        self.send(&ClientAction::Subscribe {
            job_id: job.clone(),
            after_seq,
        })
        .await;
        self.next_reply().await
    }

    /// The next reply (events before it are returned too, in order).
    pub async fn next_reply(&mut self) -> (Reply, Vec<JobEvent>) {
        let mut events = Vec::new();
        loop {
            match self.next().await {
                ServerMessage::Reply(reply) => return (reply, events),
                ServerMessage::Event(event) => events.push(event),
            }
        }
    }

    /// Collects events until one puts the job in a final state; replies are skipped.
    pub async fn events_until_final(&mut self) -> Vec<JobEvent> {
        let mut events = Vec::new();
        loop {
            if let ServerMessage::Event(event) = self.next().await {
                let done = event.body.state_after().is_some_and(|s| s.is_final());
                events.push(event);
                if done {
                    return events;
                }
            }
        }
    }
}

/// The first bytes of an MP4 file, enough to pass the container sniff.
pub fn fake_mp4(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.extend((0..len.saturating_sub(bytes.len())).map(|i| (i % 251) as u8));
    bytes.truncate(len);
    bytes
}

/// An analyzer that reports scripted results, optionally holding each job until cancelled.
pub struct ScriptedAnalyzer {
    /// Shots to report.
    pub shots: u32,
    /// When true, the analysis waits after the first shot until it is cancelled.
    pub hold: bool,
    /// Set while an analysis is inside `analyze`.
    pub busy: AtomicBool,
    /// The sensitivity each analysis was asked for, in order.
    pub sensitivities: std::sync::Mutex<Vec<Option<f64>>>,
}

impl ScriptedAnalyzer {
    pub fn new(shots: u32) -> Arc<Self> {
        Arc::new(Self {
            shots,
            hold: false,
            busy: AtomicBool::new(false),
            sensitivities: Default::default(),
        })
    }

    pub fn holding() -> Arc<Self> {
        Arc::new(Self {
            shots: 3,
            hold: true,
            busy: AtomicBool::new(false),
            sensitivities: Default::default(),
        })
    }
}

pub fn span(start: u64, end: u64) -> Span {
    Span {
        start_timestamp_millis: start * 40,
        end_timestamp_millis: (end + 1) * 40,
        duration_millis: (end + 1 - start) * 40,
        start_timecode_smpte: "00:00:00:00".into(),
        end_timecode_smpte: "00:00:00:00".into(),
        duration_smpte: "00:00:00:00".into(),
        start_frame_number: start,
        end_frame_number: end,
        duration_frames: end + 1 - start,
    }
}

pub fn metadata() -> VideoMetadata {
    VideoMetadata {
        codec: "h264".into(),
        format: "mov,mp4,m4a,3gp,3g2,mj2".into(),
        duration_millis: 4000,
        frame_rate: 25.0,
        frame_rate_fraction: "25/1".into(),
        frame_width: 320,
        frame_height: 180,
        color_range: "LIMITED".into(),
        frame_count: Some(100),
        audio_codec: None,
    }
}

impl VideoAnalyzer for ScriptedAnalyzer {
    fn analyze(
        &self,
        source: &Path,
        sensitivity: Option<f64>,
        cancel: &CancelFlag,
        on_event: &mut dyn FnMut(AnalysisEvent),
    ) -> Result<AnalysisResult, AnalysisFailure> {
        assert!(source.is_file(), "the worker hands over the uploaded file");
        self.sensitivities.lock().unwrap().push(sensitivity);
        self.busy.store(true, Ordering::SeqCst);
        on_event(AnalysisEvent::Metadata(metadata()));
        let mut shots = Vec::new();
        for index in 0..self.shots {
            on_event(AnalysisEvent::Progress {
                stage: Stage::Detecting,
                fraction: index as f64 / self.shots as f64,
                frames_done: index as u64 * 10,
            });
            let shot = Shot {
                index,
                span: span(index as u64 * 10, index as u64 * 10 + 9),
                confidence: 99.0,
                transition_in: Transition {
                    kind: if index == 0 {
                        TransitionKind::Start
                    } else {
                        TransitionKind::Cut
                    },
                    duration_frames: 1,
                },
                thumbnail_frame: index as u64 * 10 + 5,
                facts: ShotFacts {
                    dominant_colors: vec![],
                    mean_brightness: 0.5,
                    motion: 0.1,
                },
            };
            on_event(AnalysisEvent::Shot {
                shot: shot.clone(),
                thumbnail_jpeg: vec![0xFF, 0xD8, index as u8, 0xFF, 0xD9],
            });
            shots.push(shot);
            while self.hold && !cancel.is_cancelled() {
                std::thread::sleep(Duration::from_millis(5));
            }
            if cancel.is_cancelled() {
                self.busy.store(false, Ordering::SeqCst);
                return Err(AnalysisFailure::Cancelled);
            }
        }
        self.busy.store(false, Ordering::SeqCst);
        Ok(AnalysisResult {
            video_metadata: metadata(),
            summary: ResultSummary {
                shot_count: shots.len() as u32,
                cut_count: shots.len().saturating_sub(1) as u32,
                gradual_count: 0,
                cue_count: 0,
                duration_millis: 4000,
                frames_analyzed: 100,
                processing_millis: 0,
            },
            shots,
            technical_cues: vec![],
            analyzer: Analyzer {
                name: "scripted".into(),
                version: "0".into(),
                analysis_width: 0,
            },
        })
    }
}

/// Opens a raw connection and sends a tus PATCH's head declaring `content_length` body bytes,
/// then `first` (part of the body); the rest is the caller's to send, or never to send.
pub async fn raw_patch(
    addr: SocketAddr,
    location: &str,
    content_length: usize,
    first: &[u8],
) -> TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {content_length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    stream
}

/// Reads a response's status line and headers (lower-cased) from a raw connection; `None` when
/// the server closed it first.
pub async fn read_response_head(stream: &mut TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).to_ascii_lowercase())
}
