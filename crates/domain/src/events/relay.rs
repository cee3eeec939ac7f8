//! The event relay: every event published on this replica's bus goes out on the
//! database's `LISTEN/NOTIFY` channel, and every event another replica sent comes in
//! and is published on this bus — so a browser connected to replica A sees the job
//! replica B runs. A `Replica`-scoped background worker (`events.relay`); on SQLite,
//! where there is one process, it idles.
//!
//! Delivery is best effort, like the bus itself, and a gap is never silent: whenever
//! events are known to be lost, the subscribers concerned get a `reload` event (the
//! same one a lagging SSE client gets), telling the console to re-read what it shows:
//! - an event whose envelope would exceed NOTIFY's payload limit
//!   ([`MAX_NOTIFY_PAYLOAD`]) is sent as a `reload` for the same audience instead;
//! - when this replica's listening connection was lost and re-established, or the relay
//!   fell behind the local bus, everyone gets a `reload`.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_store::{Backend, Coordination, Heard, MAX_NOTIFY_PAYLOAD, Store, Uuid};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::{Audience, Event, EventBus};
use crate::workers::{BackgroundWorker, StoreCoordination, WorkerContext, WorkerScope};

/// The NOTIFY channel of the relay (namespaced per database schema by the store).
pub const RELAY_CHANNEL: &str = "proxicloud_events";
/// The event kind that tells a client to re-read everything.
const RELOAD: &str = "reload";

/// What travels on the channel.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<'a> {
    /// The sending replica, so that it can skip its own events (NOTIFY reaches the
    /// sender's listener too).
    origin: Cow<'a, str>,
    kind: Cow<'a, str>,
    audience: Cow<'a, Audience>,
    data: Cow<'a, serde_json::Value>,
}

pub struct EventRelay {
    coordination: Arc<dyn Coordination>,
    bus: Arc<EventBus>,
    /// Random per process: a restarted replica is a new origin.
    origin: String,
    enabled: bool,
}

impl EventRelay {
    /// The relay of this process's `bus` over `store` (idle on SQLite).
    pub fn new(store: Arc<dyn Store>, bus: Arc<EventBus>) -> Self {
        let enabled = store.backend() == Backend::Postgres;
        Self::with_coordination(Arc::new(StoreCoordination(store)), bus, enabled)
    }

    pub(crate) fn with_coordination(
        coordination: Arc<dyn Coordination>,
        bus: Arc<EventBus>,
        enabled: bool,
    ) -> Self {
        Self {
            coordination,
            bus,
            origin: Uuid::now_v7().simple().to_string(),
            enabled,
        }
    }

    /// What goes on the wire for `event`: the event itself, or a `reload` for its
    /// audience when it is too large for one notification.
    fn encode(&self, event: &Event) -> String {
        let envelope = Envelope {
            origin: Cow::Borrowed(&self.origin),
            kind: Cow::Borrowed(&event.kind),
            audience: Cow::Borrowed(&event.audience),
            data: Cow::Borrowed(&event.data),
        };
        let payload = serde_json::to_string(&envelope).expect("events serialize");
        if payload.len() <= MAX_NOTIFY_PAYLOAD {
            return payload;
        }
        tracing::warn!(kind = %event.kind, bytes = payload.len(), "event too large to relay; other replicas' clients reload instead");
        let reload = Envelope {
            kind: Cow::Borrowed(RELOAD),
            data: Cow::Owned(json!({ "reason": "too_large", "kind": event.kind })),
            ..envelope
        };
        serde_json::to_string(&reload).expect("events serialize")
    }

    async fn send(&self, event: &Event, ctx: &WorkerContext) {
        let payload = self.encode(event);
        if let Err(error) = self.coordination.notify(RELAY_CHANNEL, &payload).await {
            tracing::warn!(kind = %event.kind, %error, "cannot relay an event to the other replicas");
            ctx.record_run(Err(format!("cannot relay an event: {error}")), None);
        }
    }

    fn receive(&self, payload: &str) {
        match serde_json::from_str::<Envelope<'_>>(payload) {
            Ok(envelope) if envelope.origin == self.origin => {}
            Ok(envelope) => self.bus.publish_relayed(
                &envelope.kind,
                envelope.audience.into_owned(),
                envelope.data.into_owned(),
            ),
            Err(error) => tracing::warn!(%error, "ignoring a malformed relayed event"),
        }
    }

    fn reload_everyone(&self, reason: &str) {
        self.bus
            .publish_relayed(RELOAD, Audience::Everyone, json!({ "reason": reason }));
    }
}

#[async_trait]
impl BackgroundWorker for EventRelay {
    fn name(&self) -> &str {
        "events.relay"
    }

    fn scope(&self) -> WorkerScope {
        WorkerScope::Replica
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        if !self.enabled {
            ctx.cancelled().await;
            return Ok(());
        }
        // Subscribe before listening: nothing published meanwhile is lost locally.
        let (_, mut local) = self.bus.subscribe(None);
        let mut remote = self
            .coordination
            .listen(RELAY_CHANNEL)
            .await
            .map_err(|e| format!("cannot listen for other replicas' events: {e}"))?;
        ctx.record_run(Ok(()), None);
        loop {
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                event = local.recv() => match event {
                    Ok(event) if !event.relayed => self.send(&event, &ctx).await,
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "event relay fell behind; other replicas' clients reload");
                        self.send(&lagged_reload(), &ctx).await;
                    }
                    Err(RecvError::Closed) => return Ok(()),
                },
                heard = remote.recv() => match heard {
                    Ok(Heard::Message(payload)) => self.receive(&payload),
                    Ok(Heard::Gap) => {
                        tracing::warn!("event relay reconnected; clients reload");
                        self.reload_everyone("reconnected");
                    }
                    // The supervisor restarts the relay after a back-off; whatever the
                    // others send until then is lost, so clients re-read now.
                    Err(error) => {
                        self.reload_everyone("disconnected");
                        return Err(format!("lost the other replicas' events: {error}"));
                    }
                },
            }
        }
    }
}

fn lagged_reload() -> Event {
    Event {
        id: 0,
        kind: RELOAD.into(),
        audience: Audience::Everyone,
        data: json!({ "reason": "lagged" }),
        relayed: false,
    }
}

#[cfg(test)]
mod tests;
