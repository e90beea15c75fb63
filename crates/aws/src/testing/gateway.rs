//! The local gateway in AWS mode, served on a free loopback port, and a WebSocket client that
//! learns its own connection id.

use crate::sdk::LOCAL_REGION;
use aws_credential_types::Credentials;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use vidpush_gateway::{
    AccessKey, AwsApi, Gateway, GatewayBuilder, GatewayConfig, RouteRequest, RouteResponse,
};

/// The stage the test gateway serves `@connections` under.
pub const STAGE: &str = "local";
/// The access key the test gateway accepts signatures from.
pub const KEY_ID: &str = "AKIDVIDPUSHLOCAL";
/// Its secret.
pub const SECRET: &str = "vidpush-local-secret";

/// How long a test waits for a frame before failing; generous, the machine is shared.
pub const WAIT: Duration = Duration::from_secs(30);

/// A WebSocket client.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A served gateway; its database lives as long as this.
pub struct AwsGateway {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its in-process `@connections` client (how the local server pushes).
    pub connections: vidpush_gateway::Connections,
    dir: tempfile::TempDir,
}

/// A loopback port bound for a gateway not built yet: functions started before the gateway
/// need its management endpoint.
pub struct Bound {
    listener: tokio::net::TcpListener,
    /// Where the gateway will listen.
    pub addr: SocketAddr,
}

impl Bound {
    /// A free loopback port.
    pub async fn new() -> Self {
        Self::at(0).await.unwrap()
    }

    /// Loopback port `port` (0: any free one), or why it cannot be had.
    pub async fn at(port: u16) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        Ok(Self { listener, addr })
    }

    /// The management endpoint the gateway will serve.
    pub fn endpoint(&self) -> String {
        format!("http://{}/{STAGE}", self.addr)
    }

    /// Builds the gateway in AWS mode with `routes`, after `configure` adjusts its settings,
    /// and serves it.
    pub fn serve(
        self,
        configure: impl FnOnce(&mut GatewayConfig),
        routes: impl FnOnce(GatewayBuilder) -> GatewayBuilder,
    ) -> AwsGateway {
        let dir = tempfile::tempdir().unwrap();
        // Laid out as the local server's data folder: `gateway.db` holds the connections, and
        // `management.key` the key of the bearer-authorised `/@connections` (tests close a
        // page's socket with it, as backend code would).
        let key = vidpush_gateway::load_or_create_management_key(dir.path()).unwrap();
        let mut config = GatewayConfig::new(dir.path().join("gateway.db"), key);
        config.aws = Some(AwsApi {
            stage: STAGE.into(),
            region: LOCAL_REGION.into(),
            credentials: vec![AccessKey {
                id: KEY_ID.into(),
                secret: SECRET.into(),
            }],
        });
        configure(&mut config);
        let gateway = routes(Gateway::builder(config)).build().unwrap();
        let connections = gateway.connections();
        let app = gateway
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let listener = self.listener;
        tokio::spawn(async move { axum::serve(listener, app).await });
        AwsGateway {
            addr: self.addr,
            connections,
            dir,
        }
    }
}

impl AwsGateway {
    /// Its folder: `gateway.db` (the connections) and `management.key`.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A gateway in AWS mode with a `whoami` route that answers the connection id.
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    /// The same, after `configure` adjusts its settings (a benchmark lifts the connect rate).
    pub async fn start_configured(configure: impl FnOnce(&mut GatewayConfig)) -> Self {
        Bound::new().await.serve(configure, |builder| {
            builder.route("whoami", |r: RouteRequest| async move {
                RouteResponse::reply(r.connection_id.to_string())
            })
        })
    }

    /// The management endpoint, as the SDK is given it on AWS.
    pub fn endpoint(&self) -> String {
        format!("http://{}/{STAGE}", self.addr)
    }

    /// A connected client and its connection id.
    pub async fn connect(&self) -> (Socket, String) {
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", self.addr))
            .await
            .unwrap();
        socket
            .send(Message::text(r#"{"action":"whoami"}"#))
            .await
            .unwrap();
        let id = next_text(&mut socket).await;
        (socket, id)
    }
}

/// The next text frame.
pub async fn next_text(socket: &mut Socket) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame arrives")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = frame {
            return text.to_string();
        }
    }
}

/// An SDK configuration signing with `secret` for the test key.
pub async fn signing_config(secret: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(LOCAL_REGION))
        .credentials_provider(Credentials::new(KEY_ID, secret, None, None, "test"))
        .load()
        .await
}
