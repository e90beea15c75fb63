//! Many uploads in flight at once against the real server: far more than tokio's 512 blocking
//! threads, and the rest of the API keeps answering.

mod support;

use support::*;
use vidpush_protocol::*;
use vidpush_server::uploads::writer::MAX_UPLOAD_WRITERS;

/// PATCHes held open at once: well over tokio's 512 blocking threads.
const UPLOADS_IN_FLIGHT: usize = 600;

/// Each upload's declared size; far more than is ever sent.
const UPLOAD_BYTES: usize = 1024 * 1024;

/// What each PATCH sends before going quiet: enough to pass the video check and start a writer.
const SENT_BYTES: usize = 4 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_uploads_in_flight_never_wedge_the_server() {
    let server = TestServer::start(&["--body-timeout", "600"], ScriptedAnalyzer::new(1)).await;
    let first = fake_mp4(SENT_BYTES);
    let mut locations = Vec::with_capacity(UPLOADS_IN_FLIGHT);
    for _ in 0..UPLOADS_IN_FLIGHT {
        let created = server.create_upload(UPLOAD_BYTES as u64, None).await;
        assert_eq!(created.status(), 201);
        locations.push(created.headers()["location"].to_str().unwrap().to_owned());
    }

    // Every PATCH stays open after its first 4 KiB; those refused report their answer.
    let (answered, mut answers) = tokio::sync::mpsc::channel::<String>(UPLOADS_IN_FLIGHT);
    let mut held = Vec::with_capacity(UPLOADS_IN_FLIGHT);
    for location in &locations {
        let mut stream = raw_patch(server.addr, location, UPLOAD_BYTES, &first).await;
        let answered = answered.clone();
        held.push(tokio::spawn(async move {
            if let Some(head) = read_response_head(&mut stream).await {
                let _ = answered.send(head).await;
            }
            // Held open until the test aborts this task.
            std::future::pending::<()>().await;
        }));
    }
    let refused = UPLOADS_IN_FLIGHT - MAX_UPLOAD_WRITERS;
    for _ in 0..refused {
        let head = tokio::time::timeout(PATIENCE, answers.recv())
            .await
            .expect("a PATCH over the writer cap is answered at once")
            .unwrap();
        assert!(head.starts_with("http/1.1 503"), "{head}");
        assert!(head.contains("\r\nretry-after: "), "{head}");
    }

    // With every writer taken and hundreds more PATCHes refused, the rest of the API answers.
    let api = async {
        let created = server.create_upload(1000, None).await;
        assert_eq!(created.status(), 201);
        let missing = server
            .http
            .get(server.url("/api/jobs/0000000000000000000000000a"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        assert_eq!(server.head(&locations[0]).await.status(), 200);
        let mut client = server.connect(None).await;
        let (reply, _) = client
            .subscribe(&JobId("0000000000000000000000000a".into()), 0)
            .await;
        assert!(
            matches!(
                reply,
                Reply::Error {
                    code: ErrorCode::NotFound,
                    ..
                }
            ),
            "{reply:?}"
        );
    };
    tokio::time::timeout(PATIENCE, api)
        .await
        .expect("the API answers while uploads are in flight");
    assert!(
        answers.try_recv().is_err(),
        "no PATCH within the cap was answered: they are all writing"
    );

    for task in held {
        task.abort();
    }
    server.stop().await;
}
