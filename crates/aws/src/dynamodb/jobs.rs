//! [`JobStore`] on DynamoDB: the jobs and events tables.
//!
//! An event takes the job's next `seq` in one transaction: the job's `lastSeq` moves from the
//! value read to the next one only if nobody moved it meanwhile (and the job is not final), and
//! the event item is written only if that `seq` is free. Two workers racing for a `seq` (a job
//! delivered twice, a cancel beside the worker's progress) end with one winner; the loser reads
//! again and takes the next `seq`, so the stream stays gap-free and never holds two events at
//! one `seq`.

use super::item::{Item, built, get_n, get_opt_f64, get_opt_s, get_s, n, s};
use super::schema::{BY_OWNER, NO_OWNER};
use super::{DynamoStore, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::time::Duration;
use vidpush_protocol::{EventBody, JobEvent, JobId, JobState};
use vidpush_server::clock::now_ms;
use vidpush_server::ports::{JobCursor, JobPage, JobRecord, JobStore, StoreError, UploadRecord};

/// How many times an append is tried when other writers keep taking the `seq` first. Writers
/// of one job are a worker and a cancel at most, so a handful of rounds always suffices; the
/// cap turns a bug into an error instead of a loop.
const APPEND_ATTEMPTS: u32 = 20;

/// The pause after a lost race, doubled each round from this.
const RETRY_PAUSE: Duration = Duration::from_millis(5);

/// The states a job can still leave.
const OPEN_STATES: [JobState; 2] = [JobState::Queued, JobState::Running];

fn job_item(job: &JobRecord) -> Item {
    let mut item = Item::from([
        ("jobId".to_owned(), s(job.id.as_str())),
        ("fileName".to_owned(), s(&job.file_name)),
        ("sizeBytes".to_owned(), n(job.size_bytes)),
        ("state".to_owned(), s(job.state.as_str())),
        ("lastSeq".to_owned(), n(job.last_seq)),
        ("createdAtMs".to_owned(), n(job.created_at_ms)),
        (
            "ownerKey".to_owned(),
            s(job.owner.as_deref().unwrap_or(NO_OWNER)),
        ),
    ]);
    if let Some(owner) = &job.owner {
        item.insert("owner".to_owned(), s(owner));
    }
    if let Some(sensitivity) = job.sensitivity {
        item.insert(
            "sensitivity".to_owned(),
            AttributeValue::N(sensitivity.to_string()),
        );
    }
    item
}

fn job_from_item(item: &Item) -> Result<JobRecord, StoreError> {
    let state = get_s(item, "state")?;
    Ok(JobRecord {
        id: JobId(get_s(item, "jobId")?),
        owner: get_opt_s(item, "owner")?,
        file_name: get_s(item, "fileName")?,
        size_bytes: get_n(item, "sizeBytes")?,
        state: parse_state(&state)?,
        last_seq: get_n(item, "lastSeq")?,
        created_at_ms: get_n(item, "createdAtMs")?,
        sensitivity: get_opt_f64(item, "sensitivity")?,
    })
}

fn parse_state(text: &str) -> Result<JobState, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("job state {text:?} is not known")))
}

fn event_item(event: &JobEvent) -> Item {
    Item::from([
        ("jobId".to_owned(), s(event.job_id.as_str())),
        ("seq".to_owned(), n(event.seq)),
        ("body".to_owned(), s(event.to_json())),
    ])
}

/// Whether a transaction was refused because a condition failed or another transaction held an
/// item: the race this module retries.
fn lost_race(error: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(TransactWriteItemsError::TransactionCanceledException(_))
    )
}

impl DynamoStore {
    /// The job's item, read strongly consistent.
    async fn job_item(&self, id: &JobId) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.jobs)
            .key("jobId", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.item)
    }

    /// Stores `body(job)` as the job's next event when the job is in one of `states`, taking
    /// the next `seq` by conditional transaction and trying again when another writer took it.
    /// `None` when the job is missing or in another state.
    async fn append_when(
        &self,
        job: &JobId,
        states: &[JobState],
        body: impl Fn(&JobRecord) -> EventBody + Send + Sync,
    ) -> Result<Option<JobEvent>, StoreError> {
        let mut pause = RETRY_PAUSE;
        for _ in 0..APPEND_ATTEMPTS {
            let Some(item) = self.job_item(job).await? else {
                return Ok(None);
            };
            let record = job_from_item(&item)?;
            if !states.contains(&record.state) {
                return Ok(None);
            }
            let event = JobEvent {
                job_id: job.clone(),
                seq: record.last_seq + 1,
                at_ms: now_ms(),
                body: body(&record),
            };
            let items = self.append_items(&event, record.last_seq, record.state)?;
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(Some(event)),
                Err(error) if lost_race(&error) => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(error) => return Err(unavailable(error)),
            }
        }
        Err(StoreError::Unavailable(format!(
            "job {}: another writer took every seq in {APPEND_ATTEMPTS} attempts",
            job.as_str()
        )))
    }

    /// The transaction that stores `event` as the step from `last_seq`, when the job is in
    /// `state`.
    fn append_items(
        &self,
        event: &JobEvent,
        last_seq: u64,
        state: JobState,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.tables.jobs)
            .key("jobId", s(event.job_id.as_str()))
            .condition_expression("lastSeq = :last AND #state = :was")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":last", n(last_seq))
            .expression_attribute_values(":was", s(state.as_str()))
            .expression_attribute_values(":seq", n(event.seq));
        update = match event.body.state_after() {
            Some(next) => update
                .update_expression("SET lastSeq = :seq, #state = :next")
                .expression_attribute_values(":next", s(next.as_str())),
            None => update.update_expression("SET lastSeq = :seq"),
        };
        let put = Put::builder()
            .table_name(&self.tables.events)
            .set_item(Some(event_item(event)))
            .condition_expression("attribute_not_exists(seq)");
        Ok(vec![
            TransactWriteItem::builder()
                .update(built(update.build())?)
                .build(),
            TransactWriteItem::builder()
                .put(built(put.build())?)
                .build(),
        ])
    }
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(
        &self,
        upload: UploadRecord,
        job_id: JobId,
        sensitivity: Option<f64>,
    ) -> Result<(JobRecord, JobEvent), StoreError> {
        let body = EventBody::Queued {
            file_name: upload.file_name.clone(),
            size_bytes: upload.length,
        };
        let event = JobEvent {
            job_id: job_id.clone(),
            seq: 1,
            at_ms: now_ms(),
            body,
        };
        let job = JobRecord {
            id: job_id,
            owner: upload.owner.clone(),
            file_name: upload.file_name.clone(),
            size_bytes: upload.length,
            state: JobState::Queued,
            last_seq: event.seq,
            created_at_ms: event.at_ms,
            sensitivity,
        };
        let put_job = Put::builder()
            .table_name(&self.tables.jobs)
            .set_item(Some(job_item(&job)))
            .condition_expression("attribute_not_exists(jobId)");
        let put_event = Put::builder()
            .table_name(&self.tables.events)
            .set_item(Some(event_item(&event)));
        let delete_upload = Delete::builder()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(upload.id.as_str()))
            .key("item", s(super::uploads::RECORD));
        self.client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(built(put_job.build())?)
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(built(put_event.build())?)
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .delete(built(delete_upload.build())?)
                    .build(),
            )
            .send()
            .await
            .map_err(unavailable)?;
        // The parts of a multipart upload are of no more use; a failure here leaves only
        // records no one reads.
        self.delete_parts(&upload.id).await.ok();
        Ok((job, event))
    }

    async fn job(&self, id: &JobId) -> Result<Option<JobRecord>, StoreError> {
        self.job_item(id)
            .await?
            .map(|item| job_from_item(&item))
            .transpose()
    }

    /// A scan: this runs once at start-up (locally) or in a recovery task, never per request.
    async fn jobs_in(&self, states: &[JobState]) -> Result<Vec<JobRecord>, StoreError> {
        let mut jobs = Vec::new();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.jobs)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let job = job_from_item(&item.map_err(unavailable)?)?;
            if states.contains(&job.state) {
                jobs.push(job);
            }
        }
        jobs.sort_by_key(|job| job.created_at_ms);
        Ok(jobs)
    }

    async fn append_event(
        &self,
        job: &JobId,
        body: EventBody,
    ) -> Result<Option<JobEvent>, StoreError> {
        self.append_when(job, &OPEN_STATES, |_| body.clone()).await
    }

    async fn requeue_ended(&self, job: &JobId) -> Result<Option<JobEvent>, StoreError> {
        self.append_when(job, &[JobState::Failed, JobState::Cancelled], |record| {
            EventBody::Queued {
                file_name: record.file_name.clone(),
                size_bytes: record.size_bytes,
            }
        })
        .await
    }

    /// A query of the `byOwner` index, newest first, one more than asked so the page knows
    /// whether an older job is left.
    async fn jobs_of(
        &self,
        owner: Option<&str>,
        after: Option<&JobCursor>,
        limit: usize,
    ) -> Result<JobPage, StoreError> {
        let owner_key = owner.unwrap_or(NO_OWNER);
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.jobs)
            .index_name(BY_OWNER.name)
            .key_condition_expression("ownerKey = :o")
            .expression_attribute_values(":o", s(owner_key))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        if let Some(cursor) = after {
            query = query
                .exclusive_start_key("ownerKey", s(owner_key))
                .exclusive_start_key("createdAtMs", n(cursor.created_at_ms))
                .exclusive_start_key("jobId", s(cursor.id.as_str()));
        }
        let mut jobs = Vec::new();
        let mut pages = query.into_paginator().items().send();
        while jobs.len() <= limit {
            let Some(item) = pages.next().await else {
                break;
            };
            jobs.push(job_from_item(&item.map_err(unavailable)?)?);
        }
        let next = (jobs.len() > limit).then(|| {
            jobs.truncate(limit);
            let last = jobs.last().expect("limit is at least one");
            JobCursor {
                created_at_ms: last.created_at_ms,
                id: last.id.clone(),
            }
        });
        Ok(JobPage { jobs, next })
    }

    /// The job item goes first, in one delete (after it no reader finds the job and no append
    /// succeeds); its events follow, unreachable already.
    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.tables.jobs)
            .key("jobId", s(id.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        let existed = deleted.attributes.is_some_and(|item| !item.is_empty());
        let mut seqs = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("jobId = :job")
            .expression_attribute_values(":job", s(id.as_str()))
            .projection_expression("seq")
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            seqs.push(get_n(&item.map_err(unavailable)?, "seq")?);
        }
        for seq in seqs {
            self.client
                .delete_item()
                .table_name(&self.tables.events)
                .key("jobId", s(id.as_str()))
                .key("seq", n(seq))
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(existed)
    }

    async fn events_after(&self, job: &JobId, after_seq: u64) -> Result<Vec<String>, StoreError> {
        let mut bodies = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("jobId = :job AND seq > :after")
            .expression_attribute_values(":job", s(job.as_str()))
            .expression_attribute_values(":after", n(after_seq))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable)?;
            match item.get("body") {
                Some(AttributeValue::S(body)) => bodies.push(body.clone()),
                _ => return Err(StoreError::Corrupt("an event has no body".into())),
            }
        }
        Ok(bodies)
    }
}
