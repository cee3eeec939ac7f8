//! Conditional PUTs under concurrency: the condition is checked where the object is
//! named, so of many racing `If-None-Match: *` PUTs exactly one creates the key.

use crate::support::{Lab, failure};

#[tokio::test]
async fn of_racing_create_only_puts_exactly_one_wins() {
    let lab = Lab::new().await;
    lab.bucket("race").await;
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let s3 = lab.alice.clone();
            tokio::spawn(async move {
                let body = vec![i as u8; 256 * 1024];
                s3.put_object()
                    .bucket("race")
                    .key("once")
                    .if_none_match("*")
                    .body(body.into())
                    .send()
                    .await
                    .map(|_| i)
                    .map_err(failure)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        match racer.await.unwrap() {
            Ok(i) => winners.push(i),
            Err(refused) => assert_eq!(refused, (412, "PreconditionFailed".into())),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = lab.get("race", "once").await;
    assert_eq!(stored, vec![winners[0] as u8; 256 * 1024]);

    // If-Match against a version that was replaced meanwhile is refused too.
    let first = lab.put("race", "versioned", b"one").await;
    lab.put("race", "versioned", b"two").await;
    let stale = lab
        .alice
        .put_object()
        .bucket("race")
        .key("versioned")
        .if_match(first)
        .body(b"three".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(stale), (412, "PreconditionFailed".into()));
    assert_eq!(lab.get("race", "versioned").await, b"two");
}
