//! Live consoles behind `vncwebsocket`: what `termproxy` / `vncproxy` start and the
//! websocket upgrade connects to.
//!
//! In PVE the proxy call spawns termproxy (or vncterm / QEMU's VNC) listening on the
//! returned port for one client for 10 seconds (`listen_and_accept`, proxmox/pve-xtermjs
//! termproxy/src/main.rs); pveproxy's websocket upgrade on `vncwebsocket` connects to
//! that port. Here the proxy call [`Consoles::offer`]s a pending session, and the
//! upgrade [`Consoles::claim`]s it — once — and runs the terminal ([`termproxy`] over
//! the [`shell`]) or the screen ([`rfb`] over the [`screen`]). A new kind of console is
//! a new [`ConsoleKind`] and an arm in [`run`].

pub mod rfb;
pub mod screen;
pub mod shell;
pub mod termproxy;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocket;
use parking_lot::Mutex;

/// termproxy and vncterm wait this long for their one client.
const ACCEPT_WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleKind {
    /// `termproxy`: the termproxy protocol in front of a shell.
    Terminal,
    /// `vncproxy`: RFB.
    Vnc,
}

/// A console waiting for its websocket.
#[derive(Debug, Clone)]
pub struct PendingConsole {
    pub kind: ConsoleKind,
    /// The guest's hostname (containers) or name (VMs).
    pub name: String,
    /// Who asked for it, and the ticket termproxy's first line must repeat.
    pub user: String,
    pub ticket: String,
    /// `vncproxy`'s VNC password (the `password` it answered); without one, the
    /// ticket is the password, as in PVE before the separate field.
    pub vnc_password: Option<String>,
    offered: Instant,
    /// Set when a client connected; the proxy task then ends `OK`, not timed out.
    pub claimed: Arc<AtomicBool>,
}

impl PendingConsole {
    pub fn new(kind: ConsoleKind, name: String, user: String, ticket: String) -> Self {
        Self {
            kind,
            name,
            user,
            ticket,
            vnc_password: None,
            offered: Instant::now(),
            claimed: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The pending consoles, by vmid and port.
#[derive(Debug, Default)]
pub struct Consoles {
    pending: Mutex<HashMap<(u32, u16), PendingConsole>>,
}

impl Consoles {
    pub fn offer(&self, vmid: u32, port: u16, console: PendingConsole) {
        let mut pending = self.pending.lock();
        pending.retain(|_, c| c.offered.elapsed() < ACCEPT_WINDOW);
        pending.insert((vmid, port), console);
    }

    /// The console for one connection; a second connection finds nothing, like a
    /// second connect to a termproxy that already accepted its client.
    pub fn claim(&self, vmid: u32, port: u16) -> Option<PendingConsole> {
        let console = self.pending.lock().remove(&(vmid, port))?;
        if console.offered.elapsed() >= ACCEPT_WINDOW {
            return None;
        }
        console.claimed.store(true, Ordering::SeqCst);
        Some(console)
    }
}

/// Runs a claimed console on an upgraded websocket until either side ends it.
pub async fn run(socket: WebSocket, console: PendingConsole) {
    match console.kind {
        ConsoleKind::Terminal => {
            // termproxy's `pinned_ticket` check: the line must carry the issued ticket.
            let (user, ticket) = (console.user.clone(), console.ticket.clone());
            let check = move |u: &str, t: &str| u == user && t == ticket;
            termproxy::serve(socket, console.name, check).await;
        }
        ConsoleKind::Vnc => {
            let password = console.vnc_password.unwrap_or(console.ticket);
            rfb::serve(socket, console.name, password).await;
        }
    }
}
