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

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A guest of `kind` with `status`, as the API lists it.
pub(crate) fn pick<'a>(items: &'a [Value], kind: &str, status: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["type"] == kind && i["status"] == status)
        .unwrap_or_else(|| panic!("the simulator seeds a {status} {kind}"))
}

pub(crate) async fn connect(
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
pub(crate) async fn read_until(socket: &mut Socket, seen: &mut String, needle: &str) {
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
pub(crate) async fn closed_with(socket: &mut Socket) -> String {
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

pub(crate) fn input(text: &str) -> Message {
    Message::Text(format!("0:{}:{text}", text.len()).into())
}

pub(crate) fn refused_status(result: Result<Socket, WsError>) -> (u16, Value) {
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
pub(crate) async fn console_audit(
    sim: &SimApp,
    admin: &Session,
    id: &str,
    count: usize,
) -> Vec<Value> {
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
async fn a_vm_screen_is_relayed_as_rfb_after_its_vnc_password() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let vm = pick(&items, "vm", "running");
    let mut socket = connect(&sim, &admin, vm["id"].as_str().unwrap(), None)
        .await
        .unwrap();
    // First our own message: the password the VM's VNC server will ask for.
    let password = match socket.next().await {
        Some(Ok(Message::Text(text))) => {
            let preamble: Value = serde_json::from_str(&text).unwrap();
            preamble["vnc_password"].as_str().unwrap().to_owned()
        }
        other => panic!("no VNC password first: {other:?}"),
    };
    assert_eq!(password.len(), 8, "generate_vnc_password's 8 characters");
    // Then Proxmox's RFB, untouched: VNC authentication with that password.
    let mut rfb = Rfb(socket, Vec::new());
    assert_eq!(rfb.take(12).await, b"RFB 003.008\n");
    rfb.send(b"RFB 003.008\n").await;
    assert_eq!(rfb.take(2).await, [1, 2], "VNC authentication");
    rfb.send(&[2]).await;
    let challenge: [u8; 16] = rfb.take(16).await.try_into().unwrap();
    let response = proxicloud_pve_sim::console::rfb::vnc_auth_response(&password, &challenge);
    rfb.send(&response).await;
    assert_eq!(rfb.take(4).await, [0, 0, 0, 0], "SecurityResult OK");
    rfb.send(&[1]).await;
    let init = rfb.take(24).await;
    let name_len = u32::from_be_bytes([init[20], init[21], init[22], init[23]]) as usize;
    assert_eq!(
        rfb.take(name_len).await,
        vm["name"].as_str().unwrap().as_bytes()
    );
    assert!(
        !crate::support::captured_logs()
            .lock()
            .unwrap()
            .windows(password.len())
            .any(|w| w == password.as_bytes()),
        "the VNC password is in no log line"
    );
    sim.assert_every_request_passed_the_schema();
    sim.shutdown().await;
}

/// RFB over the relayed socket, as a byte stream.
struct Rfb(Socket, Vec<u8>);

impl Rfb {
    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.1.len() < n {
            match self.0.next().await {
                Some(Ok(Message::Binary(bytes))) => self.1.extend_from_slice(&bytes),
                other => panic!("RFB stream ended: {other:?}"),
            }
        }
        self.1.drain(..n).collect()
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.0
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .unwrap();
    }
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
