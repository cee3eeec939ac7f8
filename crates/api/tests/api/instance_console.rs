//! Instance consoles over a real websocket: the relay against the simulator's
//! termproxy shell (handshake done by the server, then input, resize, ping, close from
//! either side) and RFB screen, refusals as JSON before the upgrade, and the audit
//! entries of each session. Readers' 403 is in the authorization matrix.

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::sim_support::{SimApp, eventually, spawn_app_with_sim};
use crate::support::Session;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A guest of `kind` with `status`, as the API lists it.
fn pick<'a>(items: &'a [Value], kind: &str, status: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["type"] == kind && i["status"] == status)
        .unwrap_or_else(|| panic!("the simulator seeds a {status} {kind}"))
}

async fn connect(
    sim: &SimApp,
    session: &Session,
    id: &str,
    origin: Option<&str>,
) -> Result<Socket, WsError> {
    let url = format!(
        "{}/api/v1/instances/{id}/console",
        sim.app.base.replacen("http", "ws", 1)
    );
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert(
        "authorization",
        format!("Bearer {}", session.access).parse().unwrap(),
    );
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Output until `needle` shows up; the whole output so far.
async fn read_until(socket: &mut Socket, seen: &mut String, needle: &str) {
    let wait = async {
        while !seen.contains(needle) {
            match socket.next().await {
                Some(Ok(Message::Binary(b))) => seen.push_str(&String::from_utf8_lossy(&b)),
                Some(Ok(Message::Text(t))) => seen.push_str(&t),
                Some(Ok(_)) => {}
                other => panic!("console ended before {needle:?} ({seen:?}): {other:?}"),
            }
        }
    };
    if tokio::time::timeout(crate::sim_support::WAIT, wait)
        .await
        .is_err()
    {
        panic!("no {needle:?} in time; seen {seen:?}");
    }
}

/// The close frame's reason, once the server ends the session.
async fn closed_with(socket: &mut Socket) -> String {
    loop {
        match socket.next().await {
            Some(Ok(Message::Close(frame))) => {
                return frame.map(|f| f.reason.to_string()).unwrap_or_default();
            }
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

fn input(text: &str) -> Message {
    Message::Text(format!("0:{}:{text}", text.len()).into())
}

fn refused_status(result: Result<Socket, WsError>) -> (u16, Value) {
    match result {
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Err(other) => panic!("refused without HTTP status: {other}"),
        Ok(_) => panic!("the console opened"),
    }
}

/// The console audit entries of `id`, once `count` of them are there.
async fn console_audit(sim: &SimApp, admin: &Session, id: &str, count: usize) -> Vec<Value> {
    eventually("the console's audit entries", || async {
        let path = format!("/api/v1/audit?action=instance.console&resource={id}");
        let body = sim.app.get_json(&path, &admin.access).await;
        let items = body["items"].as_array()?.clone();
        (items.len() >= count).then_some(items)
    })
    .await
}

#[tokio::test]
async fn a_container_terminal_is_relayed_and_each_session_is_audited() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let ct = pick(&items, "lxc", "running");
    let (id, name) = (ct["id"].as_str().unwrap(), ct["name"].as_str().unwrap());

    let mut socket = connect(&sim, &admin, id, Some(&sim.app.base))
        .await
        .unwrap();
    let mut seen = String::new();
    // The server did termproxy's ticket line: the browser sees the shell at once.
    read_until(&mut socket, &mut seen, &format!("root@{name}:~# ")).await;
    assert!(
        !seen.contains("OK"),
        "termproxy's OK stays on the server: {seen:?}"
    );
    socket.send(input("hostname\r")).await.unwrap();
    read_until(&mut socket, &mut seen, &format!("hostname\r\n{name}\r\n")).await;
    // Resize, ping and input, as xterm.js sends them.
    socket
        .send(Message::Text("1:100:30:".into()))
        .await
        .unwrap();
    socket.send(Message::Text("2".into())).await.unwrap();
    socket.send(input("stty size\r")).await.unwrap();
    read_until(&mut socket, &mut seen, "\r\n30 100\r\n").await;
    // The browser closes.
    socket.close(None).await.unwrap();

    // A second session ends from the guest's side.
    let mut socket = connect(&sim, &admin, id, None).await.unwrap();
    let mut seen = String::new();
    read_until(&mut socket, &mut seen, ":~# ").await;
    socket.send(input("exit\r")).await.unwrap();
    assert_eq!(closed_with(&mut socket).await, "the console closed");

    let entries = console_audit(&sim, &admin, id, 4).await;
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            let reason = e["details"]["reason"].as_str().unwrap_or("");
            (e["action"].as_str().unwrap(), reason)
        })
        .collect();
    for expected in [
        ("instance.console.open", ""),
        ("instance.console.close", "client"),
        ("instance.console.close", "guest"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    for entry in &entries {
        assert_eq!(entry["username"], "admin");
        assert!(entry["source_ip"].is_string());
    }
    assert!(
        entries
            .iter()
            .filter(|e| e["action"] == "instance.console.close")
            .all(|e| e["details"]["duration_secs"].is_u64())
    );
    sim.assert_every_request_passed_the_schema();
    sim.shutdown().await;
}

#[tokio::test]
async fn a_vm_screen_is_relayed_as_rfb() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let vm = pick(&items, "vm", "running");
    let mut socket = connect(&sim, &admin, vm["id"].as_str().unwrap(), None)
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Message::Binary(bytes))) => assert_eq!(&bytes[..], b"RFB 003.008\n"),
        other => panic!("no RFB greeting: {other:?}"),
    }
    sim.assert_every_request_passed_the_schema();
    sim.shutdown().await;
}

#[tokio::test]
async fn consoles_are_refused_as_json_before_the_upgrade() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let stopped = pick(&items, "lxc", "stopped")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let running = pick(&items, "lxc", "running")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = refused_status(connect(&sim, &admin, &stopped, None).await);
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "instance_not_running", "{body}");

    // Another site's page cannot use the admin's cookie or token for a console.
    let foreign = connect(&sim, &admin, &running, Some("https://evil.example")).await;
    let (status, body) = refused_status(foreign);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("cross_origin"))
    );

    // A plain GET is told that the console is a websocket.
    let response = sim
        .app
        .get(
            &format!("/api/v1/instances/{running}/console"),
            &admin.access,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "websocket_required");
    sim.shutdown().await;
}
