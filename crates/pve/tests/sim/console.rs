//! Console websockets end to end: `termproxy`/`vncproxy`, then `open_console` over the
//! pinned TLS to the simulator's `vncwebsocket`, the termproxy handshake
//! (proxmox/pve-xtermjs termproxy/src/main.rs: `USER:TICKET\n`, `OK`, `0:LEN:DATA`,
//! `1:COLS:ROWS:`), RFB for VMs, and the one-client-per-ticket rule.

use futures_util::{SinkExt, StreamExt};
use proxicloud_pve::{
    ConsoleMessage, ConsoleProtocol, ConsoleSocket, GuestStatus, GuestType, HttpPve, NodeName, Pve,
    PveError,
};

use crate::common::*;

/// A running guest of the type, and its node.
async fn running(pve: &HttpPve, ty: GuestType) -> (NodeName, GuestStatus) {
    for name in ["pve1", "pve2", "pve3"] {
        let guests = pve.guests(&node(name), ty).await.unwrap();
        if let Some(guest) = guests.into_iter().find(|g| g.status == "running") {
            return (node(name), guest);
        }
    }
    panic!("the seeded cluster runs a guest of each type")
}

/// Reads console output until it contains `needle`; everything read so far.
async fn read_until(socket: &mut ConsoleSocket, seen: &mut String, needle: &str) {
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        read_on(socket, seen, needle),
    );
    if read.await.is_err() {
        panic!("no {needle:?} within 10 s; seen {seen:?}");
    }
}

async fn read_on(socket: &mut ConsoleSocket, seen: &mut String, needle: &str) {
    while !seen.contains(needle) {
        match socket.next().await {
            Some(Ok(ConsoleMessage::Binary(bytes))) => {
                seen.push_str(&String::from_utf8_lossy(&bytes))
            }
            Some(Ok(ConsoleMessage::Text(text))) => seen.push_str(&text),
            Some(Ok(_)) => {}
            other => panic!("console ended before {needle:?} (seen {seen:?}): {other:?}"),
        }
    }
}

fn input(text: &str) -> ConsoleMessage {
    ConsoleMessage::Binary(format!("0:{}:{text}", text.len()).into_bytes().into())
}

#[tokio::test]
async fn a_container_terminal_logs_in_runs_commands_resizes_and_serves_one_client() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let lxc = GuestType::Lxc;
    let (pve1, ct) = running(&pve, lxc).await;
    let ticket = pve.termproxy(&pve1, lxc, ct.vmid).await.unwrap();
    let open = pve
        .open_console(&pve1, lxc, ct.vmid, &ticket, ConsoleProtocol::Termproxy)
        .await
        .expect("console opens over the pinned TLS");
    let mut socket = open.socket;
    let mut seen = String::from_utf8_lossy(&open.leftover).into_owned();
    let hostname = ct.name.clone().unwrap();
    read_until(&mut socket, &mut seen, &format!("root@{hostname}:~# ")).await;

    socket.send(input("hostname\r")).await.unwrap();
    read_until(
        &mut socket,
        &mut seen,
        &format!("hostname\r\n{hostname}\r\n"),
    )
    .await;
    // A resize, a ping and input in one frame, as a browser may batch them.
    let batch = "1:132:43:20:10:stty size\r";
    socket
        .send(ConsoleMessage::Binary(batch.as_bytes().to_vec().into()))
        .await
        .unwrap();
    read_until(&mut socket, &mut seen, "\r\n43 132\r\n").await;

    // termproxy accepts one client: the same ticket cannot open a second session.
    let replay = pve
        .open_console(&pve1, lxc, ct.vmid, &ticket, ConsoleProtocol::Termproxy)
        .await;
    assert!(
        matches!(replay, Err(PveError::Server { status: 502, .. })),
        "{replay:?}"
    );

    // `exit` ends the session from the guest's side: the websocket closes.
    socket.send(input("exit\r")).await.unwrap();
    read_until(&mut socket, &mut seen, "logout").await;
    loop {
        match socket.next().await {
            None | Some(Ok(ConsoleMessage::Close(_))) | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    finish(sim).await;
}

#[tokio::test]
async fn a_forged_or_foreign_ticket_is_refused() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let lxc = GuestType::Lxc;
    let (pve1, ct) = running(&pve, lxc).await;
    let mut ticket = pve.termproxy(&pve1, lxc, ct.vmid).await.unwrap();
    ticket.ticket.push('0');
    let forged = pve
        .open_console(&pve1, lxc, ct.vmid, &ticket, ConsoleProtocol::Termproxy)
        .await;
    assert!(
        matches!(forged, Err(PveError::Unauthorized { .. })),
        "{forged:?}"
    );
    finish(sim).await;
}

#[tokio::test]
async fn a_vm_screen_speaks_rfb_and_typed_keys_change_the_framebuffer() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let qemu = GuestType::Qemu;
    let (pve1, vm) = running(&pve, qemu).await;
    let options = proxicloud_pve::VncProxyOptions {
        websocket: true,
        generate_password: false,
    };
    let ticket = pve.vncproxy(&pve1, qemu, vm.vmid, options).await.unwrap();
    assert!(
        ticket.cert.is_some(),
        "vncproxy answers the node certificate"
    );
    let mut rfb = Rfb::new(
        pve.open_console(&pve1, qemu, vm.vmid, &ticket, ConsoleProtocol::Vnc)
            .await
            .unwrap()
            .socket,
    );
    // QEMU's VNC server asks for VNC authentication with the password `vncproxy`
    // answered (what `qm vncproxy` set); the ticket starts with it.
    let password = ticket
        .password
        .clone()
        .expect("websocket=1 answers a password");
    assert!(ticket.ticket.starts_with(&format!("{password}:PVEVNC:")));
    rfb.handshake(&password).await;
    assert_eq!(rfb.take(4).await, [0, 0, 0, 0], "SecurityResult OK");
    rfb.send(&[1]).await;
    let init = rfb.take(24).await;
    let (w, h) = (
        u16::from_be_bytes([init[0], init[1]]),
        u16::from_be_bytes([init[2], init[3]]),
    );
    let name_len = u32::from_be_bytes([init[20], init[21], init[22], init[23]]) as usize;
    let name = rfb.take(name_len).await;
    assert_eq!(String::from_utf8(name).unwrap(), vm.name.clone().unwrap());

    let request = |incremental: u8| {
        let mut m = vec![3, incremental, 0, 0, 0, 0];
        m.extend_from_slice(&w.to_be_bytes());
        m.extend_from_slice(&h.to_be_bytes());
        m
    };
    rfb.send(&request(0)).await;
    let before = rfb.frame(w, h).await;
    assert!(
        before
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 1,
        "not blank"
    );
    // An incremental request waits for a change; the key press is the change.
    rfb.send(&request(1)).await;
    rfb.send(&[4, 1, 0, 0, 0, 0, 0, b'x']).await;
    let after = rfb.frame(w, h).await;
    assert_ne!(before, after, "the typed key is drawn");
    finish(sim).await;
}

#[tokio::test]
async fn a_vm_screen_refuses_a_wrong_vnc_password() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let qemu = GuestType::Qemu;
    let (pve1, vm) = running(&pve, qemu).await;
    let options = proxicloud_pve::VncProxyOptions {
        websocket: true,
        generate_password: false,
    };
    let ticket = pve.vncproxy(&pve1, qemu, vm.vmid, options).await.unwrap();
    let open = pve.open_console(&pve1, qemu, vm.vmid, &ticket, ConsoleProtocol::Vnc);
    let mut rfb = Rfb::new(open.await.unwrap().socket);
    rfb.handshake("not-it!!").await;
    assert_eq!(rfb.take(4).await, [0, 0, 0, 1], "SecurityResult failed");
    let len = rfb.take(4).await;
    let reason = rfb.take(u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize);
    assert_eq!(reason.await, b"Authentication failed");
    finish(sim).await;
}

/// The client side of RFB over the console socket, as a byte stream.
struct Rfb {
    socket: ConsoleSocket,
    buf: Vec<u8>,
}

impl Rfb {
    fn new(socket: ConsoleSocket) -> Self {
        Self {
            socket,
            buf: Vec::new(),
        }
    }

    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            match self.socket.next().await {
                Some(Ok(ConsoleMessage::Binary(bytes))) => self.buf.extend_from_slice(&bytes),
                other => panic!("RFB stream ended: {other:?}"),
            }
        }
        self.buf.drain(..n).collect()
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.socket
            .send(ConsoleMessage::Binary(bytes.to_vec().into()))
            .await
            .unwrap();
    }

    /// Version, security type 2 and the answer to its challenge with `password`.
    async fn handshake(&mut self, password: &str) {
        assert_eq!(self.take(12).await, b"RFB 003.008\n");
        self.send(b"RFB 003.008\n").await;
        assert_eq!(self.take(2).await, [1, 2], "one security type: VNC auth");
        self.send(&[2]).await;
        let challenge: [u8; 16] = self.take(16).await.try_into().unwrap();
        let response = proxicloud_pve_sim::console::rfb::vnc_auth_response(password, &challenge);
        self.send(&response).await;
    }

    /// One FramebufferUpdate with a single full-screen Raw rectangle; its pixels.
    async fn frame(&mut self, w: u16, h: u16) -> Vec<u8> {
        let head = self.take(16).await;
        assert_eq!(head[0], 0, "FramebufferUpdate");
        assert_eq!(&head[12..16], &[0, 0, 0, 0], "Raw encoding");
        self.take(w as usize * h as usize * 4).await
    }
}
