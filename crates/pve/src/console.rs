//! Console access: PVE hands out a one-time ticket and port (`termproxy` for a text
//! terminal, `vncproxy` for VNC); the browser then connects to `vncwebsocket`.

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;
use url::Url;

use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::serde_util::{opt_string, opt_u64};
use crate::transport::Transport;
use crate::upid::Upid;

/// The answer of `termproxy` / `vncproxy`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConsoleTicket {
    #[serde(deserialize_with = "opt_u64")]
    pub port: Option<u64>,
    pub ticket: String,
    /// The task that serves the proxy while it is connected.
    pub upid: Upid,
    #[serde(default)]
    pub user: String,
    /// `vncproxy` only: the node's certificate (PEM).
    #[serde(default, deserialize_with = "opt_string")]
    pub cert: Option<String>,
    /// `vncproxy` with `generate_password` only.
    #[serde(default, deserialize_with = "opt_string")]
    pub password: Option<String>,
}

/// Options of `vncproxy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VncProxyOptions {
    /// Prepare for a websocket connection (what noVNC needs).
    pub websocket: bool,
    /// VMs only: return a one-time VNC password.
    pub generate_password: bool,
}

pub(crate) async fn termproxy(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<ConsoleTicket> {
    let path = api_path!("nodes", node, ty, vmid, "termproxy");
    t.post(&path, Params::new()).await
}

pub(crate) async fn vncproxy(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    options: VncProxyOptions,
) -> Result<ConsoleTicket> {
    if options.generate_password && ty == GuestType::Lxc {
        return Err(PveError::InvalidRequest(
            "generate_password applies to VMs only".to_string(),
        ));
    }
    let path = api_path!("nodes", node, ty, vmid, "vncproxy");
    let params = Params::new()
        .flag("websocket", options.websocket)
        .flag("generate-password", options.generate_password);
    t.post(&path, params).await
}

/// The `wss://` URL of `vncwebsocket` for a ticket from `termproxy`/`vncproxy`. The
/// websocket must carry the same credentials as API calls.
pub(crate) fn vnc_websocket_url(
    base: &Url,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    ticket: &ConsoleTicket,
) -> Result<Url> {
    let port = ticket
        .port
        .ok_or_else(|| PveError::InvalidRequest("console ticket has no port".to_string()))?;
    let path = api_path!("nodes", node, ty, vmid, "vncwebsocket");
    let query = Params::new()
        .set("port", port)
        .set("vncticket", ticket.ticket.as_str())
        .to_form();
    let mut url = Url::parse(&format!("{base}api2/json{path}?{query}"))
        .map_err(|e| PveError::InvalidRequest(format!("cannot build websocket URL: {e}")))?;
    let scheme = if url.scheme() == "http" { "ws" } else { "wss" };
    url.set_scheme(scheme)
        .map_err(|()| PveError::InvalidRequest("cannot switch URL to websocket".to_string()))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_url_carries_port_and_escaped_ticket() {
        let ticket: ConsoleTicket = serde_json::from_str(
            r#"{"port":"5900","ticket":"PVEVNC:6568A1C2::abc+/=","user":"root@pam",
                "upid":"UPID:pve1:00001234:00005678:65A1B2C3:vncproxy:100:root@pam:"}"#,
        )
        .unwrap();
        let base = Url::parse("https://pve1:8006/").unwrap();
        let url = vnc_websocket_url(
            &base,
            &NodeName::new("pve1").unwrap(),
            GuestType::Qemu,
            VmId::new(100).unwrap(),
            &ticket,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "wss://pve1:8006/api2/json/nodes/pve1/qemu/100/vncwebsocket?port=5900&vncticket=PVEVNC%3A6568A1C2%3A%3Aabc%2B%2F%3D"
        );
    }
}
