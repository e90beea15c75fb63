//! The real `vidpush-server` the app benchmarks run against, with a temporary data dir, and
//! the few figures they compute from their samples.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `vidpush-server` under test, killed when dropped with its temporary data dir.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    data_dir: PathBuf,
}

impl Server {
    pub fn start(binary: &Path, dist: &Path) -> crate::Result<Self> {
        let data_dir =
            std::env::temp_dir().join(format!("vidpush-bench-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        std::fs::create_dir_all(&data_dir)?;
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .arg("--static-dir")
            .arg(dist)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {} ({e})", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the server has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("vidpush listening on http://")
            .and_then(|rest| rest.trim_end_matches('/').parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            return Err(format!("the server did not say where it listens (said {line:?})").into());
        };
        Ok(Self {
            child,
            addr,
            data_dir,
        })
    }

    /// The id of the newest open connection, from the gateway's datastore.
    pub fn newest_connection(&self) -> crate::Result<String> {
        let db = rusqlite::Connection::open_with_flags(
            self.data_dir.join("gateway.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        db.busy_timeout(Duration::from_secs(2))?;
        Ok(db.query_row(
            "SELECT connection_id FROM connections ORDER BY connected_at DESC, rowid DESC LIMIT 1",
            [],
            |row| row.get(0),
        )?)
    }

    pub fn management_key(&self) -> crate::Result<String> {
        Ok(
            std::fs::read_to_string(self.data_dir.join("management.key"))?
                .trim()
                .to_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Wall-clock milliseconds since the Unix epoch, with sub-millisecond precision.
pub fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

pub fn sorted(mut samples: Vec<f64>) -> Vec<f64> {
    samples.sort_by(f64::total_cmp);
    samples
}

pub fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len().max(1) as f64
}
