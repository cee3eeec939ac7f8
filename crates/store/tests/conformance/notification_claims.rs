//! What the notification outbox reads and claims: changed alerts page by
//! `(updated_at, id)`; only the claim that holds a delivery may finish it.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    AlertResource, AlertState, AttemptOutcome, DeliveryState, NewAlert, NewDelivery, Role, Store,
    StoreError, Timestamp,
};
use uuid::Uuid;

use crate::fixtures::user;
use crate::notifications::{alert, channel};

pub async fn a_late_finish_of_an_expired_claim_is_refused(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.notifications();
    let t0 = Timestamp::now();
    let phone = repo
        .insert_channel(Uuid::now_v7(), alice.id, channel("phone"), t0)
        .await
        .unwrap();
    let alert_id = alert(&*store, alice.id, t0).await;
    let new = NewDelivery {
        channel_id: phone.id,
        alert_id,
        event: "firing".into(),
        payload: "{}".into(),
        give_up_at: t0 + Duration::from_secs(3600),
    };
    repo.enqueue(&[new], t0).await.unwrap();
    let lease = Duration::from_secs(60);
    // Worker 1 claims, stalls past its lease; worker 2 claims the delivery again.
    let first = repo.claim_due(t0, lease, 10).await.unwrap().remove(0);
    let t1 = t0 + lease;
    let second = repo.claim_due(t1, lease, 10).await.unwrap().remove(0);
    assert_eq!((first.attempts, second.attempts), (1, 2));
    let retry_at = t1 + Duration::from_secs(30);
    let kept = repo
        .finish_attempt(
            second.id,
            second.attempts,
            AttemptOutcome::Retry {
                error: "answered 503".into(),
                next_attempt_at: retry_at,
            },
            t1,
        )
        .await
        .unwrap();
    // Worker 1 wakes up and reports its (older) attempt: refused, nothing changes.
    let late = repo
        .finish_attempt(
            first.id,
            first.attempts,
            AttemptOutcome::GiveUp {
                error: "timed out".into(),
            },
            t1 + Duration::from_secs(1),
        )
        .await;
    assert!(
        matches!(late, Err(StoreError::Stale(_))),
        "the expired claim finished the delivery: {late:?}"
    );
    let now = repo.list_deliveries(phone.id, 10).await.unwrap().remove(0);
    assert_eq!(now, kept);
    assert_eq!(
        (now.state, now.next_attempt_at, now.last_error.as_deref()),
        (DeliveryState::Pending, retry_at, Some("answered 503"))
    );
    // A finished delivery cannot be finished again either, even by its own claim.
    let third = repo.claim_due(retry_at, lease, 10).await.unwrap().remove(0);
    repo.finish_attempt(
        third.id,
        third.attempts,
        AttemptOutcome::Delivered,
        retry_at,
    )
    .await
    .unwrap();
    let again = repo
        .finish_attempt(
            third.id,
            third.attempts,
            AttemptOutcome::Delivered,
            retry_at,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Stale(_))), "{again:?}");
    let gone = repo
        .finish_attempt(Uuid::now_v7(), 1, AttemptOutcome::Delivered, retry_at)
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}

pub async fn changed_alerts_page_through_equal_timestamps_without_skipping(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let t0 = Timestamp::now();
    alert(&*store, alice.id, t0).await;
    let repo = store.alerts();
    let rule = repo.list_rules(Some(alice.id)).await.unwrap().remove(0);
    // One evaluation fires many alerts at the same instant, the next a few more.
    let mut opened = Vec::new();
    for i in 0..30u64 {
        let at = if i < 25 {
            t0
        } else {
            t0 + Duration::from_secs(1)
        };
        let new = NewAlert {
            rule_id: rule.id,
            rule_name: "cpu".into(),
            severity: "warning".into(),
            resource: AlertResource {
                kind: "instance".into(),
                id: format!("g-{i}"),
            },
            resource_name: format!("g-{i}"),
            owner_id: Some(alice.id),
            state: AlertState::Firing,
            value: None,
            message: "m".into(),
            silenced: false,
            started_at: at,
        };
        opened.push(repo.open_alert(&new).await.unwrap().unwrap());
    }
    let mut expected: Vec<(Timestamp, Uuid)> = repo
        .changed_alerts(t0, None, 1000)
        .await
        .unwrap()
        .iter()
        .map(|a| (a.updated_at, a.id))
        .collect();
    assert_eq!(expected.len(), 31, "the fixture's alert and the 30");
    expected.sort();
    // Pages of 7 split the 26 alerts of t0 at several boundaries.
    let mut seen = Vec::new();
    let mut after = None;
    for _ in 0..10 {
        let page = repo.changed_alerts(t0, after, 7).await.unwrap();
        seen.extend(page.iter().map(|a| (a.updated_at, a.id)));
        match page.last() {
            Some(last) if page.len() == 7 => after = Some((last.updated_at, last.id)),
            _ => break,
        }
    }
    assert_eq!(
        seen, expected,
        "every change once, in (updated_at, id) order"
    );
    assert!(
        opened
            .iter()
            .all(|a| seen.iter().any(|(_, id)| *id == a.id)),
        "none skipped"
    );
}
