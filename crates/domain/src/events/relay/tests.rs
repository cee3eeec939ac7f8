//! Two replicas' relays over an in-memory stand-in for `LISTEN/NOTIFY` (the real one
//! is covered by the store conformance suite and `cli/tests/replicas.rs`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_store::{Coordination, Heard, Leadership, Listener, Result};
use serde_json::json;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::*;

/// One database's notification channels (the channel name is ignored: there is one).
struct Wire {
    sent: broadcast::Sender<Heard>,
    listeners: watch::Sender<usize>,
}

impl Wire {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            sent: broadcast::channel(64).0,
            listeners: watch::channel(0).0,
        })
    }

    async fn listening(&self, count: usize) {
        let mut listeners = self.listeners.subscribe();
        listeners.wait_for(|n| *n >= count).await.unwrap();
    }

    /// The database connection of every listener dropped and came back.
    fn gap(&self) {
        let _ = self.sent.send(Heard::Gap);
    }
}

struct WireListener(broadcast::Receiver<Heard>);

#[async_trait]
impl Listener for WireListener {
    async fn recv(&mut self) -> Result<Heard> {
        Ok(self.0.recv().await.expect("the wire stays open"))
    }
}

#[async_trait]
impl Coordination for Wire {
    async fn try_lead(&self, name: &str) -> Result<Option<Box<dyn Leadership>>> {
        proxicloud_store::SingleProcess.try_lead(name).await
    }

    async fn notify(&self, _channel: &str, payload: &str) -> Result<()> {
        assert!(payload.len() <= MAX_NOTIFY_PAYLOAD, "oversized NOTIFY");
        let _ = self.sent.send(Heard::Message(payload.to_owned()));
        Ok(())
    }

    async fn listen(&self, _channel: &str) -> Result<Box<dyn Listener>> {
        let listener = WireListener(self.sent.subscribe());
        self.listeners.send_modify(|n| *n += 1);
        Ok(Box::new(listener))
    }
}

struct Replica {
    bus: Arc<EventBus>,
    events: broadcast::Receiver<Arc<Event>>,
}

/// Starts one relay per replica on `wire` and waits until all listen.
async fn replicas(wire: &Arc<Wire>, count: usize, stop: &CancellationToken) -> Vec<Replica> {
    let mut replicas = Vec::new();
    for _ in 0..count {
        let bus = Arc::new(EventBus::new());
        let relay = EventRelay::with_coordination(wire.clone(), bus.clone(), true);
        let ctx = WorkerContext::detached(stop.child_token());
        tokio::spawn(async move { relay.run(ctx).await });
        let (_, events) = bus.subscribe(None);
        replicas.push(Replica { bus, events });
    }
    wire.listening(count).await;
    replicas
}

async fn next(replica: &mut Replica) -> Arc<Event> {
    tokio::time::timeout(Duration::from_secs(5), replica.events.recv())
        .await
        .expect("an event arrives")
        .unwrap()
}

#[tokio::test]
async fn events_published_on_one_replica_reach_the_others_once() {
    let wire = Wire::new();
    let stop = CancellationToken::new();
    let mut replicas = replicas(&wire, 2, &stop).await;
    let owner = Audience::Owner(Some("alice".into()));
    replicas[1].bus.publish(
        "job.updated",
        owner.clone(),
        json!({"id": "j1", "status": "succeeded"}),
    );
    replicas[0]
        .bus
        .publish("instance.changed", Audience::Everyone, json!({"vmid": 100}));

    // A sees B's job, as B's own subscribers do, then its own event exactly once.
    let on_a = next(&mut replicas[0]).await;
    let on_a_2 = next(&mut replicas[0]).await;
    let kinds_on_a = [on_a.kind.as_str(), on_a_2.kind.as_str()];
    assert!(kinds_on_a.contains(&"job.updated") && kinds_on_a.contains(&"instance.changed"));
    let job = if on_a.kind == "job.updated" {
        &on_a
    } else {
        &on_a_2
    };
    assert_eq!(job.audience, owner);
    assert_eq!(job.data, json!({"id": "j1", "status": "succeeded"}));
    assert!(job.relayed);
    // B: its own job, then A's instance change; nothing comes back twice.
    assert_eq!(next(&mut replicas[1]).await.kind, "job.updated");
    assert_eq!(next(&mut replicas[1]).await.kind, "instance.changed");
    replicas[0]
        .bus
        .publish("marker", Audience::Everyone, json!(null));
    assert_eq!(next(&mut replicas[1]).await.kind, "marker");
    assert_eq!(next(&mut replicas[0]).await.kind, "marker");
    stop.cancel();
}

#[tokio::test]
async fn an_event_too_large_to_notify_becomes_a_reload_for_its_audience() {
    let wire = Wire::new();
    let stop = CancellationToken::new();
    let mut replicas = replicas(&wire, 2, &stop).await;
    let owner = Audience::Owner(Some("bob".into()));
    let huge = json!({ "log": "x".repeat(MAX_NOTIFY_PAYLOAD) });
    replicas[0]
        .bus
        .publish("job.updated", owner.clone(), huge.clone());

    let local = next(&mut replicas[0]).await;
    assert_eq!(
        (local.kind.as_str(), &local.data),
        ("job.updated", &huge),
        "local subscribers get it whole"
    );
    let remote = next(&mut replicas[1]).await;
    assert_eq!(remote.kind, "reload");
    assert_eq!(
        remote.audience, owner,
        "only those who could see the event reload"
    );
    assert_eq!(
        remote.data,
        json!({"reason": "too_large", "kind": "job.updated"})
    );
    stop.cancel();
}

#[tokio::test]
async fn a_lost_listening_connection_tells_every_client_to_reload() {
    let wire = Wire::new();
    let stop = CancellationToken::new();
    let mut replicas = replicas(&wire, 1, &stop).await;
    wire.gap();
    let event = next(&mut replicas[0]).await;
    assert_eq!(
        (event.kind.as_str(), &event.audience),
        ("reload", &Audience::Everyone)
    );
    stop.cancel();
}
