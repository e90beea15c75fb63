//! The simulated AWS stack for tests (feature `testing`): a moto server of its own on a free
//! loopback port with the SDK configured for it, and the local gateway in AWS mode
//! ([`gateway`]) for `@connections`.

pub mod gateway;

use crate::sdk::{self, Endpoint};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer after it starts (it takes about a second).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A moto server (DynamoDB, S3, SQS in one process), stopped when dropped.
pub struct Moto {
    child: Child,
    /// Its URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl Moto {
    /// Starts `$VIDPUSH_MOTO_SERVER` (set by `cargo xtask test`, which installs moto) or
    /// `moto_server` from `PATH`, and waits until it accepts connections.
    pub fn start() -> Moto {
        let program = std::env::var("VIDPUSH_MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a loopback port is free")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "could not start {program} ({error}): `cargo xtask test` installs moto[server] \
                     and sets VIDPUSH_MOTO_SERVER; or `pip install \"moto[server]\"`"
                )
            });
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{program} did not listen on port {port} within {START_TIMEOUT:?}"
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
