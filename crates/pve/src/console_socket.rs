//! The websocket behind `vncwebsocket`, opened by us (not by a browser): TCP, TLS with
//! the cluster's own trust settings (pinned fingerprints, its CA, …), the upgrade
//! carrying the same credentials as API calls, then — for a `termproxy` console —
//! termproxy's `USER:TICKET\n` handshake answered `OK` (proxmox/pve-xtermjs
//! termproxy/src/main.rs `read_ticket_line`; Proxmox Datacenter Manager sends the same
//! preamble from the server, server/src/api/remotes/shell.rs). What flows afterwards is
//! the console's own protocol, relayed as is.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use crate::auth::AuthHeaders;
use crate::console::ConsoleTicket;
use crate::error::{PveError, Result};
use crate::transport::Transport;

/// A byte stream a console websocket runs on (TLS or, for `http://` clusters, plain TCP).
pub trait ConsoleIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ConsoleIo for T {}

/// An open console: websocket messages to and from the guest's console.
pub type ConsoleSocket = WebSocketStream<Box<dyn ConsoleIo>>;
pub use tokio_tungstenite::tungstenite::Message as ConsoleMessage;

/// A console ready for relaying. `leftover` is console output that arrived in the same
/// message as termproxy's `OK` (pveproxy frames whatever it read from the socket).
pub struct OpenConsole {
    pub socket: ConsoleSocket,
    pub leftover: Vec<u8>,
}

impl std::fmt::Debug for OpenConsole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenConsole")
            .field("leftover", &self.leftover.len())
            .finish_non_exhaustive()
    }
}

/// Which protocol the console speaks, which decides the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleProtocol {
    /// From `termproxy`: the ticket line first, then `0:LEN:DATA` / `1:COLS:ROWS:` / `2`.
    Termproxy,
    /// From `vncproxy`: RFB from the first byte.
    Vnc,
}

/// Largest message accepted from PVE; a full-screen raw VNC update of a 1920×1200
/// 32-bit screen is ~9 MiB.
const MAX_MESSAGE: usize = 16 << 20;
/// What may sit unsent towards PVE before a send waits (back-pressure, not a queue).
const MAX_WRITE_BUFFER: usize = 1 << 20;
/// termproxy gives the client 10 s to authenticate; we wait as long for its `OK`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn ws_error(e: tungstenite::Error) -> PveError {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let message = format!(
                "console websocket refused: {} {}",
                status,
                response.status().canonical_reason().unwrap_or("")
            );
            match status {
                401 => PveError::Unauthorized { message },
                403 => PveError::Forbidden { message },
                _ => PveError::Server { status, message },
            }
        }
        other => PveError::Connection {
            message: format!("console websocket: {other}"),
        },
    }
}

impl Transport {
    /// Opens `url` (from `vnc_websocket_url`) and completes the console's handshake,
    /// all of it within the request timeout: a node that accepts TCP and then stalls
    /// (TLS, the upgrade) must not hold the browser's request and the ticket forever.
    pub(crate) async fn open_console(
        &self,
        url: &Url,
        ticket: &ConsoleTicket,
        protocol: ConsoleProtocol,
    ) -> Result<OpenConsole> {
        tokio::time::timeout(
            self.timeouts.request,
            self.open_console_now(url, ticket, protocol),
        )
        .await
        .map_err(|_| PveError::Timeout {
            what: "opening the console".to_string(),
        })?
    }

    async fn open_console_now(
        &self,
        url: &Url,
        ticket: &ConsoleTicket,
        protocol: ConsoleProtocol,
    ) -> Result<OpenConsole> {
        let host = url
            .host_str()
            .ok_or_else(|| PveError::InvalidRequest("console URL has no host".to_string()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(crate::DEFAULT_PORT);
        let connect = TcpStream::connect((host.as_str(), port));
        let tcp = tokio::time::timeout(self.timeouts.connect, connect)
            .await
            .map_err(|_| PveError::Timeout {
                what: format!("connecting to {host}:{port}"),
            })?
            .map_err(|e| PveError::Connection {
                message: format!("cannot connect to {host}:{port}: {e}"),
            })?;
        let io: Box<dyn ConsoleIo> = if url.scheme() == "wss" {
            let name = ServerName::try_from(host.clone())
                .map_err(|e| PveError::InvalidRequest(format!("bad host {host}: {e}")))?;
            let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.websocket_tls));
            Box::new(
                connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| PveError::Tls {
                        message: crate::tls::tls_failure(&e).unwrap_or_else(|| e.to_string()),
                    })?,
            )
        } else {
            Box::new(tcp)
        };
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| PveError::InvalidRequest(format!("console URL: {e}")))?;
        let auth = self.auth_headers().await?;
        let headers = request.headers_mut();
        let header = |v: String| {
            v.parse()
                .map_err(|_| PveError::InvalidRequest("credential not a header value".into()))
        };
        match &auth {
            AuthHeaders::None => {}
            AuthHeaders::Token(value) => {
                headers.insert("authorization", header(value.expose().to_string())?);
            }
            AuthHeaders::Ticket { ticket, .. } => {
                headers.insert(
                    "cookie",
                    header(format!("PVEAuthCookie={}", ticket.expose()))?,
                );
            }
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE))
            .max_write_buffer_size(MAX_WRITE_BUFFER);
        let (mut socket, _response) =
            tokio_tungstenite::client_async_with_config(request, io, Some(config))
                .await
                .map_err(ws_error)?;
        let leftover = if protocol == ConsoleProtocol::Termproxy {
            termproxy_login(&mut socket, ticket).await?
        } else {
            Vec::new()
        };
        Ok(OpenConsole { socket, leftover })
    }
}

/// Sends `USER:TICKET\n` and waits for termproxy's `OK`.
async fn termproxy_login(socket: &mut ConsoleSocket, ticket: &ConsoleTicket) -> Result<Vec<u8>> {
    let line = format!("{}:{}\n", ticket.user, ticket.ticket);
    socket
        .send(Message::Binary(line.into_bytes().into()))
        .await
        .map_err(ws_error)?;
    let refused = || PveError::Unauthorized {
        message: "the console refused its ticket".to_string(),
    };
    let answer = tokio::time::timeout(HANDSHAKE_TIMEOUT, socket.next())
        .await
        .map_err(|_| PveError::Timeout {
            what: "the console's answer to its ticket".to_string(),
        })?;
    match answer {
        Some(Ok(Message::Binary(bytes))) if bytes.starts_with(b"OK") => Ok(bytes[2..].to_vec()),
        Some(Ok(Message::Text(text))) if text.as_str().starts_with("OK") => {
            Ok(text.as_bytes()[2..].to_vec())
        }
        Some(Err(e)) => Err(ws_error(e)),
        _ => Err(refused()),
    }
}
