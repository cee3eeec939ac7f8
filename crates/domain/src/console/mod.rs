//! Browser consoles of instances (`GET /api/v1/instances/{id}/console`): a terminal for
//! containers (`termproxy`), the screen for VMs (`vncproxy`). The browser talks only to
//! us; we ask Proxmox for a one-time console ticket, open its `vncwebsocket` over the
//! cluster's own TLS and credentials (the `pve` crate does the connecting and
//! termproxy's ticket line), and the API relays frames both ways — the shape of
//! Proxmox Datacenter Manager's console proxy (server/src/api/remotes/shell.rs).
//!
//! This module decides who may open what and records it: only callers who may manage
//! the instance, only while it runs, each open and close in the audit log (who, when,
//! for how long). Where the relay itself lives: `api::console_relay`.

mod limit;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use limit::SessionSlot;

use proxicloud_pve::{ConsoleProtocol, ConsoleSocket, GuestType, NodeName, Pve, VncProxyOptions};
use proxicloud_store::{ClusterCredentials, Guest, Outcome, Store, Uuid};
use secrecy::SecretString;
use serde_json::json;

use crate::audit::{AuditRecord, AuditService};
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::inventory::load_live_guest;

const RESOURCE: &str = "instance";
/// PVE accepts API tokens on `vncwebsocket` from this version on (before, only a
/// login ticket opens it, so a cluster registered with a token needs a password).
const TOKEN_CONSOLE_SINCE: [u64; 3] = [9, 0, 13];

/// `[console]` in the configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// A session in which nobody typed for this long is closed.
    pub idle_timeout: Duration,
    /// Consoles one user may have open at once (0: no limit); see [`limit`].
    pub max_sessions_per_user: usize,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(15 * 60),
            max_sessions_per_user: 10,
        }
    }
}

/// A console connected to Proxmox, ready to be relayed.
pub struct OpenedConsole {
    pub socket: ConsoleSocket,
    /// Console output that came with termproxy's `OK`; the browser gets it first.
    pub leftover: Vec<u8>,
    pub protocol: ConsoleProtocol,
    /// VMs: the VNC password of this session (see [`vnc_password`]).
    pub vnc_password: Option<SecretString>,
    pub session: ConsoleSession,
    /// Counts against the user's open consoles until dropped.
    pub slot: SessionSlot,
}

/// The password a VM's VNC server asks for. PVE's `vncproxy` with `websocket=1` sets
/// QEMU's VNC password (`qm vncproxy` → `set_password`, qemu-server PVE/CLI/qm.pm) to
/// the `password` it answers, which also begins the ticket (`<password>:PVEVNC:…`);
/// versions before the separate field used the ticket itself, whose first 8 bytes
/// are all VNC authentication reads. Proxmox Datacenter Manager hands this password to
/// the browser's noVNC in its own authenticated answer (server/src/api/pve/qemu.rs
/// `qemu_vnc_ticket`) and relays the RFB stream untouched; so do we, as the first
/// message of our own authenticated websocket (see `api::console_relay`).
pub fn vnc_password(ticket: &proxicloud_pve::ConsoleTicket) -> SecretString {
    SecretString::from(
        ticket
            .password
            .clone()
            .unwrap_or_else(|| ticket.ticket.clone()),
    )
}

/// Who has which console open since when; what the close entry of the audit log says.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub instance_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub source_ip: Option<String>,
    pub started: Instant,
}

/// Why a session ended, for the audit log and the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The browser closed it (tab closed, disconnect button).
    Client,
    /// The guest's side ended it (`exit` in the shell, the VM's display went away).
    Guest,
    /// No traffic for the configured idle time.
    Idle,
    /// A connection broke (a socket error rather than a close from either side).
    Error,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Client => "client",
            CloseReason::Guest => "guest",
            CloseReason::Idle => "idle",
            CloseReason::Error => "error",
        }
    }
}

pub struct ConsoleService {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    audit: Arc<AuditService>,
    config: ConsoleConfig,
    open_sessions: Arc<limit::SessionCounts>,
}

pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    let audit = registry.get::<AuditService>();
    registry.provide(Arc::new(ConsoleService::new(
        platform.store.clone(),
        platform.connector.clone(),
        audit,
        platform.config.console,
    )));
}

impl ConsoleService {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        audit: Arc<AuditService>,
        config: ConsoleConfig,
    ) -> Self {
        Self {
            store,
            connector,
            audit,
            config,
            open_sessions: Arc::default(),
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        self.config.idle_timeout
    }

    /// The instance, if `caller` may open its console now: 404 if not visible, 403 if
    /// not manageable (readonly), 409 if a template or not running.
    pub async fn check(&self, caller: &Principal, id: Uuid) -> DomainResult<Guest> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        if guest.observed.template {
            return Err(DomainError::conflict(
                "instance_is_template",
                "a template has no console; launch an instance from it",
            ));
        }
        if guest.observed.status != "running" {
            return Err(DomainError::conflict(
                "instance_not_running",
                format!(
                    "the instance is {}; start it to open its console",
                    guest.observed.status
                ),
            ));
        }
        let pve = self
            .connector
            .pve(guest.cluster_id)
            .await
            .map_err(|e| e.for_caller(caller))?;
        self.require_console_credentials(caller, guest.cluster_id, pve.as_ref())
            .await?;
        Ok(guest)
    }

    /// Asks Proxmox for a console of `guest` (checked by [`Self::check`]) and connects
    /// to it; records the opening in the audit log.
    pub async fn open(
        &self,
        caller: &Principal,
        guest: &Guest,
        source_ip: Option<String>,
    ) -> DomainResult<OpenedConsole> {
        let slot = limit::take(
            &self.open_sessions,
            caller.user_id,
            self.config.max_sessions_per_user,
        )?;
        let observed = &guest.observed;
        let node = NodeName::new(observed.node.clone())
            .map_err(|e| DomainError::Internal(format!("mirrored node name: {e}")))?;
        let pve = self
            .connector
            .pve(guest.cluster_id)
            .await
            .map_err(|e| e.for_caller(caller))?;
        let (kind, vmid) = (observed.kind, observed.vmid);
        let (ticket, protocol) = match kind {
            GuestType::Lxc => (
                pve.termproxy(&node, kind, vmid).await,
                ConsoleProtocol::Termproxy,
            ),
            GuestType::Qemu => {
                let options = VncProxyOptions {
                    websocket: true,
                    generate_password: false,
                };
                (
                    pve.vncproxy(&node, kind, vmid, options).await,
                    ConsoleProtocol::Vnc,
                )
            }
        };
        let ticket =
            ticket.map_err(|e| DomainError::from_pve("start a console", e).for_caller(caller))?;
        let vnc_password = (protocol == ConsoleProtocol::Vnc).then(|| vnc_password(&ticket));
        let opened = pve
            .open_console(&node, kind, vmid, &ticket, protocol)
            .await
            .map_err(|e| DomainError::from_pve("open the console", e).for_caller(caller))?;
        let session = ConsoleSession {
            instance_id: guest.id,
            user_id: caller.user_id,
            username: caller.username.clone(),
            source_ip,
            started: Instant::now(),
        };
        let kind_name = match kind {
            GuestType::Lxc => "terminal",
            GuestType::Qemu => "screen",
        };
        self.record(
            &session,
            "instance.console.open",
            json!({ "console": kind_name }),
        )
        .await;
        Ok(OpenedConsole {
            socket: opened.socket,
            leftover: opened.leftover,
            protocol,
            vnc_password,
            session,
            slot,
        })
    }

    /// Records a refused attempt to open `instance_id`'s console (as the audit trail
    /// records refused writes: `denied` for 401/403, else `failure`, with the status
    /// and the error's code).
    pub async fn refused(
        &self,
        caller: &Principal,
        instance_id: Uuid,
        source_ip: Option<String>,
        refusal: Refusal<'_>,
    ) {
        let record = AuditRecord {
            user_id: Some(caller.user_id),
            username: Some(caller.username.clone()),
            source_ip,
            action: "instance.console.open".to_owned(),
            resource: Some(format!("instances/{instance_id}")),
            outcome: if matches!(refusal.status, 401 | 403) {
                Outcome::Denied
            } else {
                Outcome::Failure
            },
            request_id: None,
            details: json!({ "status": refusal.status, "error": refusal.code }),
        };
        if let Err(e) = self.audit.record(record).await {
            tracing::error!(error = %e, "cannot write the console audit entry");
        }
    }

    /// Records the end of a session: how long it lasted and why it ended.
    pub async fn closed(&self, session: &ConsoleSession, reason: CloseReason) {
        let details = json!({
            "duration_secs": session.started.elapsed().as_secs(),
            "reason": reason.as_str(),
        });
        self.record(session, "instance.console.close", details)
            .await;
    }

    async fn record(&self, session: &ConsoleSession, action: &str, details: serde_json::Value) {
        let record = AuditRecord {
            user_id: Some(session.user_id),
            username: Some(session.username.clone()),
            source_ip: session.source_ip.clone(),
            action: action.to_owned(),
            resource: Some(format!("instances/{}", session.instance_id)),
            outcome: Outcome::Success,
            request_id: None,
            details,
        };
        // A console that works is not refused because the audit log failed; the
        // failure is logged loudly instead.
        if let Err(e) = self.audit.record(record).await {
            tracing::error!(error = %e, action, "cannot write the console audit entry");
        }
    }

    /// A cluster registered with an API token on a PVE older than 9.0.13 cannot open
    /// `vncwebsocket`: say so instead of failing obscurely.
    async fn require_console_credentials(
        &self,
        caller: &Principal,
        cluster_id: Uuid,
        pve: &dyn Pve,
    ) -> DomainResult<()> {
        let cluster = self.store.clusters().get(cluster_id).await?;
        if !matches!(
            cluster.config.credentials,
            ClusterCredentials::ApiToken { .. }
        ) {
            return Ok(());
        }
        let version = pve
            .version()
            .await
            .map_err(|e| DomainError::from_pve("tell its version", e).for_caller(caller))?;
        if version_at_least(&version.version, TOKEN_CONSOLE_SINCE) {
            return Ok(());
        }
        Err(DomainError::conflict(
            "console_needs_password",
            format!(
                "Proxmox VE {} opens consoles only for a login, not for an API token \
                 (tokens work from 9.0.13 on): register this cluster with a user and \
                 password, or upgrade Proxmox VE",
                version.version
            ),
        ))
    }
}

/// Why opening a console was refused: the HTTP status and the error's code.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    pub status: u16,
    pub code: &'a str,
}

/// `9.0.13` ≥ `since`? Missing parts count as 0; anything unparsable as too old.
pub(crate) fn version_at_least(version: &str, since: [u64; 3]) -> bool {
    let mut parts = [0u64; 3];
    for (slot, part) in parts.iter_mut().zip(version.split(['.', '-', '~'])) {
        match part.parse() {
            Ok(n) => *slot = n,
            Err(_) => return false,
        }
    }
    parts >= since
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_consoles_need_pve_9_0_13() {
        assert!(version_at_least("9.0.13", TOKEN_CONSOLE_SINCE));
        assert!(version_at_least("9.1.1", TOKEN_CONSOLE_SINCE));
        assert!(version_at_least("10.0", TOKEN_CONSOLE_SINCE));
        assert!(!version_at_least("9.0.12", TOKEN_CONSOLE_SINCE));
        assert!(!version_at_least("8.4.1", TOKEN_CONSOLE_SINCE));
        assert!(!version_at_least("garbage", TOKEN_CONSOLE_SINCE));
    }
}
