//! The real tus-js-client (Node, `tests/tus-client/upload.mjs`) against the real server binary:
//! an upload cut off midway — by the client aborting mid-PATCH, or by the server being killed
//! with SIGKILL mid-PATCH — resumes from the server's offset and completes, and the stored file
//! is byte-identical to the original.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{PATIENCE, Process};
use tokio::io::AsyncBufReadExt;

/// Size of the clip uploaded: several 1 MiB tus-js-client chunks on either side of the cut.
const CLIP_SECONDS: u32 = 22;

/// `tests/tus-client` in the workspace, with its npm packages installed.
fn tus_client_dir() -> PathBuf {
    let relative = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tus-client");
    let dir = relative.canonicalize().unwrap_or(relative);
    assert!(
        dir.join("node_modules/tus-js-client/package.json")
            .is_file(),
        "tus-js-client is not installed in {}: run `npm ci --prefix tests/tus-client` \
         (`cargo xtask install` does it too) and run the test again",
        dir.display()
    );
    dir
}

/// An H.264 MP4 of about 8 MiB made by ffmpeg from a test pattern.
fn make_clip(dir: &Path) -> PathBuf {
    let path = dir.join("clip.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!(
            "testsrc2=size=640x360:rate=25:duration={CLIP_SECONDS}"
        ))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "3M",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success(), "ffmpeg made the clip");
    path
}

/// How the upload is cut off.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    /// The client calls `upload.abort()` mid-PATCH, then resumes from its URL storage.
    ClientAborts,
    /// The server is killed with SIGKILL mid-PATCH and restarted; the client retries.
    ServerKilled,
}

/// What the client reported.
struct Outcome {
    /// Bytes the server had confirmed when the PATCH stalled.
    confirmed_at_cut: u64,
    /// Bytes handed to the stalled PATCH's body, counted from the file's start.
    sent_at_cut: u64,
    /// `Upload-Offset` of the first PATCH after the cut.
    resumed_from: u64,
    /// Failed requests the client decided to retry.
    retries: usize,
    /// The upload's URL at the end.
    url: String,
}

/// Runs `upload.mjs` against `server`, cutting it off as `cut` says, and collects its report.
async fn upload_with_tus_js_client(
    cut: Cut,
    data: &Path,
    mut server: Process,
    clip: &Path,
) -> (Outcome, Process) {
    let mode = match cut {
        Cut::ClientAborts => "abort",
        Cut::ServerKilled => "kill",
    };
    let dir = tus_client_dir();
    let mut node = tokio::process::Command::new("node")
        .arg(dir.join("upload.mjs"))
        .arg(mode)
        .arg(format!("{}/api/uploads", server.url))
        .arg(clip)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed (Debian package nodejs)");
    let mut lines = tokio::io::BufReader::new(node.stdout.take().unwrap()).lines();

    let mut cut_at: Option<(u64, u64)> = None;
    let mut resumed_from = None;
    let mut retries = 0;
    let url = loop {
        let line = tokio::time::timeout(PATIENCE * 2, lines.next_line())
            .await
            .expect("tus-js-client reports within the patience")
            .unwrap()
            .expect("tus-js-client reports `done` before it exits");
        println!("tus-js-client: {line}"); // shown when the test fails
        let event: Value = serde_json::from_str(&line).unwrap();
        let number = |field: &str| event[field].as_u64().unwrap();
        match event["event"].as_str().unwrap() {
            "stalled" => {
                cut_at = Some((number("confirmed"), number("sent")));
                if cut == Cut::ServerKilled {
                    let listen = server.addr().to_owned();
                    server.kill_9();
                    server = Process::start(data, &listen, &[]);
                }
            }
            "patch" if cut_at.is_some() && resumed_from.is_none() => {
                resumed_from = Some(number("offset"));
            }
            "retrying" => retries += 1,
            "error" => panic!("tus-js-client failed: {}", event["message"]),
            "done" => break event["url"].as_str().unwrap().to_owned(),
            _ => {}
        }
    };
    let status = tokio::time::timeout(PATIENCE, node.wait())
        .await
        .expect("node exits after `done`")
        .unwrap();
    assert!(status.success(), "node exits cleanly: {status}");
    let (confirmed_at_cut, sent_at_cut) = cut_at.expect("the upload was cut off");
    let outcome = Outcome {
        confirmed_at_cut,
        sent_at_cut,
        resumed_from: resumed_from.expect("a PATCH after the cut"),
        retries,
        url,
    };
    (outcome, server)
}

/// The server's `Upload-Offset` for `url`.
async fn head_offset(url: &str) -> u64 {
    let head = reqwest::Client::new()
        .head(url)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    head.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Cuts an upload off as `cut` says and checks it resumed mid-file and completed intact.
async fn cut_upload_resumes_and_completes(cut: Cut) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let clip_path = make_clip(dir.path());
    let clip = std::fs::read(&clip_path).unwrap();
    let size = clip.len() as u64;
    let server = Process::start(&data, "127.0.0.1:0", &[]);

    let (outcome, server) = upload_with_tus_js_client(cut, &data, server, &clip_path).await;

    assert!(
        0 < outcome.confirmed_at_cut && outcome.sent_at_cut < size,
        "the cut came mid-file: {} of {size} confirmed, {} sent",
        outcome.confirmed_at_cut,
        outcome.sent_at_cut
    );
    assert!(
        (outcome.confirmed_at_cut..=outcome.sent_at_cut).contains(&outcome.resumed_from),
        "resumed from {} although {} was confirmed and {} sent at the cut",
        outcome.resumed_from,
        outcome.confirmed_at_cut,
        outcome.sent_at_cut
    );
    assert!(0 < outcome.resumed_from && outcome.resumed_from < size);
    // A killed server came back on the same address, so the client's URL still holds.
    let url = &outcome.url;
    assert!(url.starts_with(&server.url), "{url} is on {}", server.url);
    assert_eq!(head_offset(url).await, size, "the upload is complete");
    let id = url.rsplit('/').next().unwrap();
    let stored = std::fs::read(data.join("uploads").join(format!("{id}.part"))).unwrap();
    assert!(
        stored == clip,
        "the stored file is byte-identical to the clip"
    );
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_aborted_mid_patch_resumes_from_its_url_storage() {
    cut_upload_resumes_and_completes(Cut::ClientAborts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_retries_after_the_server_is_killed_mid_patch_and_completes() {
    let outcome = cut_upload_resumes_and_completes(Cut::ServerKilled).await;
    assert!(
        outcome.retries >= 1,
        "the client saw the connection drop and retried"
    );
}
