//! Relays a browser's console websocket to the Proxmox console behind it, both ways,
//! until either side closes or nobody typed or saw anything for the idle timeout.
//!
//! Back-pressure: each direction reads its next message only after the previous one
//! was handed to the other side's socket (which waits when its bounded write buffer is
//! full), so a slow browser slows the guest's output down rather than making us buffer
//! it; nothing here queues without bound.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use proxicloud_domain::console::{CloseReason, OpenedConsole};
use proxicloud_pve::ConsoleMessage;
use tokio::sync::Notify;

/// Relays until the session ends; why it ended.
pub async fn relay(browser: WebSocket, console: OpenedConsole, idle: Duration) -> CloseReason {
    let (mut to_browser, mut from_browser) = browser.split();
    let (mut to_pve, mut from_pve) = console.socket.split();
    let activity = Arc::new(Notify::new());
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
                Ok(Message::Close(_)) | Err(_) => return CloseReason::Client,
            };
            activity.notify_one();
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
                Ok(ConsoleMessage::Close(_)) | Err(_) => return CloseReason::Guest,
                Ok(_) => continue,
            };
            activity.notify_one();
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
    let _ = to_browser.send(Message::Close(Some(frame))).await;
    let _ = to_pve.send(ConsoleMessage::Close(None)).await;
    reason
}
