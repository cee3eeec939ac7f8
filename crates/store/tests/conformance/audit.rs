use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    AuditEntry, AuditFilter, AuditHead, NewAuditEntry, Outcome, PageRequest, Store, StoreError,
    TextMatch, Timestamp,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What the domain will do: hash the previous hash and the entry's content.
fn chain_hash(head: &AuditHead, action: &str, at: Timestamp) -> String {
    let mut hasher = Sha256::new();
    hasher.update(head.next_seq().to_be_bytes());
    hasher.update(head.hash.as_deref().unwrap_or("").as_bytes());
    hasher.update(action.as_bytes());
    hasher.update(at.to_rfc3339().as_bytes());
    hex::encode(hasher.finalize())
}

fn entry(
    head: &AuditHead,
    action: &str,
    user: Option<(Uuid, &str)>,
    outcome: Outcome,
    at: Timestamp,
) -> NewAuditEntry {
    NewAuditEntry {
        at,
        user_id: user.map(|(id, _)| id),
        username: user.map(|(_, name)| name.to_owned()),
        source_ip: Some("192.0.2.7".into()),
        action: action.into(),
        resource: Some(format!("instance/{}", head.next_seq())),
        outcome,
        request_id: Some(format!("req-{}", head.next_seq())),
        details: json!({"seq": head.next_seq(), "nested": {"b": [1, 2.5, null], "a": "x"}}),
        hash: chain_hash(head, action, at),
    }
}

async fn append(
    store: &dyn Store,
    action: &'static str,
    user: Option<(Uuid, &'static str)>,
    outcome: Outcome,
) -> AuditEntry {
    store
        .audit()
        .append(Box::new(move |head: &AuditHead| {
            entry(head, action, user, outcome, Timestamp::now())
        }))
        .await
        .expect("append")
}

/// Every entry links to its predecessor and carries the hash computed for its head.
fn assert_chain(entries: &[AuditEntry]) {
    let mut head = AuditHead::default();
    for e in entries {
        assert_eq!(e.seq, head.next_seq(), "gapless seq");
        assert_eq!(
            e.prev_hash, head.hash,
            "entry {} links to its predecessor",
            e.seq
        );
        assert_eq!(
            e.hash,
            chain_hash(&head, &e.action, e.at),
            "entry {} was hashed over its own head",
            e.seq
        );
        head = AuditHead {
            seq: e.seq,
            hash: Some(e.hash.clone()),
        };
    }
}

pub async fn appends_get_gapless_seqs_and_link_to_the_previous_hash(store: Arc<dyn Store>) {
    assert_eq!(
        store.audit().head().await.unwrap(),
        AuditHead { seq: 0, hash: None }
    );
    let alice = Uuid::now_v7();
    let first = append(
        &*store,
        "auth.login",
        Some((alice, "alice")),
        Outcome::Success,
    )
    .await;
    let second = append(&*store, "instance.create", None, Outcome::Denied).await;
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(first.prev_hash, None);
    assert_eq!(second.prev_hash.as_deref(), Some(first.hash.as_str()));
    assert_eq!(first.user_id, Some(alice));
    assert_eq!(first.username.as_deref(), Some("alice"));
    assert_eq!(
        first.details,
        json!({"seq": 1, "nested": {"a": "x", "b": [1, 2.5, null]}})
    );
    assert_eq!(second.outcome, Outcome::Denied);
    assert_eq!(
        store.audit().head().await.unwrap(),
        AuditHead {
            seq: 2,
            hash: Some(second.hash.clone())
        }
    );

    let stored = store.audit().scan(0, 10).await.unwrap();
    assert_eq!(
        stored,
        vec![first, second],
        "entries read back exactly as returned by append"
    );
    assert_chain(&stored);
}

pub async fn concurrent_appends_never_fork_the_chain(store: Arc<dyn Store>) {
    let appends: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { append(&*store, "instance.start", None, Outcome::Success).await },
            )
        })
        .collect();
    for append in appends {
        append.await.expect("append task");
    }
    let entries = store.audit().scan(0, 100).await.unwrap();
    assert_eq!(entries.len(), 20);
    assert_chain(&entries);
    assert!(
        entries.windows(2).all(|pair| pair[0].at <= pair[1].at),
        "time follows seq"
    );
    assert_eq!(
        store.audit().head().await.unwrap().hash.as_ref(),
        Some(&entries[19].hash)
    );
}

/// What the audit page's search boxes rely on: part of a name, an action family or the
/// start of a resource id finds the entries, whatever the letter case, and the LIKE
/// pattern characters an admin might type (`_` in `bob_99`) are taken literally.
pub async fn text_filters_match_substrings_ignoring_case_and_pattern_characters(
    store: Arc<dyn Store>,
) {
    let people = [
        ("alice", "instance.start"),
        ("Alicia", "instance.delete"),
        ("bob_99", "auth.login"),
        ("bob%x", "auth.logout"),
        ("bobby", "user.create"),
    ];
    for (name, action) in people {
        append(
            &*store,
            action,
            Some((Uuid::now_v7(), name)),
            Outcome::Success,
        )
        .await;
    }
    let names = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            let page = store.audit().query(&filter, PageRequest::first(100)).await;
            let mut names: Vec<String> = page
                .unwrap()
                .items
                .into_iter()
                .filter_map(|entry| entry.username)
                .collect();
            names.sort();
            names
        }
    };
    let by_username = |text: &str| AuditFilter {
        username: Some(TextMatch::Contains(text.into())),
        ..Default::default()
    };
    assert_eq!(names(by_username("ALI")).await, ["Alicia", "alice"]);
    assert_eq!(names(by_username("lic")).await, ["Alicia", "alice"]);
    assert_eq!(names(by_username("_")).await, ["bob_99"], "_ is literal");
    assert_eq!(names(by_username("%")).await, ["bob%x"], "% is literal");
    assert_eq!(names(by_username("b_9")).await, ["bob_99"]);
    assert!(names(by_username("carol")).await.is_empty());
    let by_action = AuditFilter {
        action: Some(TextMatch::Contains("Instance.".into())),
        ..Default::default()
    };
    assert_eq!(names(by_action).await, ["Alicia", "alice"]);
    // Resources are `instance/<seq>`: seqs 1 to 5 here.
    let by_resource = AuditFilter {
        resource: Some(TextMatch::Contains("ance/3".into())),
        ..Default::default()
    };
    assert_eq!(names(by_resource).await, ["bob_99"]);
}

pub async fn queries_filter_and_page_newest_first(store: Arc<dyn Store>) {
    let alice = Uuid::now_v7();
    let start = Timestamp::now();
    let mut stamps = Vec::new();
    for i in 0..9u64 {
        let at = start + Duration::from_secs(i * 60);
        stamps.push(at);
        let (action, user, outcome) = match i % 3 {
            0 => ("auth.login", Some((alice, "alice")), Outcome::Success),
            1 => ("auth.login", None, Outcome::Failure),
            _ => ("instance.delete", Some((alice, "alice")), Outcome::Denied),
        };
        store
            .audit()
            .append(Box::new(move |head: &AuditHead| {
                entry(head, action, user, outcome, at)
            }))
            .await
            .unwrap();
    }
    let seqs = |entries: &[AuditEntry]| entries.iter().map(|e| e.seq).collect::<Vec<_>>();
    let query = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit()
                .query(&filter, PageRequest::first(100))
                .await
                .unwrap()
                .items
        }
    };

    assert_eq!(
        seqs(&query(AuditFilter::default()).await),
        [9, 8, 7, 6, 5, 4, 3, 2, 1]
    );
    assert_eq!(
        seqs(
            &query(AuditFilter {
                user_id: Some(alice),
                ..Default::default()
            })
            .await
        ),
        [9, 7, 6, 4, 3, 1]
    );
    assert_eq!(
        seqs(
            &query(AuditFilter {
                username: Some(TextMatch::Exact("alice".into())),
                ..Default::default()
            })
            .await
        )
        .len(),
        6
    );
    assert_eq!(
        seqs(
            &query(AuditFilter {
                action: Some(TextMatch::Exact("instance.delete".into())),
                ..Default::default()
            })
            .await
        ),
        [9, 6, 3]
    );
    assert_eq!(
        seqs(
            &query(AuditFilter {
                outcome: Some(Outcome::Failure),
                ..Default::default()
            })
            .await
        ),
        [8, 5, 2]
    );
    assert_eq!(
        seqs(
            &query(AuditFilter {
                resource: Some(TextMatch::Exact("instance/4".into())),
                ..Default::default()
            })
            .await
        ),
        [4]
    );
    let window = AuditFilter {
        from: Some(stamps[2]),
        to: Some(stamps[5]),
        ..Default::default()
    };
    assert_eq!(
        seqs(&query(window).await),
        [5, 4, 3],
        "from inclusive, to exclusive"
    );
    let combined = AuditFilter {
        action: Some(TextMatch::Exact("auth.login".into())),
        outcome: Some(Outcome::Success),
        ..Default::default()
    };
    assert_eq!(seqs(&query(combined).await), [7, 4, 1]);

    // Pages of 4, while new entries keep arriving: no entry repeated or skipped.
    let filter = AuditFilter::default();
    let mut page = store
        .audit()
        .query(&filter, PageRequest::first(4))
        .await
        .unwrap();
    let mut seen = seqs(&page.items);
    while let Some(next) = page.next.take() {
        append(&*store, "auth.logout", None, Outcome::Success).await;
        page = store
            .audit()
            .query(&filter, PageRequest::after(next, 4))
            .await
            .unwrap();
        seen.extend(seqs(&page.items));
    }
    assert_eq!(seen, [9, 8, 7, 6, 5, 4, 3, 2, 1]);

    let bad = store
        .audit()
        .query(
            &filter,
            PageRequest::after(proxicloud_store::Cursor::new("zz"), 4),
        )
        .await;
    assert!(matches!(bad, Err(StoreError::InvalidCursor)), "{bad:?}");
}

pub async fn scanning_walks_the_whole_log_in_seq_order(store: Arc<dyn Store>) {
    for _ in 0..25 {
        append(&*store, "instance.stop", None, Outcome::Success).await;
    }
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.audit().scan(after, 7).await.unwrap();
        let Some(last) = batch.last() else { break };
        assert!(batch.len() <= 7);
        after = last.seq;
        all.extend(batch);
    }
    assert_eq!(all.len(), 25);
    assert_chain(&all);
}
