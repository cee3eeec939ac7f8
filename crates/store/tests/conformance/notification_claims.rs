//! The outbox's claims: only the claim that holds a delivery may finish it.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    AttemptOutcome, DeliveryState, NewDelivery, Role, Store, StoreError, Timestamp,
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
