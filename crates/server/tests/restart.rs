//! Restart safety with the real binary, really killed with SIGKILL: a confirmed upload offset
//! survives and the upload resumes; a running job is re-queued and finishes without pushing a
//! shot twice; a page that
//! resubscribes gets the whole event stream, gap-free, and finds the job listed.

mod support;

use futures_util::StreamExt;
use std::process::Command;
use support::{PATIENCE, Process};
use vidpush_protocol::*;

fn make_clip(dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join("clip.mp4");
    // 6 shots of 5 s each: long enough that the job is still running when the test kills.
    let mut args: Vec<String> = vec!["-v".into(), "error".into(), "-y".into()];
    let sources = [
        "testsrc2",
        "smptebars",
        "rgbtestsrc",
        "testsrc",
        "pal100bars",
        "yuvtestsrc",
    ];
    for source in sources {
        args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            format!("{source}=size=320x240:rate=25:duration=5"),
        ]);
    }
    let inputs: String = (0..sources.len())
        .map(|i| format!("[{i}:v]format=yuv420p,setsar=1[v{i}];"))
        .collect();
    let concat: String = (0..sources.len()).map(|i| format!("[v{i}]")).collect();
    args.extend([
        "-filter_complex".into(),
        format!("{inputs}{concat}concat=n={}:v=1:a=0[out]", sources.len()),
        "-map".into(),
        "[out]".into(),
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        "ultrafast".into(),
        path.to_str().unwrap().into(),
    ]);
    let status = Command::new("ffmpeg")
        .args(&args)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

async fn head_offset(http: &reqwest::Client, url: &str) -> u64 {
    let head = http
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

async fn patch(
    http: &reqwest::Client,
    url: &str,
    offset: u64,
    body: reqwest::Body,
) -> reqwest::Result<reqwest::Response> {
    http.patch(url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_confirmed_upload_bytes_and_resumes() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let server = Process::start(data.path(), "127.0.0.1:0", &["--workers", "1"]);
    let listen = server.addr().to_owned();
    let file = support::fake_mp4(24 << 20);
    let created = http
        .post(format!("{}/api/uploads", server.url))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", file.len().to_string())
        .send()
        .await
        .unwrap();
    let url = format!(
        "{}{}",
        server.url,
        created.headers()["location"].to_str().unwrap()
    );
    let confirmed = patch(&http, &url, 0, file[..(8 << 20)].to_vec().into())
        .await
        .unwrap();
    assert_eq!(
        confirmed.headers()["upload-offset"],
        (8u64 << 20).to_string().as_str()
    );

    // A second PATCH sends 4 MiB more, then stalls; the server is killed mid-body.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let stalled = tokio::spawn({
        let (http, url) = (http.clone(), url.clone());
        let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
        async move { patch(&http, &url, 8 << 20, body).await }
    });
    tx.send(Ok(file[(8 << 20)..(12 << 20)].to_vec()))
        .await
        .unwrap();
    // The first 8 MiB are confirmed; whatever arrived of the stalled PATCH may or may not be.
    server.kill_9();
    drop(tx);
    let _ = stalled.await;

    let server = Process::start(data.path(), &listen, &["--workers", "1"]);
    let url = url.replace(&listen, server.addr());
    let offset = head_offset(&http, &url).await;
    assert!((8 << 20..=12 << 20).contains(&offset), "offset {offset}");
    let done = patch(&http, &url, offset, file[offset as usize..].to_vec().into())
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    let id = url.rsplit('/').next().unwrap();
    let stored = std::fs::read(data.path().join("uploads").join(format!("{id}.part"))).unwrap();
    assert!(stored == file, "the resumed upload is byte-identical");
}

/// A stream over an mpsc receiver (reqwest wants a `Stream` body).
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_when_the_server_is_killed_runs_again_keeping_its_shots_and_its_stream_gap_free()
 {
    let data = tempfile::tempdir().unwrap();
    let clip = make_clip(data.path());
    let http = reqwest::Client::new();
    let server = Process::start(data.path(), "127.0.0.1:0", &["--workers", "1"]);
    let listen = server.addr().to_owned();
    let created = http
        .post(format!("{}/api/uploads", server.url))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", clip.len().to_string())
        .send()
        .await
        .unwrap();
    let url = format!(
        "{}{}",
        server.url,
        created.headers()["location"].to_str().unwrap()
    );
    patch(&http, &url, 0, clip.clone().into()).await.unwrap();
    let upload_id = UploadId(url.rsplit('/').next().unwrap().to_owned());
    let job: CreateJobResponse = http
        .post(format!("{}/api/jobs", server.url))
        .json(&CreateJobRequest {
            upload_id,
            sensitivity: None,
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = job.job_id;

    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{listen}/ws"))
        .await
        .unwrap();
    use futures_util::SinkExt;
    let subscribe = |after_seq| {
        tokio_tungstenite::tungstenite::Message::text(
            ClientAction::Subscribe {
                job_id: job.clone(),
                after_seq,
            }
            .to_json(),
        )
    };
    socket.send(subscribe(0)).await.unwrap();
    let mut seen: Vec<JobEvent> = Vec::new();
    // Kill as soon as the job has pushed a shot.
    while !seen
        .iter()
        .any(|e| matches!(e.body, EventBody::Shot { .. }))
    {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(ServerMessage::Event(event)) = ServerMessage::from_json(frame.to_text().unwrap())
        {
            seen.push(event);
        }
    }
    assert!(
        !seen
            .iter()
            .any(|e| e.body.state_after().is_some_and(|s| s.is_final()))
    );
    server.kill_9();

    let server = Process::start(data.path(), &listen, &["--workers", "1"]);
    // A page reloaded now finds the job in the caller's list.
    let listed: JobList = http
        .get(format!("{}/api/jobs", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&JobId> = listed.jobs.iter().map(|j| &j.job_id).collect();
    assert_eq!(ids, vec![&job], "the job is not listed after the restart");
    // The page reconnects and resubscribes after the last seq it has.
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr()))
        .await
        .unwrap();
    socket
        .send(subscribe(seen.last().unwrap().seq))
        .await
        .unwrap();
    loop {
        let frame = tokio::time::timeout(PATIENCE * 3, socket.next())
            .await
            .expect("the job finishes")
            .unwrap()
            .unwrap();
        if let Ok(ServerMessage::Event(event)) = ServerMessage::from_json(frame.to_text().unwrap())
        {
            let last = event.body.state_after().is_some_and(|s| s.is_final());
            seen.push(event);
            if last {
                break;
            }
        }
    }
    let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seen.len() as u64).collect::<Vec<_>>(),
        "gap-free across the restart"
    );
    let queued = seen
        .iter()
        .filter(|e| matches!(e.body, EventBody::Queued { .. }))
        .count();
    assert_eq!(queued, 2, "re-queued once after the restart");
    // The run after the restart pushes only the shots the stream does not hold: a page keeps
    // what it showed and shows nothing twice.
    let shots: Vec<u32> = seen
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Shot { shot, .. } => Some(shot.index),
            _ => None,
        })
        .collect();
    assert_eq!(
        shots,
        (0..6).collect::<Vec<u32>>(),
        "each of the six shots once, in order"
    );
    assert!(
        matches!(seen.last().unwrap().body, EventBody::Completed { .. }),
        "{:?}",
        seen.last()
    );
}
