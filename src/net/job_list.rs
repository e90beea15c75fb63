//! The board after a reload, in another browser, or after a server restart: the server's list
//! of this token's jobs (`GET /api/jobs`, newest first, a page at a time) becomes followed
//! jobs, each replayed from its first event, with its video played from the server.

use crate::net::{http, storage};
use crate::store::{Place, Store};
use leptos::prelude::*;
use vidpush_protocol::JobList;

/// Follows the newest page of the server's list. When the server cannot be reached, the jobs
/// this browser remembers stand in, so a page loaded while the server is down still shows its
/// cards (they fill in once the socket connects).
pub async fn show_newest(store: Store) {
    let endpoints = store.endpoints.get_untracked();
    match http::list_jobs(&endpoints, None).await {
        // Newest first on the wire; each card followed goes on top, so the oldest goes first.
        Ok(list) => follow_page(store, list, Place::Newest),
        Err(error) => {
            leptos::logging::warn!("{error} Showing the analyses this browser remembers.");
            for (id, name) in storage::followed_jobs().into_iter().rev() {
                let video = http::video_url(&endpoints, &id);
                store.follow(id, name, Some(video), Place::Newest);
            }
        }
    }
}

/// Follows the next older page of the server's list, below every card on the board.
pub async fn show_older(store: Store) -> Result<(), String> {
    let Some(cursor) = store.older_jobs.get_untracked() else {
        return Ok(());
    };
    let endpoints = store.endpoints.get_untracked();
    let list = http::list_jobs(&endpoints, Some(&cursor)).await?;
    follow_page(store, list, Place::Oldest);
    Ok(())
}

fn follow_page(store: Store, list: JobList, place: Place) {
    let endpoints = store.endpoints.get_untracked();
    let mut jobs = list.jobs;
    if place == Place::Newest {
        jobs.reverse();
    }
    for job in jobs {
        let video = http::video_url(&endpoints, &job.job_id);
        store.follow(job.job_id, job.file_name, Some(video), place);
    }
    store.older_jobs.set(list.next_cursor);
}
