//! Failures keep their value: a job that was cancelled (or failed) keeps the shots it found as
//! a partial result, and runs again on request without pushing a shot twice.

mod support;

use support::*;
use vidpush_protocol::*;

/// Reads until the first `job.shot` and returns the events up to it.
async fn until_a_shot(client: &mut Client) -> Vec<JobEvent> {
    let mut seen = Vec::new();
    loop {
        if let ServerMessage::Event(event) = client.next().await {
            let shot = matches!(event.body, EventBody::Shot { .. });
            seen.push(event);
            if shot {
                return seen;
            }
        }
    }
}

async fn post(server: &TestServer, path: &str) -> reqwest::Response {
    server.http.post(server.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_cancelled_job_keeps_its_shots_as_a_result_and_runs_again_without_repeating_them() {
    let server = TestServer::start(&[], ScriptedAnalyzer::holding()).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    until_a_shot(&mut client).await;
    let retry_path = format!("/api/jobs/{job}/retry");
    assert_eq!(
        post(&server, &retry_path).await.status(),
        409,
        "a running job cannot be retried"
    );
    client
        .send(&ClientAction::Cancel {
            job_id: job.clone(),
        })
        .await;
    let first_run = client.events_until_final().await;
    assert!(matches!(
        first_run.last().map(|e| &e.body),
        Some(EventBody::Cancelled { .. })
    ));

    let partial: AnalysisResult = server.get_json(&format!("/api/jobs/{job}/result")).await;
    assert_eq!(partial.shots.len(), 1, "the shot found before the cancel");
    assert_eq!(partial.summary.shot_count, 1);

    assert_eq!(post(&server, &retry_path).await.status(), 202);
    // The scripted analysis finds shot 0 again and holds there until cancelled; the server
    // pushes none of what the first run pushed.
    let mut second_run = Vec::new();
    while !matches!(
        second_run.last(),
        Some(JobEvent {
            body: EventBody::Started,
            ..
        })
    ) {
        if let ServerMessage::Event(event) = client.next().await {
            second_run.push(event);
        }
    }
    assert!(
        matches!(second_run[0].body, EventBody::Queued { .. }),
        "a retry starts with job.queued: {:?}",
        second_run[0]
    );
    client
        .send(&ClientAction::Cancel {
            job_id: job.clone(),
        })
        .await;
    second_run.extend(client.events_until_final().await);
    assert!(
        !second_run.iter().any(|e| matches!(
            e.body,
            EventBody::Shot { .. } | EventBody::Metadata { .. } | EventBody::Progress { .. }
        )),
        "the retry pushed again what the first run had pushed: {second_run:?}"
    );
    let seqs: Vec<u64> = first_run.iter().chain(&second_run).map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let partial: AnalysisResult = server.get_json(&format!("/api/jobs/{job}/result")).await;
    assert_eq!(
        partial.shots.len(),
        1,
        "the shot is kept after the second stop"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_completed_job_cannot_be_retried() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    server.wait_for_state(&job, JobState::Completed).await;
    let refused = post(&server, &format!("/api/jobs/{job}/retry")).await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("only a failed or cancelled job")
    );
    server.stop().await;
}
