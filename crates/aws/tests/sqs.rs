//! The SQS job queue against moto: a job is handed out once while its worker lives, comes back
//! when the worker dies, and ends in the dead-letter queue when it keeps killing workers.

use aws_sdk_sqs::types::QueueAttributeName;
use std::time::Duration;
use vidpush_aws::SqsQueue;
use vidpush_aws::testing::Moto;
use vidpush_protocol::JobId;
use vidpush_server::ports::JobQueue;

/// Short, so redelivery is seen in seconds.
const VISIBILITY: Duration = Duration::from_secs(2);

/// The long poll of a test queue: a receive a test gives up on ends at SQS soon after.
const WAIT: Duration = Duration::from_secs(1);

/// A queue as a worker holds it, with the test's short windows.
fn worker_queue(client: &aws_sdk_sqs::Client, url: &str) -> SqsQueue {
    SqsQueue::new(client.clone(), url)
        .with_visibility(VISIBILITY)
        .with_wait(WAIT)
}

/// Receives before a message moves to the dead-letter queue.
const MAX_RECEIVES: u32 = 2;

/// A queue with a dead-letter queue behind it, as the template makes them; (queue, dlq) URLs.
async fn queues(client: &aws_sdk_sqs::Client) -> (String, String) {
    let dlq = client
        .create_queue()
        .queue_name("jobs-dead")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":{MAX_RECEIVES}}}"#);
    let queue = client
        .create_queue()
        .queue_name("jobs")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (queue, dlq)
}

async fn waiting(client: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    attributes
        .values()
        .map(|n| n.parse::<usize>().unwrap())
        .sum()
}

#[tokio::test]
async fn a_done_job_leaves_the_queue() {
    let moto = Moto::start();
    let client = aws_sdk_sqs::Client::new(&moto.config().await);
    let (url, _) = queues(&client).await;
    let queue = worker_queue(&client, &url);
    let place = queue.reserve().expect("SQS has no bound");
    place.put(JobId("j1".into())).await.unwrap();
    assert_eq!(queue.next().await, Some(JobId("j1".into())));
    assert_eq!(waiting(&client, &url).await, 1, "held, not yet done");
    queue.done(&JobId("j1".into())).await;
    assert_eq!(waiting(&client, &url).await, 0);
}

#[tokio::test]
async fn a_held_job_stays_hidden_while_its_worker_lives_and_returns_when_it_dies() {
    let moto = Moto::start();
    let client = aws_sdk_sqs::Client::new(&moto.config().await);
    let (url, _) = queues(&client).await;
    let worker = worker_queue(&client, &url);
    let other = worker_queue(&client, &url);
    worker.requeue(JobId("long".into())).await.unwrap();
    assert_eq!(worker.next().await, Some(JobId("long".into())));
    // Twice the visibility window: only the heartbeat keeps it hidden.
    let stolen = tokio::time::timeout(VISIBILITY * 2, other.next()).await;
    assert!(stolen.is_err(), "another worker got a held job: {stolen:?}");
    drop(worker); // the worker dies mid-job
    let again = tokio::time::timeout(VISIBILITY * 5, other.next()).await;
    assert_eq!(again.ok().flatten(), Some(JobId("long".into())));
}

#[tokio::test]
async fn a_job_that_keeps_killing_workers_goes_to_the_dead_letter_queue() {
    let moto = Moto::start();
    let client = aws_sdk_sqs::Client::new(&moto.config().await);
    let (url, dlq) = queues(&client).await;
    SqsQueue::new(client.clone(), &url)
        .requeue(JobId("poison".into()))
        .await
        .unwrap();
    for _ in 0..MAX_RECEIVES {
        let worker = worker_queue(&client, &url);
        let got = tokio::time::timeout(VISIBILITY * 5, worker.next()).await;
        assert_eq!(got.ok().flatten(), Some(JobId("poison".into())));
        drop(worker); // dies without `done`
    }
    let worker = worker_queue(&client, &url);
    let got = tokio::time::timeout(VISIBILITY * 3, worker.next()).await;
    assert!(got.is_err(), "the poison job was delivered a third time");
    let dead = client
        .receive_message()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some("poison"));
}
