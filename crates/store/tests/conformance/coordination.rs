use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{Backend, Heard, Leadership, MAX_NOTIFY_PAYLOAD, Store};
use uuid::Uuid;

/// Channels are shared by the whole PostgreSQL database (not per schema), and the
/// tests run in parallel.
fn unique_channel() -> String {
    format!("conformance_{}", Uuid::now_v7().simple())
}

/// The database releases a lock when it notices the holder's session ended, which
/// happens shortly after the connection is dropped; there is no event to await.
async fn lead_within(store: &dyn Store, name: &str, limit: Duration) -> Box<dyn Leadership> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(lease) = store.coordination().try_lead(name).await.unwrap() {
            return lease;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} not released within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn exactly_one_contender_leads_until_it_lets_go(store: Arc<dyn Store>) {
    let coordination = store.coordination();
    let mut first = coordination
        .try_lead("inventory")
        .await
        .unwrap()
        .expect("an uncontended election is won");
    assert!(first.still_leading().await);
    let second = coordination.try_lead("inventory").await.unwrap();
    let other = coordination.try_lead("retention").await.unwrap();
    assert!(
        other.is_some(),
        "elections of different names are independent"
    );
    match store.backend() {
        // One process: every contender leads.
        Backend::Sqlite => assert!(second.is_some()),
        Backend::Postgres => {
            assert!(second.is_none(), "two leaders of one name");
            drop(first);
            let mut successor = lead_within(&*store, "inventory", Duration::from_secs(5)).await;
            assert!(successor.still_leading().await);
            assert!(coordination.try_lead("inventory").await.unwrap().is_none());
        }
    }
}

pub async fn notifications_reach_every_listener(store: Arc<dyn Store>) {
    let coordination = store.coordination();
    let channel = unique_channel();
    let mut a = coordination.listen(&channel).await.unwrap();
    let mut b = coordination.listen(&channel).await.unwrap();
    let mut elsewhere = coordination.listen(&unique_channel()).await.unwrap();
    coordination.notify(&channel, "hello").await.unwrap();
    let nothing = Duration::ZERO;
    match store.backend() {
        Backend::Sqlite => {
            // Nobody else to tell: nothing arrives, and sending is not an error.
            assert!(tokio::time::timeout(nothing, a.recv()).await.is_err());
        }
        Backend::Postgres => {
            let within = Duration::from_secs(5);
            for listener in [&mut a, &mut b] {
                let heard = tokio::time::timeout(within, listener.recv()).await;
                assert_eq!(heard.unwrap().unwrap(), Heard::Message("hello".into()));
            }
            assert!(
                tokio::time::timeout(nothing, elsewhere.recv())
                    .await
                    .is_err()
            );
        }
    }
}

pub async fn payloads_up_to_the_limit_are_sent_longer_ones_refused(store: Arc<dyn Store>) {
    let coordination = store.coordination();
    let channel = unique_channel();
    let mut listener = coordination.listen(&channel).await.unwrap();
    let largest = "x".repeat(MAX_NOTIFY_PAYLOAD);
    coordination.notify(&channel, &largest).await.unwrap();
    let too_large = coordination
        .notify(&channel, &"x".repeat(MAX_NOTIFY_PAYLOAD + 1))
        .await;
    if store.backend() == Backend::Postgres {
        assert!(
            too_large.is_err(),
            "PostgreSQL accepted an oversized NOTIFY"
        );
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
        assert_eq!(heard.unwrap().unwrap(), Heard::Message(largest));
    }
}
