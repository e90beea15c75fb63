//! The server's background tasks (job workers, the orphan watch, the expiry sweep, timers):
//! started through one handle, stopped by one signal, and awaited when the server stops, as
//! mini-redis's shutdown does. Nothing spawned here outlives [`Background::stop`].

use std::future::Future;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Spawns and stops the background tasks; cheap to clone.
#[derive(Clone, Default)]
pub struct Background {
    /// Raised once, when the server stops; every task watches it.
    stop: CancellationToken,
    /// Every task spawned, so stopping can wait for them all.
    tasks: TaskTracker,
}

impl Background {
    /// Spawns `task`, handing it the stop signal to watch. A task that ignores the signal
    /// still runs to its end before [`Background::stop`] returns.
    pub fn spawn<F>(&self, task: impl FnOnce(CancellationToken) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task(self.stop.clone()));
    }

    /// Spawns `task`, dropped at once when the server stops (for loops and timers that hold no
    /// state worth finishing).
    pub fn spawn_until_stopped<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = task => {}
            }
        });
    }

    /// Raises the stop signal and waits until every task has ended.
    pub async fn stop(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn stop_ends_waiting_tasks_and_waits_for_them() {
        let background = Background::default();
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        background.spawn(|stop| async move {
            stop.cancelled().await;
            flag.store(true, Ordering::SeqCst);
        });
        background.spawn_until_stopped(std::future::pending());
        tokio::time::timeout(std::time::Duration::from_secs(5), background.stop())
            .await
            .expect("every task ends when stopped");
        assert!(finished.load(Ordering::SeqCst));
    }
}
