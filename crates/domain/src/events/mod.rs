//! The event bus behind `GET /api/v1/events`: job progress, inventory changes and
//! cluster freshness, each tagged with who may see it. A short replay buffer lets
//! a reconnecting client (`Last-Event-ID`) catch up without a full reload.
//!
//! With several replicas, [`relay`] carries every event published here to the buses of
//! the others (PostgreSQL `LISTEN/NOTIFY`), so a browser sees the work of any replica.
//! A new event source just publishes on its local bus.

mod relay;

pub use relay::{EventRelay, RELAY_CHANNEL};

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

/// How many recent events are kept for reconnecting clients.
const REPLAY_LEN: usize = 1024;
/// Per-subscriber queue; a client slower than this misses events and is told so.
const CHANNEL_LEN: usize = 4096;

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "owner_id", rename_all = "snake_case")]
pub enum Audience {
    /// Every signed-in user (cluster freshness, for example).
    Everyone,
    /// The owner of the resource and admins; `None` is an unmanaged resource (admins only).
    Owner(Option<String>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Monotonic per process; sent as the SSE `id`.
    pub id: u64,
    /// `job.updated`, `instance.appeared`, `instance.changed`, `instance.disappeared`, `cluster.status`, …
    pub kind: String,
    #[serde(skip)]
    pub audience: Audience,
    pub data: serde_json::Value,
    /// Received from another replica (so not to be relayed again).
    #[serde(skip)]
    pub relayed: bool,
}

impl Event {
    pub fn visible_to(&self, user_id: &str, is_admin: bool) -> bool {
        match &self.audience {
            Audience::Everyone => true,
            Audience::Owner(owner) => is_admin || owner.as_deref() == Some(user_id),
        }
    }
}

pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
    /// Set when the server shuts down, so long-lived streams end and let it stop.
    closing: watch::Sender<bool>,
    next_id: AtomicU64,
    recent: Mutex<VecDeque<Arc<Event>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_LEN);
        Self {
            sender,
            closing: watch::channel(false).0,
            next_id: AtomicU64::new(1),
            recent: Mutex::new(VecDeque::with_capacity(REPLAY_LEN)),
        }
    }

    /// Ends every stream: graceful shutdown waits for open connections, and an
    /// event stream would otherwise stay open forever.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`EventBus::close`] has been called (at once if it was).
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    pub fn publish(&self, kind: &str, audience: Audience, data: serde_json::Value) {
        self.push(kind, audience, data, false);
    }

    /// Publishes an event received from another replica: delivered like any other,
    /// but marked so that the relay does not send it back out.
    pub fn publish_relayed(&self, kind: &str, audience: Audience, data: serde_json::Value) {
        self.push(kind, audience, data, true);
    }

    fn push(&self, kind: &str, audience: Audience, data: serde_json::Value, relayed: bool) {
        // Ids are assigned under the replay lock so the buffer stays in id order.
        let mut recent = self.recent.lock();
        let event = Arc::new(Event {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            kind: kind.to_string(),
            audience,
            data,
            relayed,
        });
        if recent.len() == REPLAY_LEN {
            recent.pop_front();
        }
        recent.push_back(event.clone());
        // No subscribers is normal (nobody has the console open).
        let _ = self.sender.send(event);
    }

    /// Subscribe, first replaying buffered events newer than `last_seen` (the
    /// client's `Last-Event-ID`). Returns `None` for the replay when the client is
    /// too far behind and must reload instead.
    pub fn subscribe(
        &self,
        last_seen: Option<u64>,
    ) -> (Option<Vec<Arc<Event>>>, broadcast::Receiver<Arc<Event>>) {
        let recent = self.recent.lock();
        let receiver = self.sender.subscribe();
        let replay = match last_seen {
            None => Some(Vec::new()),
            Some(seen) => {
                let oldest = recent.front().map_or(u64::MAX, |e| e.id);
                let next = self.next_id.load(Ordering::Relaxed);
                if seen + 1 < oldest && seen + 1 < next {
                    None
                } else {
                    Some(recent.iter().filter(|e| e.id > seen).cloned().collect())
                }
            }
        };
        (replay, receiver)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owners_and_admins_see_owned_events_others_do_not() {
        let bus = EventBus::new();
        bus.publish(
            "job.updated",
            Audience::Owner(Some("alice".into())),
            json!({}),
        );
        bus.publish("instance.appeared", Audience::Owner(None), json!({}));
        bus.publish("cluster.status", Audience::Everyone, json!({}));
        let (replay, _) = bus.subscribe(Some(0));
        let events = replay.unwrap();
        let seen = |user: &str, admin: bool| -> Vec<&str> {
            events
                .iter()
                .filter(|e| e.visible_to(user, admin))
                .map(|e| e.kind.as_str())
                .collect()
        };
        assert_eq!(seen("alice", false), ["job.updated", "cluster.status"]);
        assert_eq!(seen("bob", false), ["cluster.status"]);
        assert_eq!(seen("root", true).len(), 3);
    }

    #[tokio::test]
    async fn live_subscribers_receive_events_in_order() {
        let bus = EventBus::new();
        let (_, mut rx) = bus.subscribe(None);
        bus.publish("a", Audience::Everyone, json!(1));
        bus.publish("b", Audience::Everyone, json!(2));
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        assert_eq!((first.kind.as_str(), second.kind.as_str()), ("a", "b"));
        assert!(second.id > first.id);
    }

    #[tokio::test]
    async fn closing_the_bus_wakes_every_waiter_even_late_ones() {
        let bus = EventBus::new();
        let early = tokio::spawn(bus.closed());
        bus.close();
        early.await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), bus.closed())
            .await
            .expect("a waiter arriving after close resolves at once");
    }

    #[test]
    fn reconnecting_client_gets_what_it_missed_or_is_told_to_reload() {
        let bus = EventBus::new();
        for i in 0..(REPLAY_LEN as u64 + 10) {
            bus.publish("tick", Audience::Everyone, json!(i));
        }
        let last = REPLAY_LEN as u64 + 10;
        let (replay, _) = bus.subscribe(Some(last - 3));
        let ids: Vec<u64> = replay.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, [last - 2, last - 1, last]);
        let (too_old, _) = bus.subscribe(Some(1));
        assert!(
            too_old.is_none(),
            "events 2..10 were dropped from the buffer"
        );
    }
}
