//! Consoles: `POST …/vncproxy`, `POST …/termproxy` and `GET …/vncwebsocket`.
//!
//! The proxies answer like PVE — `{user, ticket, port, upid}`, `port` as a string (PVE's
//! handlers return it from `wait_for_vnc_port`/`next_vnc_port` as text, and clients
//! parse it as one), `cert` from `vncproxy` (containers too, per the schema's returns
//! of pve-container's `vncproxy`) and `password` for a VM's websocket use — offer the
//! live console to `crate::console` and start a `vncproxy` task that, as
//! vncterm/termproxy do when no client connects within 10 seconds, ends with
//! "connection timed out" (and `OK` when a client did connect).
//! `vncwebsocket` verifies the `PVEVNC` ticket against user, `/vms/{vmid}` and port
//! and returns `{port}` exactly like PVE's handler; the WebSocket upgrade itself is
//! the HTTP layer's business (pve-http-server does it outside the API handler).

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use proxicloud_types::GuestType;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::common::{is_running, kind_of, request_guest, secs};
use crate::api::{ApiError, ApiResult, Req};
use crate::console::{ConsoleKind, PendingConsole};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// `verify_rsa_ticket`'s window for short-lived tickets: -20 to 40 seconds.
const TICKET_MAX_AGE: i64 = 40;
const TICKET_MIN_AGE: i64 = -20;

/// The secret VNC tickets are signed with; one per simulator process, like PVE's
/// auth key per cluster.
fn secret() -> &'static [u8; 32] {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    SECRET.get_or_init(rand::random)
}

fn sign(plain: &str, user: &str, path: &str, port: u16) -> String {
    let mut hasher = Sha256::new();
    hasher.update(secret());
    hasher.update(format!("{plain}:{user}:{path}:{port}").as_bytes());
    hex::encode(hasher.finalize())
}

/// `assemble_vnc_ticket`: `PVEVNC:<hex time>::<signature>`, bound to user, path and port.
fn vnc_ticket(user: &str, path: &str, port: u16, at: i64) -> String {
    let plain = format!("PVEVNC:{at:08X}");
    let signature = sign(&plain, user, path, port);
    format!("{plain}::{signature}")
}

/// `verify_vnc_ticket`, including the `<password>:PVEVNC:…` form websocket users get.
fn verify_vnc_ticket(ticket: &str, user: &str, path: &str, port: u16, at: i64) -> bool {
    // `<8 character password>:PVEVNC:…`, as `^.{8}:(PVEVNC:.*)$` in PVE.
    let ticket = match ticket.find("PVEVNC:") {
        Some(9) if ticket.as_bytes()[8] == b':' => &ticket[9..],
        _ => ticket,
    };
    let Some((plain, signature)) = ticket.split_once("::") else {
        return false;
    };
    let Some(issued) = plain
        .strip_prefix("PVEVNC:")
        .and_then(|t| i64::from_str_radix(t, 16).ok())
    else {
        return false;
    };
    let age = at - issued;
    age > TICKET_MIN_AGE && age < TICKET_MAX_AGE && sign(plain, user, path, port) == signature
}

/// `generate_vnc_password`: 8 printable ASCII characters.
fn vnc_password() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| rng.random_range(b'!'..=b'~') as char)
        .collect()
}

/// `next_vnc_port`: a port in 5900..=5999.
fn next_port(cluster: &Cluster) -> u16 {
    5900 + (cluster.next_pid % 100) as u16
}

pub(crate) fn vncproxy(sim: &Sim, req: &Req) -> ApiResult {
    let kind = kind_of(req);
    // Only qemu-server's `vncproxy` has `generate-password` and answers `password`
    // (pve-container's returns {user, ticket, port, upid, cert}).
    let with_password =
        kind == GuestType::Qemu && (req.flag("websocket")? || req.flag("generate-password")?);
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node, name) = (guest.vmid, guest.node.clone(), guest.name());
    // qemu-server's `vncproxy` needs the VM's VNC socket; lxc attaches to the console.
    let not_running = kind == GuestType::Qemu && !is_running(guest);
    let port = next_port(&cluster);
    let mut ticket = vnc_ticket(&req.user, &format!("/vms/{vmid}"), port, now());
    let password = with_password.then(vnc_password);
    if let Some(password) = &password {
        ticket = format!("{password}:{ticket}");
    }
    let mut console = PendingConsole::new(ConsoleKind::Vnc, name, req.user.clone(), ticket.clone());
    console.vnc_password = password.clone();
    let upid = spawn_proxy_task(
        sim,
        &mut cluster,
        req,
        &node,
        vmid,
        port,
        not_running,
        console,
    );
    let mut answer =
        json!({ "user": req.user, "ticket": ticket, "port": port.to_string(), "upid": upid });
    if let Some(password) = password {
        answer["password"] = json!(password);
    }
    if let Some(cert) = &sim.certificate_pem {
        answer["cert"] = json!(cert);
    }
    Ok(answer)
}

pub(crate) fn termproxy(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node, name) = (guest.vmid, guest.node.clone(), guest.name());
    let not_running = guest.kind == GuestType::Qemu && !is_running(guest);
    let port = next_port(&cluster);
    let ticket = vnc_ticket(&req.user, &format!("/vms/{vmid}"), port, now());
    let console = PendingConsole::new(
        ConsoleKind::Terminal,
        name,
        req.user.clone(),
        ticket.clone(),
    );
    let upid = spawn_proxy_task(
        sim,
        &mut cluster,
        req,
        &node,
        vmid,
        port,
        not_running,
        console,
    );
    Ok(json!({ "user": req.user, "ticket": ticket, "port": port.to_string(), "upid": upid }))
}

#[allow(clippy::too_many_arguments)]
fn spawn_proxy_task(
    sim: &Sim,
    cluster: &mut Cluster,
    req: &Req,
    node: &str,
    vmid: u32,
    port: u16,
    not_running: bool,
    console: PendingConsole,
) -> String {
    let error = if not_running {
        format!("VM {vmid} not running")
    } else {
        "connection timed out".to_string()
    };
    let duration = if not_running { secs(0.5) } else { secs(10.0) };
    let claimed = Arc::clone(&console.claimed);
    if !not_running {
        sim.consoles.offer(vmid, port, console);
    }
    let spec = TaskSpec::new(node, "vncproxy", vmid, duration, move |_| {
        if claimed.load(Ordering::SeqCst) {
            TaskOutcome::ok(Vec::new())
        } else {
            TaskOutcome::failed(Vec::new(), error)
        }
    });
    sim.spawn_task(cluster, &req.user, spec)
}

pub(crate) fn vncwebsocket(sim: &Sim, req: &Req) -> ApiResult {
    let port = req
        .int("port")?
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| ApiError::param("port", "property is missing and it is not optional"))?;
    let ticket = req.required_str("vncticket")?;
    {
        let cluster = sim.cluster.lock();
        request_guest(&cluster, req)?;
    }
    let path = format!("/vms/{}", req.vmid()?);
    if !verify_vnc_ticket(&ticket, &req.user, &path, port, now()) {
        return Err(ApiError::new(
            401,
            "permission denied - invalid PVEVNC ticket",
        ));
    }
    Ok(json!({ "port": port.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnc_tickets_bind_user_path_port_and_expire() {
        let t = 1_800_000_000;
        let ticket = vnc_ticket("root@pam", "/vms/101", 5901, t);
        assert!(ticket.starts_with("PVEVNC:6B49D200::"), "{ticket}");
        assert!(verify_vnc_ticket(
            &ticket,
            "root@pam",
            "/vms/101",
            5901,
            t + 5
        ));
        assert!(verify_vnc_ticket(
            &format!("abcdefgh:{ticket}"),
            "root@pam",
            "/vms/101",
            5901,
            t
        ));
        assert!(!verify_vnc_ticket(&ticket, "root@pam", "/vms/101", 5902, t));
        assert!(!verify_vnc_ticket(
            &ticket,
            "alice@pve",
            "/vms/101",
            5901,
            t
        ));
        assert!(!verify_vnc_ticket(&ticket, "root@pam", "/vms/102", 5901, t));
        assert!(!verify_vnc_ticket(
            &ticket,
            "root@pam",
            "/vms/101",
            5901,
            t + 41
        ));
    }
}
