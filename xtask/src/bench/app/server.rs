//! Where the app benchmarks run the page: the real `vidpush-server` with a temporary data dir,
//! or the simulated AWS stack ([`Home`] says what differs for a benchmark); and the few figures
//! they compute from their samples.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a benchmark needs of where the page runs.
pub trait Home {
    /// Which home, for the report.
    fn name(&self) -> &'static str;
    /// The page's URL.
    fn page_url(&self) -> String;
    /// The id of the newest open WebSocket connection.
    fn newest_connection(&self) -> crate::Result<String>;
    /// Where backend code posts to connection `id`.
    fn connection_url(&self, id: &str) -> String;
    /// The headers that authorise `method url` with `body`, as backend code sends them.
    fn authorization(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> crate::Result<Vec<(String, String)>>;
}

/// The id of the newest open connection in a gateway's datastore.
pub fn newest_connection(gateway_db: &Path) -> crate::Result<String> {
    let db = rusqlite::Connection::open_with_flags(
        gateway_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    db.busy_timeout(Duration::from_secs(2))?;
    Ok(db.query_row(
        "SELECT connection_id FROM connections ORDER BY connected_at DESC, rowid DESC LIMIT 1",
        [],
        |row| row.get(0),
    )?)
}

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
}

/// The one process: `@connections` with the management key as a bearer.
impl Home for Server {
    fn name(&self) -> &'static str {
        "local server"
    }

    fn page_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn newest_connection(&self) -> crate::Result<String> {
        newest_connection(&self.data_dir.join("gateway.db"))
    }

    fn connection_url(&self, id: &str) -> String {
        format!("http://{}/@connections/{id}", self.addr)
    }

    fn authorization(&self, _: &str, _: &str, _: &[u8]) -> crate::Result<Vec<(String, String)>> {
        let key = std::fs::read_to_string(self.data_dir.join("management.key"))?;
        Ok(vec![(
            "Authorization".into(),
            format!("Bearer {}", key.trim()),
        )])
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
