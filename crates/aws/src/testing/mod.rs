//! The simulated AWS stack for tests (feature `testing`): a moto server of its own on a free
//! loopback port with the SDK configured for it, the local gateway in AWS mode ([`gateway`])
//! for `@connections`, the whole stack as the template deploys it ([`stack`]), and a delivery
//! that duplicates and reorders as AWS may ([`faults`]).

pub mod faults;
pub mod gateway;
pub mod stack;

use crate::sdk::{self, Endpoint};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto launcher: moto's own server, with DynamoDB requests serialized as the real
/// service's transactions are.
pub const MOTO_SERVER_PY: &str = include_str!("moto_server.py");

/// How long moto may take to answer after it starts (it takes about a second).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A moto server (DynamoDB, S3, SQS in one process), stopped when dropped.
pub struct Moto {
    child: Child,
    /// Its URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl Moto {
    /// Starts moto ([`MOTO_SERVER_PY`], with DynamoDB serializable) with the Python of
    /// `$VIDPUSH_MOTO_PYTHON` (set by `cargo xtask test`), else of the environment
    /// `cargo xtask test` installs in the user's cache (`xtask/src/aws_tools.rs`), else
    /// `python3` from `PATH`; waits until it accepts connections.
    pub fn start() -> Moto {
        let cached = std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cache"))
            })
            .map(|cache| cache.join("vidpush/aws-tools/bin/python"))
            .filter(|path| path.is_file());
        let program = std::env::var("VIDPUSH_MOTO_PYTHON")
            .ok()
            .or_else(|| cached.map(|path| path.display().to_string()))
            .unwrap_or_else(|| "python3".into());
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a loopback port is free")
            .port();
        let child = Command::new(&program)
            .args(["-c", MOTO_SERVER_PY, "127.0.0.1", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start moto with {program} ({error}): `cargo xtask test` installs \
                     moto[server] and sets VIDPUSH_MOTO_PYTHON"
                )
            });
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "moto ({program}) did not listen on port {port} within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The endpoint the SDK should use for it, with the test key the local gateway also
    /// accepts (moto takes any), so one configuration reaches the whole simulated stack.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::Local {
            url: self.url.clone(),
            access_key: gateway::KEY_ID.into(),
            secret: gateway::SECRET.into(),
        }
    }

    /// The SDK configuration for it.
    pub async fn config(&self) -> aws_config::SdkConfig {
        sdk::config(&self.endpoint()).await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
