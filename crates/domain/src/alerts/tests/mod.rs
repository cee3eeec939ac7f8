//! The evaluator's state machine with a controlled clock, on a real (SQLite) store:
//! every transition, deduplication, silences, maintenance (a job of ours on the
//! guest), signals. The API's tests cover the routes and their authorization.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{
    AlertResource, AlertRuleFields, AlertState, ClusterConfig, ClusterCredentials, ClusterHealth,
    ClusterStatus, GuestObservation, InventorySnapshot, JobActor, JobOutcome, JobStep, NewJob,
    NewSilence, NewUser, NodeObservation, Role, Store, Timestamp, Uuid,
};

use super::rule::Builtin;
use super::*;

mod signals;

const MINUTE: Duration = Duration::from_secs(60);

struct Fixture {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
    evaluator: AlertEvaluator,
    signals: Arc<AlertSignals>,
    cluster: Uuid,
    t0: Timestamp,
}

fn guest(vmid: u32, name: &str, status: &str) -> GuestObservation {
    GuestObservation {
        vmid: VmId::new(vmid).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Lxc,
        name: name.into(),
        status: status.into(),
        cpus: 1.0,
        maxmem: 1 << 30,
        mem: 1 << 28,
        maxdisk: 100 << 20,
        disk: 50 << 20,
        uptime: 10,
        template: false,
        lock: None,
        tags: Some("prod;web".into()),
        activity: Default::default(),
    }
}

fn node(status: &str) -> NodeObservation {
    NodeObservation {
        name: "pve1".into(),
        status: status.into(),
        cpu: 0.1,
        maxcpu: 4,
        mem: 1 << 30,
        maxmem: 8 << 30,
        uptime: 100,
    }
}

impl Fixture {
    async fn new() -> Self {
        let store = proxicloud_store::connect("sqlite::memory:").await.unwrap();
        let cluster = store
            .clusters()
            .create(ClusterConfig {
                name: "home".into(),
                addresses: vec!["10.0.0.1".into()],
                credentials: ClusterCredentials::ApiToken {
                    token_id: "root@pam!t".into(),
                },
                secret_ciphertext: vec![1],
                tls_fingerprint: None,
                ca_pem: None,
                verify_tls: true,
            })
            .await
            .unwrap()
            .id;
        let events = Arc::new(EventBus::new());
        let signals = Arc::new(AlertSignals::new(store.clone(), events.clone()));
        Self {
            evaluator: AlertEvaluator::new(store.clone(), events.clone(), signals.clone()),
            signals,
            store,
            events,
            cluster,
            // 2026-01-01T00:00:00Z
            t0: Timestamp::from_unix_micros(1_767_225_600_000_000).unwrap(),
        }
    }

    fn at(&self, minutes: u64) -> Timestamp {
        self.t0 + MINUTE * minutes as u32
    }

    async fn user(&self, name: &str, role: Role) -> Uuid {
        self.store
            .users()
            .create(NewUser {
                username: name.into(),
                password_hash: "x".into(),
                role,
                disabled: false,
            })
            .await
            .unwrap()
            .id
    }

    /// Mirrors these guests (and one node) as one inventory poll would; returns the
    /// guest ids in vmid order.
    async fn mirror(&self, guests: Vec<GuestObservation>, node_status: &str) -> Vec<Uuid> {
        let snapshot = InventorySnapshot {
            observed_at: Timestamp::now(),
            nodes: vec![node(node_status)],
            storages: Vec::new(),
            guests: guests.clone(),
        };
        self.store
            .inventory()
            .sync(self.cluster, &snapshot)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for g in guests {
            let found = self
                .store
                .guests()
                .find_by_vmid(self.cluster, g.vmid)
                .await
                .unwrap()
                .unwrap();
            ids.push(found.id);
        }
        ids
    }

    async fn rule(&self, builtin: Builtin) -> proxicloud_store::AlertRule {
        self.store
            .alerts()
            .list_rules(None)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.builtin.as_deref() == Some(builtin.as_str()))
            .unwrap()
    }

    async fn set_enabled(&self, builtin: Builtin, enabled: bool) {
        let rule = self.rule(builtin).await;
        let mut fields = AlertRuleFields::from(&rule);
        fields.enabled = enabled;
        self.store
            .alerts()
            .update_rule(rule.id, &fields, self.t0)
            .await
            .unwrap();
    }

    /// Only the named built-ins stay enabled, so each test sees its own rules' alerts.
    async fn only(&self, builtins: &[Builtin]) {
        for b in Builtin::ALL {
            self.set_enabled(*b, builtins.contains(b)).await;
        }
    }

    /// Every alert, newest first: (rule name, resource id, state, silenced).
    async fn alerts(&self) -> Vec<(String, String, AlertState, bool)> {
        let filter = proxicloud_store::AlertFilter {
            limit: 100,
            ..Default::default()
        };
        self.store
            .alerts()
            .list_alerts(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.rule_name, a.resource.id, a.state, a.silenced))
            .collect()
    }

    async fn job_on(&self, instance: Uuid, kind: &str) -> Uuid {
        let mut job = NewJob::new(
            kind,
            JobActor::System {
                name: "test".into(),
            },
            vec![JobStep::pending("one")],
        );
        job.resource_kind = Some("instance".into());
        job.resource_id = Some(instance.to_string());
        self.store.jobs().create(job).await.unwrap().job.id
    }

    /// Claims the oldest queued job and ends it at `at`.
    async fn finish_next(&self, outcome: JobOutcome, at: Timestamp) {
        let job = self
            .store
            .jobs()
            .claim_next("w", at, MINUTE)
            .await
            .unwrap()
            .expect("a queued job");
        self.store
            .jobs()
            .finish(job.id, "w", outcome, at)
            .await
            .unwrap();
    }
}

fn cpu_rule(owner_scope: &str, scope_value: Option<String>) -> AlertRuleFields {
    AlertRuleFields {
        name: "cpu high".into(),
        metric: "cpu_percent".into(),
        comparison: "gt".into(),
        threshold: 80.0,
        for_seconds: 300,
        scope_kind: owner_scope.into(),
        scope_value,
        severity: "warning".into(),
        enabled: true,
    }
}

fn busy(mut g: GuestObservation, cpu: f64) -> GuestObservation {
    g.activity.cpu = cpu;
    g
}

#[tokio::test]
async fn a_threshold_goes_pending_then_firing_then_resolved_once_per_resource() {
    let f = Fixture::new().await;
    f.only(&[]).await;
    let admin = f.user("root", Role::Admin).await;
    f.store
        .alerts()
        .insert_rule(admin, &cpu_rule("tag", Some("PROD".into())), f.t0)
        .await
        .unwrap();
    let (_, mut live) = f.events.subscribe(None);
    let web = guest(100, "web", "running");
    let ids = f.mirror(vec![busy(web.clone(), 0.95)], "online").await;

    let report = f.evaluator.evaluate(f.at(0)).await.unwrap();
    assert_eq!(report.pending, 1);
    let id = ids[0].to_string();
    assert_eq!(
        f.alerts().await,
        [("cpu high".into(), id.clone(), AlertState::Pending, false)]
    );
    // Still over the threshold, not yet for 5 minutes: pending, no second alert.
    assert_eq!(
        f.evaluator.evaluate(f.at(4)).await.unwrap(),
        EvaluationReport::default()
    );
    let report = f.evaluator.evaluate(f.at(5)).await.unwrap();
    assert_eq!(report.fired, 1);
    let firing = f.store.alerts().open_alerts().await.unwrap();
    assert_eq!(firing.len(), 1);
    assert_eq!(firing[0].fired_at, Some(f.at(5)));
    assert_eq!(firing[0].value, Some(95.0));
    assert!(
        firing[0].message.contains("cpu_percent is 95.0 (> 80)"),
        "{}",
        firing[0].message
    );
    let event = live.try_recv().unwrap();
    assert_eq!(event.kind, "alert.updated");
    assert_eq!(event.data["state"], "firing");

    f.mirror(vec![busy(web.clone(), 0.10)], "online").await;
    let report = f.evaluator.evaluate(f.at(6)).await.unwrap();
    assert_eq!(report.resolved, 1);
    let filter = proxicloud_store::AlertFilter {
        limit: 10,
        ..Default::default()
    };
    let history = f.store.alerts().list_alerts(&filter).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].state, AlertState::Resolved);
    assert_eq!(history[0].resolved_at, Some(f.at(6)));
    assert_eq!(live.try_recv().unwrap().data["state"], "resolved");

    // Over again: a new alert, the old one stays history. Back under before 5
    // minutes: the pending alert is dropped and leaves no trace.
    f.mirror(vec![busy(web.clone(), 0.90)], "online").await;
    assert_eq!(f.evaluator.evaluate(f.at(10)).await.unwrap().pending, 1);
    f.mirror(vec![busy(web, 0.20)], "online").await;
    assert_eq!(f.evaluator.evaluate(f.at(12)).await.unwrap().dropped, 1);
    assert_eq!(f.alerts().await.len(), 1);
}

#[tokio::test]
async fn an_operators_rule_watches_only_their_own_instances() {
    let f = Fixture::new().await;
    f.only(&[]).await;
    let alice = f.user("alice", Role::Operator).await;
    let ids = f
        .mirror(
            vec![
                busy(guest(100, "hers", "running"), 0.9),
                busy(guest(101, "not-hers", "running"), 0.9),
            ],
            "online",
        )
        .await;
    f.store
        .guests()
        .set_owner(ids[0], Some(alice))
        .await
        .unwrap();
    let mut rule = cpu_rule("all", None);
    rule.for_seconds = 0;
    f.store
        .alerts()
        .insert_rule(alice, &rule, f.t0)
        .await
        .unwrap();
    let report = f.evaluator.evaluate(f.at(0)).await.unwrap();
    assert_eq!(report.fired, 1, "no duration: firing at once");
    let open = f.store.alerts().open_alerts().await.unwrap();
    assert_eq!(open[0].resource.id, ids[0].to_string());
    assert_eq!(open[0].owner_id, Some(alice));
}

#[tokio::test]
async fn a_guest_stopped_without_a_job_of_ours_is_down_unexpectedly() {
    let f = Fixture::new().await;
    f.only(&[Builtin::GuestDown]).await;
    let ids = f
        .mirror(
            vec![guest(100, "web", "running"), guest(101, "db", "running")],
            "online",
        )
        .await;
    f.evaluator.evaluate(f.at(0)).await.unwrap();
    // web stops on its own; db is stopped by a stop job of ours that ended just now.
    f.job_on(ids[1], "instance.stop").await;
    f.finish_next(JobOutcome::Succeeded, f.at(1)).await;
    f.mirror(
        vec![guest(100, "web", "stopped"), guest(101, "db", "stopped")],
        "online",
    )
    .await;
    let report = f.evaluator.evaluate(f.at(1)).await.unwrap();
    assert_eq!(report.pending, 1);
    let web = ids[0].to_string();
    assert_eq!(
        f.alerts().await,
        [(
            "Instance down unexpectedly".into(),
            web.clone(),
            AlertState::Pending,
            false
        )]
    );
    // The built-in waits a minute, then fires; it stays firing while web is down.
    assert_eq!(f.evaluator.evaluate(f.at(2)).await.unwrap().fired, 1);
    assert_eq!(
        f.evaluator.evaluate(f.at(3)).await.unwrap(),
        EvaluationReport::default()
    );
    // A fresh evaluator (a restart) keeps the open alert going.
    let restarted = AlertEvaluator::new(f.store.clone(), f.events.clone(), f.signals.clone());
    assert_eq!(
        restarted.evaluate(f.at(4)).await.unwrap(),
        EvaluationReport::default()
    );
    f.mirror(
        vec![guest(100, "web", "running"), guest(101, "db", "stopped")],
        "online",
    )
    .await;
    assert_eq!(f.evaluator.evaluate(f.at(5)).await.unwrap().resolved, 1);
    let open = f.store.alerts().open_alerts().await.unwrap();
    assert!(open.is_empty(), "db was stopped by us: {open:?}");
}

#[tokio::test]
async fn a_job_holding_the_guest_is_a_maintenance_window() {
    let f = Fixture::new().await;
    f.only(&[Builtin::GuestDown]).await;
    let ids = f.mirror(vec![guest(100, "web", "running")], "online").await;
    f.evaluator.evaluate(f.at(0)).await.unwrap();
    // A backup (or an update, a resize…) of ours is running: the guest may go down.
    f.job_on(ids[0], "backup.run").await;
    f.mirror(vec![guest(100, "web", "stopped")], "online").await;
    assert_eq!(
        f.evaluator.evaluate(f.at(1)).await.unwrap(),
        EvaluationReport::default()
    );
    assert!(f.alerts().await.is_empty());
    // The job ended long ago and the guest is started, then dies on its own.
    f.finish_next(JobOutcome::Succeeded, f.at(2)).await;
    f.mirror(vec![guest(100, "web", "running")], "online").await;
    f.evaluator.evaluate(f.at(20)).await.unwrap();
    f.mirror(vec![guest(100, "web", "stopped")], "online").await;
    assert_eq!(f.evaluator.evaluate(f.at(21)).await.unwrap().pending, 1);
}

#[tokio::test]
async fn nodes_offline_and_clusters_unreachable_fire_and_resolve() {
    let f = Fixture::new().await;
    f.only(&[Builtin::NodeOffline, Builtin::ClusterUnreachable])
        .await;
    f.mirror(Vec::new(), "offline").await;
    let offline = ClusterHealth {
        status: ClusterStatus::Offline,
        offline_since: Some(f.at(0)),
        last_seen_at: None,
        last_error: Some("connection refused".into()),
    };
    f.store
        .clusters()
        .set_health(f.cluster, offline)
        .await
        .unwrap();
    assert_eq!(f.evaluator.evaluate(f.at(0)).await.unwrap().pending, 2);
    let report = f.evaluator.evaluate(f.at(1)).await.unwrap();
    assert_eq!(report.fired, 1, "the node after a minute");
    assert_eq!(
        f.evaluator.evaluate(f.at(2)).await.unwrap().fired,
        1,
        "the cluster after two"
    );
    let mut resources: Vec<(String, String)> = f
        .store
        .alerts()
        .open_alerts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.resource.kind, a.resource.id))
        .collect();
    resources.sort();
    assert_eq!(
        resources,
        [
            ("cluster".into(), f.cluster.to_string()),
            ("node".into(), format!("{}:pve1", f.cluster)),
        ]
    );
    f.mirror(Vec::new(), "online").await;
    f.store
        .clusters()
        .set_health(
            f.cluster,
            ClusterHealth {
                status: ClusterStatus::Online,
                ..ClusterHealth::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(f.evaluator.evaluate(f.at(3)).await.unwrap().resolved, 2);
}

#[tokio::test]
async fn silences_mute_what_their_owner_sees_in_their_window() {
    let f = Fixture::new().await;
    f.only(&[Builtin::DiskFull]).await;
    let alice = f.user("alice", Role::Operator).await;
    let bob = f.user("bob", Role::Operator).await;
    let mut full = guest(100, "web", "running");
    full.disk = 95 << 20;
    let ids = f.mirror(vec![full], "online").await;
    f.store
        .guests()
        .set_owner(ids[0], Some(alice))
        .await
        .unwrap();
    let resource = AlertResource {
        kind: "instance".into(),
        id: ids[0].to_string(),
    };
    let silence = |owner, starts_at, ends_at| NewSilence {
        owner_id: owner,
        rule_id: None,
        resource: Some(resource.clone()),
        starts_at,
        ends_at,
        comment: String::new(),
    };
    // Bob cannot silence Alice's alert; Alice's maintenance window starts at minute 6.
    f.store
        .alerts()
        .insert_silence(&silence(bob, f.at(0), f.at(60)))
        .await
        .unwrap();
    f.store
        .alerts()
        .insert_silence(&silence(alice, f.at(6), f.at(8)))
        .await
        .unwrap();
    f.evaluator.evaluate(f.at(0)).await.unwrap();
    assert_eq!(f.evaluator.evaluate(f.at(5)).await.unwrap().fired, 1);
    assert!(!f.alerts().await[0].3, "not silenced by bob");
    f.evaluator.evaluate(f.at(6)).await.unwrap();
    assert!(f.alerts().await[0].3, "alice's window");
    f.evaluator.evaluate(f.at(8)).await.unwrap();
    let after = f.alerts().await;
    assert_eq!(
        (after[0].2, after[0].3),
        (AlertState::Firing, false),
        "window over"
    );
}
