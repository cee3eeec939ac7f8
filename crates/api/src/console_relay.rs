//! Relays a browser's console websocket to the Proxmox console behind it, both ways,
//! until either side closes or nobody typed for the idle timeout. Only the user's own
//! input counts as activity (termproxy `0:` frames, RFB key, pointer and clipboard
//! events): pings, resizes, framebuffer requests and guest output (a blinking cursor)
//! would otherwise keep a forgotten tab's root shell open forever.
//!
//! Back-pressure: each direction reads its next message only after the previous one
//! was handed to the other side's socket (which waits when its bounded write buffer is
//! full), so a slow browser slows the guest's output down rather than making us buffer
//! it; nothing here queues without bound. The closing frames get a few seconds: a
//! browser that stopped reading must not keep the session (and Proxmox's console
//! process) alive after it ended.
//!
//! A VM's screen starts with one text message of ours, `{"vnc_password": "…"}`: the
//! password the VM's VNC server will ask for (its VncAuth challenge), handed to the
//! browser's noVNC over this already authenticated socket, as Proxmox Datacenter
//! Manager hands it over in its own API answer (`domain::console::vnc_password`).
//! Everything after it is RFB from Proxmox, untouched. The password is never logged.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use proxicloud_domain::console::{CloseReason, OpenedConsole};
use proxicloud_pve::{ConsoleMessage, ConsoleProtocol};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

/// Relays until the session ends; why it ended.
pub async fn relay(browser: WebSocket, console: OpenedConsole, idle: Duration) -> CloseReason {
    let (mut to_browser, mut from_browser) = browser.split();
    let (mut to_pve, mut from_pve) = console.socket.split();
    let activity = Arc::new(Notify::new());
    if let Some(password) = &console.vnc_password {
        let preamble = serde_json::json!({ "vnc_password": password.expose_secret() });
        if to_browser
            .send(Message::Text(preamble.to_string().into()))
            .await
            .is_err()
        {
            return CloseReason::Client;
        }
    }
    if !console.leftover.is_empty()
        && to_browser
            .send(Message::Binary(console.leftover.into()))
            .await
            .is_err()
    {
        return CloseReason::Client;
    }

    let upstream = async {
        while let Some(message) = from_browser.next().await {
            let forward = match message {
                Ok(Message::Binary(bytes)) => ConsoleMessage::Binary(bytes),
                Ok(Message::Text(text)) => ConsoleMessage::Text(text.as_str().into()),
                // axum answers pings itself.
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Close(_)) => return CloseReason::Client,
                Err(_) => return CloseReason::Error,
            };
            if is_user_input(console.protocol, &forward) {
                activity.notify_one();
            }
            if to_pve.send(forward).await.is_err() {
                return CloseReason::Guest;
            }
        }
        CloseReason::Client
    };
    let downstream = async {
        while let Some(message) = from_pve.next().await {
            let forward = match message {
                Ok(ConsoleMessage::Binary(bytes)) => Message::Binary(bytes),
                Ok(ConsoleMessage::Text(text)) => Message::Text(text.as_str().into()),
                Ok(ConsoleMessage::Close(_)) => return CloseReason::Guest,
                Err(_) => return CloseReason::Error,
                Ok(_) => continue,
            };
            if to_browser.send(forward).await.is_err() {
                return CloseReason::Client;
            }
        }
        CloseReason::Guest
    };
    let idle_watch = async {
        // A notification stored while nobody waited still counts, so none is missed.
        while tokio::time::timeout(idle, activity.notified())
            .await
            .is_ok()
        {}
        CloseReason::Idle
    };
    let reason = tokio::select! {
        reason = upstream => reason,
        reason = downstream => reason,
        reason = idle_watch => reason,
    };

    let text = match reason {
        CloseReason::Client => "closed by the browser",
        CloseReason::Guest => "the console closed",
        CloseReason::Idle => "closed after a period without activity",
        CloseReason::Error => "the console failed",
    };
    let frame = CloseFrame {
        code: axum::extract::ws::close_code::NORMAL,
        reason: text.into(),
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, to_browser.send(Message::Close(Some(frame)))).await;
    let _ = tokio::time::timeout(CLOSE_GRACE, to_pve.send(ConsoleMessage::Close(None))).await;
    reason
}

/// How long a closing frame may wait for a full socket before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Whether a message from the browser carries something the user did (see the
/// header). A message may hold several protocol messages (a resize, a ping and input
/// in one frame): all of them are looked at.
fn is_user_input(protocol: ConsoleProtocol, message: &ConsoleMessage) -> bool {
    let bytes: &[u8] = match message {
        ConsoleMessage::Binary(bytes) => bytes,
        ConsoleMessage::Text(text) => text.as_bytes(),
        _ => return false,
    };
    match protocol {
        ConsoleProtocol::Termproxy => termproxy_has_input(bytes),
        ConsoleProtocol::Vnc => rfb_has_input(bytes),
    }
}

/// termproxy's client frames: `0:LEN:DATA` input, `1:COLS:ROWS:` resize, `2` ping.
fn termproxy_has_input(mut bytes: &[u8]) -> bool {
    loop {
        match bytes {
            [b'0', b':', ..] => return true,
            [b'1', b':', rest @ ..] => {
                // Past `COLS:ROWS:`.
                let mut colons = rest.iter().enumerate().filter(|(_, b)| **b == b':');
                match colons.nth(1) {
                    Some((at, _)) => bytes = &rest[at + 1..],
                    None => return false,
                }
            }
            [b'2', rest @ ..] => bytes = rest,
            _ => return false,
        }
    }
}

/// RFB client-to-server messages after the handshake (RFC 6143 §7.5): key (4),
/// pointer (5) and clipboard (6) events are the user's; pixel format (0), encodings
/// (2) and update requests (3) are the viewer's own. The handshake's bytes (version,
/// security type, ClientInit) are none of these and do not count.
fn rfb_has_input(mut bytes: &[u8]) -> bool {
    while let Some(&kind) = bytes.first() {
        let len = match kind {
            4..=6 => return true,
            0 => 20,
            2 if bytes.len() >= 4 => 4 + 4 * usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
            3 => 10,
            _ => return false,
        };
        match bytes.get(len..) {
            Some(rest) => bytes = rest,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(bytes: &[u8]) -> ConsoleMessage {
        ConsoleMessage::Binary(bytes.to_vec().into())
    }

    #[test]
    fn only_typing_counts_as_activity_in_a_terminal() {
        let input = |bytes: &[u8]| is_user_input(ConsoleProtocol::Termproxy, &binary(bytes));
        assert!(input(b"0:1:a"));
        assert!(!input(b"2"), "a ping");
        assert!(!input(b"1:80:24:"), "a resize");
        assert!(
            input(b"1:80:24:20:3:abc"),
            "a resize, a ping and input in one frame"
        );
        assert!(!input(b"1:80:24:2"));
        assert!(!input(b"1:80"), "cut short");
        assert!(!input(b""));
    }

    #[test]
    fn only_keys_pointer_and_clipboard_count_as_activity_on_a_screen() {
        let input = |bytes: &[u8]| is_user_input(ConsoleProtocol::Vnc, &binary(bytes));
        let update_request = [3u8, 1, 0, 0, 0, 0, 2, 128, 1, 144];
        let key = [4u8, 1, 0, 0, 0, 0, 0, 0x61];
        let encodings = [2u8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1];
        assert!(!input(&update_request), "the viewer asking for frames");
        assert!(!input(&encodings));
        assert!(!input(b"RFB 003.008\n"), "the handshake");
        assert!(input(&key));
        assert!(input(&[5u8, 0, 0, 10, 0, 20]), "the pointer");
        assert!(
            input(&[update_request.as_slice(), &encodings, &key].concat()),
            "key after requests"
        );
        assert!(!input(&update_request[..5]), "cut short");
    }
}
