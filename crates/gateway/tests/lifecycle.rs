//! Connection ids, the SQLite record, restarts and graceful shutdown.

mod common;

use common::*;
use vidpush_gateway::Gateway;

fn rows(gw: &TestGateway) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(gw.dir.path().join("gateway.db")).expect("the file exists");
    let mut query = db
        .prepare(
            "SELECT connection_id, source_ip, user_agent FROM connections ORDER BY connection_id",
        )
        .expect("the table exists");
    query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("the query runs")
        .collect::<Result<_, _>>()
        .expect("rows are readable")
}

#[tokio::test]
async fn connection_ids_are_new_for_every_connection() {
    let gw = start(|c| c.connect_rate.burst = 1000).await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..40 {
        let (mut client, id) = gw.connect_with_id().await;
        assert_eq!(id.len(), 16);
        assert!(ids.insert(id), "an id was reused");
        client.close(None).await.expect("closes");
    }
}

#[tokio::test]
async fn open_connections_are_recorded_in_sqlite_and_removed_on_close() {
    let mut gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    gw.gateway.flush().await;
    assert_eq!(
        rows(&gw),
        vec![(id, "127.0.0.1".to_owned(), "gateway-tests/1".to_owned())]
    );
    client.close(None).await.expect("closes");
    gw.event("$disconnect").await;
    gw.gateway.flush().await;
    assert!(rows(&gw).is_empty());
}

#[tokio::test]
async fn last_active_at_reaches_sqlite_on_flush() {
    use futures_util::SinkExt;
    let gw = start(|_| {}).await;
    let (mut client, id) = gw.connect_with_id().await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let message = tokio_tungstenite::tungstenite::Message::text(r#"{"action":"echo"}"#);
    client.send(message).await.expect("open");
    next_text(&mut client).await;
    gw.gateway.flush().await;
    let in_memory = gw.gateway.connections().get(&id).expect("open");
    let db = rusqlite::Connection::open(gw.dir.path().join("gateway.db")).expect("the file exists");
    let (connected, active): (i64, i64) = db
        .query_row(
            "SELECT connected_at, last_active_at FROM connections",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("one row");
    assert_eq!(
        (connected, active),
        (in_memory.connected_at, in_memory.last_active_at)
    );
    assert!(active > connected);
}

#[tokio::test]
async fn restart_deletes_rows_left_by_the_previous_process() {
    let gw = start(|_| {}).await;
    let (_client, _id) = gw.connect_with_id().await;
    gw.gateway.flush().await;
    assert_eq!(rows(&gw).len(), 1);
    // A second gateway on the same file stands for the next process after a crash.
    let config = vidpush_gateway::GatewayConfig::new(gw.dir.path().join("gateway.db"), KEY);
    let _next = Gateway::builder(config).build().expect("the store reopens");
    assert!(rows(&gw).is_empty());
}

#[tokio::test]
async fn graceful_shutdown_closes_every_socket_with_1001_and_runs_disconnect() {
    let mut gw = start(|_| {}).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(gw.connect_with_id().await.0);
    }
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut client| tokio::spawn(async move { close_frame(&mut client).await }))
        .collect();
    tokio::time::timeout(WAIT, gw.gateway.shutdown())
        .await
        .expect("shutdown finishes");
    for reader in readers {
        assert_eq!(reader.await.expect("reader finishes").0, 1001);
    }
    let mut disconnects = 0;
    while let Ok(event) = gw.events.try_recv() {
        if event.route_key == "$disconnect" {
            assert_eq!(event.request.disconnect.expect("close info").code, 1001);
            disconnects += 1;
        }
    }
    assert_eq!(disconnects, 5, "shutdown waited for every $disconnect");
    assert_eq!(gw.try_connect("", None).await.err(), Some(503));
    assert!(rows(&gw).is_empty());
}
