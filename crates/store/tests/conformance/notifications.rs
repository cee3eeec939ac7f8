use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    AlertResource, AlertRuleFields, AlertState, AttemptOutcome, ChannelFields, DeliveryState,
    NewAlert, NewDelivery, NewSubscription, Role, Store, StoreError, Timestamp,
};
use uuid::Uuid;

use crate::fixtures::user;

pub(crate) fn channel(name: &str) -> ChannelFields {
    ChannelFields {
        name: name.into(),
        kind: "ntfy".into(),
        settings: r#"{"server":"https://ntfy.sh","topic":"lab"}"#.into(),
        secrets_sealed: vec![1, 2, 3, name.len() as u8],
        enabled: true,
    }
}

pub(crate) async fn alert(store: &dyn Store, owner: Uuid, at: Timestamp) -> Uuid {
    let rule = store
        .alerts()
        .insert_rule(
            owner,
            &AlertRuleFields {
                name: "cpu".into(),
                metric: "cpu_percent".into(),
                comparison: "gt".into(),
                threshold: 80.0,
                for_seconds: 0,
                scope_kind: "all".into(),
                scope_value: None,
                severity: "warning".into(),
                enabled: true,
            },
            at,
        )
        .await
        .unwrap();
    let alert = NewAlert {
        rule_id: rule.id,
        rule_name: rule.name,
        severity: "warning".into(),
        resource: AlertResource {
            kind: "instance".into(),
            id: "i-1".into(),
        },
        resource_name: "web".into(),
        owner_id: Some(owner),
        state: AlertState::Firing,
        value: Some(95.0),
        message: "CPU at 95 %".into(),
        silenced: false,
        started_at: at,
    };
    store.alerts().open_alert(&alert).await.unwrap().unwrap().id
}

pub async fn channels_round_trip_per_owner_and_record_results(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.notifications();
    let t0 = Timestamp::now();
    let id = Uuid::now_v7();
    let phone = repo
        .insert_channel(id, alice.id, channel("phone"), t0)
        .await
        .unwrap();
    assert_eq!(phone.id, id);
    assert_eq!(phone.secrets_sealed, vec![1, 2, 3, 5]);
    assert_eq!(
        (phone.last_delivered_at, phone.last_error.clone()),
        (None, None)
    );
    let bobs = repo
        .insert_channel(Uuid::now_v7(), bob.id, channel("alpha"), t0)
        .await
        .unwrap();
    assert_eq!(repo.get_channel(id).await.unwrap(), phone);
    assert_eq!(
        repo.list_channels(Some(alice.id)).await.unwrap(),
        std::slice::from_ref(&phone)
    );
    assert_eq!(
        repo.list_channels(None).await.unwrap(),
        [bobs.clone(), phone.clone()],
        "by name"
    );

    let t1 = t0 + Duration::from_secs(5);
    let mut changed = channel("pager");
    changed.secrets_sealed = vec![9];
    changed.enabled = false;
    let updated = repo.update_channel(id, changed, t1).await.unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.secrets_sealed.as_slice(),
            updated.enabled
        ),
        ("pager", &[9u8][..], false)
    );
    assert_eq!(updated.updated_at, t1);

    repo.record_channel_result(id, Some("ntfy: the receiver answered 503"), t1)
        .await
        .unwrap();
    let failed = repo.get_channel(id).await.unwrap();
    assert_eq!(
        failed.last_error.as_deref(),
        Some("ntfy: the receiver answered 503")
    );
    assert_eq!(failed.last_error_at, Some(t1));
    let t2 = t1 + Duration::from_secs(5);
    repo.record_channel_result(id, None, t2).await.unwrap();
    let ok = repo.get_channel(id).await.unwrap();
    assert_eq!((ok.last_delivered_at, ok.last_error), (Some(t2), None));
    assert!(matches!(
        repo.record_channel_result(Uuid::now_v7(), None, t2).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.insert_channel(Uuid::now_v7(), Uuid::now_v7(), channel("x"), t0)
            .await,
        Err(StoreError::MissingReference)
    ));

    repo.delete_channel(id).await.unwrap();
    assert!(matches!(
        repo.get_channel(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.delete_channel(id).await,
        Err(StoreError::NotFound)
    ));
    // A user's channels go with the user.
    store.users().delete(bob.id).await.unwrap();
    assert!(repo.list_channels(None).await.unwrap().is_empty());
}

pub async fn subscriptions_belong_to_their_owner_and_go_with_the_channel(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.notifications();
    let t0 = Timestamp::now();
    let phone = repo
        .insert_channel(Uuid::now_v7(), alice.id, channel("phone"), t0)
        .await
        .unwrap();
    let new = NewSubscription {
        owner_id: alice.id,
        channel_id: phone.id,
        min_severity: "critical".into(),
        rule_id: None,
        resource_kind: Some("instance".into()),
        resource_id: Some("i-1".into()),
        notify_resolved: false,
    };
    let sub = repo.insert_subscription(new.clone(), t0).await.unwrap();
    assert_eq!(
        (
            sub.owner_id,
            sub.channel_id,
            sub.min_severity.as_str(),
            sub.notify_resolved
        ),
        (alice.id, phone.id, "critical", false)
    );
    assert_eq!(sub.resource_id.as_deref(), Some("i-1"));
    assert_eq!(repo.get_subscription(sub.id).await.unwrap(), sub);
    let all = repo
        .insert_subscription(
            NewSubscription {
                min_severity: "info".into(),
                resource_kind: None,
                resource_id: None,
                ..new.clone()
            },
            t0 + Duration::from_secs(1),
        )
        .await
        .unwrap();
    assert_eq!(
        repo.list_subscriptions(Some(alice.id)).await.unwrap(),
        [sub.clone(), all.clone()]
    );
    assert!(
        repo.list_subscriptions(Some(Uuid::now_v7()))
            .await
            .unwrap()
            .is_empty()
    );
    repo.delete_subscription(sub.id).await.unwrap();
    assert!(matches!(
        repo.delete_subscription(sub.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.insert_subscription(
            NewSubscription {
                channel_id: Uuid::now_v7(),
                ..new.clone()
            },
            t0
        )
        .await,
        Err(StoreError::MissingReference)
    ));
    // Bob cannot subscribe Alice's channel (his alerts would go to her phone).
    let bob = user(&*store, "bob", Role::Operator).await;
    let bobs = repo
        .insert_subscription(
            NewSubscription {
                owner_id: bob.id,
                ..new
            },
            t0,
        )
        .await;
    assert!(
        matches!(bobs, Err(StoreError::MissingReference)),
        "a subscription of Bob's on Alice's channel: {bobs:?}"
    );
    assert!(
        repo.list_subscriptions(Some(bob.id))
            .await
            .unwrap()
            .is_empty()
    );
    repo.delete_channel(phone.id).await.unwrap();
    assert!(repo.list_subscriptions(None).await.unwrap().is_empty());
}

pub async fn the_outbox_delivers_once_leases_claims_and_retries(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.notifications();
    let t0 = Timestamp::now();
    let phone = repo
        .insert_channel(Uuid::now_v7(), alice.id, channel("phone"), t0)
        .await
        .unwrap();
    let alert_id = alert(&*store, alice.id, t0).await;
    let firing = NewDelivery {
        channel_id: phone.id,
        alert_id,
        event: "firing".into(),
        payload: r#"{"status":"firing"}"#.into(),
        give_up_at: t0 + Duration::from_secs(3600),
    };
    assert_eq!(
        repo.enqueue(std::slice::from_ref(&firing), t0)
            .await
            .unwrap(),
        1
    );
    // The same change again (another replica, a second subscription): not twice.
    assert_eq!(
        repo.enqueue(std::slice::from_ref(&firing), t0)
            .await
            .unwrap(),
        0
    );

    let lease = Duration::from_secs(60);
    assert!(
        repo.claim_due(t0 - Duration::from_secs(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = repo.claim_due(t0, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let delivery = &claimed[0];
    assert_eq!(
        (delivery.attempts, delivery.state, delivery.next_attempt_at),
        (1, DeliveryState::Pending, t0 + lease)
    );
    assert_eq!(delivery.payload, firing.payload);
    // Leased: not claimed again while the attempt may still be running…
    assert!(
        repo.claim_due(t0 + Duration::from_secs(59), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // …but once the lease has passed (its worker died), it is.
    let t1 = t0 + lease;
    let again = repo.claim_due(t1, lease, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 2));

    let retry_at = t1 + Duration::from_secs(10);
    let retried = repo
        .finish_attempt(
            delivery.id,
            again[0].attempts,
            AttemptOutcome::Retry {
                error: "answered 503".into(),
                next_attempt_at: retry_at,
            },
            t1,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            retried.state,
            retried.next_attempt_at,
            retried.last_error.as_deref()
        ),
        (DeliveryState::Pending, retry_at, Some("answered 503"))
    );
    assert!(
        repo.claim_due(retry_at - Duration::from_secs(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = repo.claim_due(retry_at, lease, 10).await.unwrap();
    assert_eq!(third.len(), 1);
    let done = repo
        .finish_attempt(
            delivery.id,
            third[0].attempts,
            AttemptOutcome::Delivered,
            retry_at,
        )
        .await
        .unwrap();
    assert_eq!((done.state, done.attempts), (DeliveryState::Delivered, 3));
    assert!(
        repo.claim_due(retry_at + Duration::from_secs(3600), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Given up: failed, kept until pruned.
    let resolved = NewDelivery {
        event: "resolved".into(),
        ..firing
    };
    assert_eq!(repo.enqueue(&[resolved], t1).await.unwrap(), 1);
    let claimed = repo.claim_due(t1, lease, 10).await.unwrap();
    let failed = repo
        .finish_attempt(
            claimed[0].id,
            claimed[0].attempts,
            AttemptOutcome::GiveUp {
                error: "gone".into(),
            },
            t1,
        )
        .await
        .unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(repo.list_deliveries(phone.id, 10).await.unwrap().len(), 2);
    assert_eq!(
        repo.prune_deliveries(t1).await.unwrap(),
        0,
        "changed at t1, not before"
    );
    assert_eq!(
        repo.prune_deliveries(retry_at + Duration::from_secs(1))
            .await
            .unwrap(),
        2
    );
    assert!(repo.list_deliveries(phone.id, 10).await.unwrap().is_empty());
}

pub async fn claims_take_at_most_the_limit_oldest_first(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.notifications();
    let t0 = Timestamp::now();
    let alert_id = alert(&*store, alice.id, t0).await;
    let mut channels = Vec::new();
    for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
        let ch = repo
            .insert_channel(Uuid::now_v7(), alice.id, channel(name), t0)
            .await
            .unwrap();
        let at = t0 + Duration::from_secs(i as u64);
        let new = NewDelivery {
            channel_id: ch.id,
            alert_id,
            event: "firing".into(),
            payload: "{}".into(),
            give_up_at: at + Duration::from_secs(60),
        };
        repo.enqueue(&[new], at).await.unwrap();
        channels.push(ch.id);
    }
    let now = t0 + Duration::from_secs(10);
    let first = repo
        .claim_due(now, Duration::from_secs(30), 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|d| d.channel_id).collect::<Vec<_>>(),
        channels[..2]
    );
    let rest = repo
        .claim_due(now, Duration::from_secs(30), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|d| d.channel_id).collect::<Vec<_>>(),
        channels[2..]
    );
}

pub async fn changed_alerts_are_the_unsilenced_firing_and_resolved_ones(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let t0 = Timestamp::now();
    let firing = alert(&*store, alice.id, t0).await;
    let repo = store.alerts();
    let rule = repo.list_rules(Some(alice.id)).await.unwrap().remove(0);
    let open = |id: &str, state, silenced| NewAlert {
        rule_id: rule.id,
        rule_name: "cpu".into(),
        severity: "warning".into(),
        resource: AlertResource {
            kind: "instance".into(),
            id: id.into(),
        },
        resource_name: id.into(),
        owner_id: Some(alice.id),
        state,
        value: None,
        message: "m".into(),
        silenced,
        started_at: t0,
    };
    let pending = repo
        .open_alert(&open("p", AlertState::Pending, false))
        .await
        .unwrap()
        .unwrap();
    repo.open_alert(&open("s", AlertState::Firing, true))
        .await
        .unwrap()
        .unwrap();
    let t1 = t0 + Duration::from_secs(30);
    let resolved = repo
        .update_alert(
            pending.id,
            &proxicloud_store::AlertUpdate {
                state: AlertState::Resolved,
                value: None,
                message: "m".into(),
                silenced: false,
                now: t1,
            },
        )
        .await
        .unwrap();
    let ids =
        |alerts: Vec<proxicloud_store::Alert>| alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(repo.changed_alerts(t0, None, 10).await.unwrap()),
        [firing, resolved.id]
    );
    assert_eq!(
        ids(repo.changed_alerts(t0, None, 1).await.unwrap()),
        [firing]
    );
    assert_eq!(
        ids(repo.changed_alerts(t1, None, 10).await.unwrap()),
        [resolved.id]
    );
}
