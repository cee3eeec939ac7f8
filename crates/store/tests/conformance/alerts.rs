use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    AlertFilter, AlertResource, AlertRuleFields, AlertState, AlertUpdate, NewAlert, NewSilence,
    Role, Store, StoreError, Timestamp,
};
use uuid::Uuid;

use crate::fixtures::user;

fn fields(name: &str) -> AlertRuleFields {
    AlertRuleFields {
        name: name.into(),
        metric: "cpu_percent".into(),
        comparison: "gt".into(),
        threshold: 80.5,
        for_seconds: 300,
        scope_kind: "tag".into(),
        scope_value: Some("prod".into()),
        severity: "warning".into(),
        enabled: true,
    }
}

fn resource(id: &str) -> AlertResource {
    AlertResource {
        kind: "instance".into(),
        id: id.into(),
    }
}

fn new_alert(rule_id: Uuid, id: &str, state: AlertState, at: Timestamp) -> NewAlert {
    NewAlert {
        rule_id,
        rule_name: "cpu".into(),
        severity: "warning".into(),
        resource: resource(id),
        resource_name: format!("guest-{id}"),
        owner_id: None,
        state,
        value: Some(91.0),
        message: "CPU at 91 %".into(),
        silenced: false,
        started_at: at,
    }
}

fn update(state: AlertState, now: Timestamp) -> AlertUpdate {
    AlertUpdate {
        state,
        value: Some(95.0),
        message: "CPU at 95 %".into(),
        silenced: false,
        now,
    }
}

pub async fn built_in_rules_are_seeded_and_custom_rules_owned(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.alerts();
    let builtins: Vec<String> = repo
        .list_rules(None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.builtin)
        .collect();
    assert_eq!(
        builtins,
        [
            "backup_failed",
            "cluster_unreachable",
            "disk_full",
            "guest_down",
            "job_failed",
            "node_offline"
        ],
        "seeded, by name"
    );
    let now = Timestamp::now();
    let rule = repo
        .insert_rule(alice.id, &fields("cpu high"), now)
        .await
        .unwrap();
    assert_eq!(rule.owner_id, Some(alice.id));
    assert_eq!(rule.builtin, None);
    assert_eq!(AlertRuleFields::from(&rule), fields("cpu high"));
    repo.insert_rule(bob.id, &fields("bob's"), now)
        .await
        .unwrap();
    let alices: Vec<String> = repo
        .list_rules(Some(alice.id))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(alices.len(), 7, "built-ins then her own: {alices:?}");
    assert_eq!(alices.last().map(String::as_str), Some("cpu high"));

    let mut changed = fields("cpu very high");
    changed.threshold = 95.0;
    changed.scope_kind = "all".into();
    changed.scope_value = None;
    changed.enabled = false;
    let later = now + Duration::from_secs(5);
    let updated = repo.update_rule(rule.id, &changed, later).await.unwrap();
    assert_eq!(AlertRuleFields::from(&updated), changed);
    assert_eq!(updated.updated_at, later);
    assert_eq!(repo.get_rule(rule.id).await.unwrap(), updated);

    repo.delete_rule(rule.id).await.unwrap();
    assert!(matches!(
        repo.get_rule(rule.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.update_rule(rule.id, &changed, later).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.insert_rule(Uuid::now_v7(), &changed, later).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn one_open_alert_per_rule_and_resource_then_history(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.alerts();
    let t0 = Timestamp::now();
    let rule = repo
        .insert_rule(alice.id, &fields("cpu"), t0)
        .await
        .unwrap();
    let pending = repo
        .open_alert(&new_alert(rule.id, "a", AlertState::Pending, t0))
        .await
        .unwrap()
        .expect("opened");
    assert_eq!(pending.state, AlertState::Pending);
    assert_eq!(pending.fired_at, None);
    assert!(
        repo.open_alert(&new_alert(rule.id, "a", AlertState::Firing, t0))
            .await
            .unwrap()
            .is_none(),
        "a second open alert for the same rule and resource is not made"
    );
    let other = repo
        .open_alert(&new_alert(rule.id, "b", AlertState::Firing, t0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.fired_at, Some(t0), "opened firing: fired at once");

    let t1 = t0 + Duration::from_secs(300);
    let firing = repo
        .update_alert(pending.id, &update(AlertState::Firing, t1))
        .await
        .unwrap();
    assert_eq!(
        (firing.state, firing.fired_at, firing.value),
        (AlertState::Firing, Some(t1), Some(95.0))
    );
    let t2 = t1 + Duration::from_secs(60);
    let still = repo
        .update_alert(pending.id, &update(AlertState::Firing, t2))
        .await
        .unwrap();
    assert_eq!(still.fired_at, Some(t1), "fired_at is kept");
    assert_eq!(still.updated_at, t2);
    let resolved = repo
        .update_alert(pending.id, &update(AlertState::Resolved, t2))
        .await
        .unwrap();
    assert_eq!(resolved.resolved_at, Some(t2));
    assert!(matches!(
        repo.update_alert(pending.id, &update(AlertState::Firing, t2))
            .await,
        Err(StoreError::Stale(_))
    ));
    assert!(matches!(
        repo.update_alert(Uuid::now_v7(), &update(AlertState::Firing, t2))
            .await,
        Err(StoreError::NotFound)
    ));

    // Resolved is history: the same rule and resource may open again.
    let t3 = t2 + Duration::from_secs(60);
    let again = repo
        .open_alert(&new_alert(rule.id, "a", AlertState::Pending, t3))
        .await
        .unwrap()
        .unwrap();
    let open: Vec<Uuid> = repo
        .open_alerts()
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open, [other.id, again.id]);
    let latest = repo.latest_alert(rule.id, &resource("a")).await.unwrap();
    assert_eq!(latest.map(|a| a.id), Some(again.id));
    assert_eq!(
        repo.latest_alert(rule.id, &resource("zzz")).await.unwrap(),
        None
    );

    // A pending alert that never fired leaves no trace; other alerts cannot be dropped.
    repo.delete_pending_alert(again.id).await.unwrap();
    assert!(matches!(
        repo.delete_pending_alert(other.id).await,
        Err(StoreError::NotFound)
    ));

    let ids =
        |alerts: Vec<proxicloud_store::Alert>| alerts.iter().map(|a| a.id).collect::<Vec<_>>();
    let all = AlertFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        ids(repo.list_alerts(&all).await.unwrap()),
        [other.id, pending.id]
    );
    let resolved_only = AlertFilter {
        state: Some(AlertState::Resolved),
        ..all.clone()
    };
    assert_eq!(
        ids(repo.list_alerts(&resolved_only).await.unwrap()),
        [pending.id]
    );
    let alices = AlertFilter {
        owner_id: Some(alice.id),
        ..all.clone()
    };
    assert!(
        repo.list_alerts(&alices).await.unwrap().is_empty(),
        "owned by nobody"
    );
    let one = AlertFilter {
        limit: 1,
        ..all.clone()
    };
    let first = repo.list_alerts(&one).await.unwrap();
    assert_eq!(ids(first.clone()), [other.id]);
    // The next page starts after the last alert of the previous one.
    let next = AlertFilter {
        before: Some((first[0].started_at, first[0].id)),
        ..one.clone()
    };
    assert_eq!(ids(repo.list_alerts(&next).await.unwrap()), [pending.id]);
    let last = AlertFilter {
        before: Some((pending.started_at, pending.id)),
        ..one
    };
    assert!(repo.list_alerts(&last).await.unwrap().is_empty());

    // Deleting the rule keeps its alerts, named.
    repo.delete_rule(rule.id).await.unwrap();
    let kept = repo.open_alerts().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].rule_id, kept[0].rule_name.as_str()), (None, "cpu"));
}

pub async fn silences_are_owned_and_active_in_their_window(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.alerts();
    let t0 = Timestamp::now();
    let rule = repo
        .insert_rule(alice.id, &fields("cpu"), t0)
        .await
        .unwrap();
    let hour = Duration::from_secs(3600);
    let now_on = repo
        .insert_silence(&NewSilence {
            owner_id: alice.id,
            rule_id: Some(rule.id),
            resource: Some(resource("a")),
            starts_at: t0,
            ends_at: t0 + hour,
            comment: "upgrading".into(),
        })
        .await
        .unwrap();
    assert_eq!(now_on.resource, Some(resource("a")));
    let later = repo
        .insert_silence(&NewSilence {
            owner_id: bob.id,
            rule_id: None,
            resource: None,
            starts_at: t0 + hour,
            ends_at: t0 + hour * 3,
            comment: "maintenance window".into(),
        })
        .await
        .unwrap();
    assert_eq!(repo.get_silence(later.id).await.unwrap(), later);
    let active = |at| async move {
        repo.active_silences(at)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(active(t0).await, [now_on.id]);
    assert_eq!(
        active(t0 + hour).await,
        [later.id],
        "the end is not included"
    );
    assert!(active(t0 + hour * 3).await.is_empty());
    assert_eq!(
        repo.list_silences(Some(bob.id)).await.unwrap(),
        vec![later.clone()]
    );
    assert_eq!(repo.list_silences(None).await.unwrap().len(), 2);
    // A silence of a deleted rule goes with it.
    repo.delete_rule(rule.id).await.unwrap();
    assert!(matches!(
        repo.get_silence(now_on.id).await,
        Err(StoreError::NotFound)
    ));
    repo.delete_silence(later.id).await.unwrap();
    assert!(matches!(
        repo.delete_silence(later.id).await,
        Err(StoreError::NotFound)
    ));
}
