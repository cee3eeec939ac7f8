//! `GET /api/v1/events`: job progress reaches the job's owner (and admins) and no
//! one else; reconnecting clients catch up, or are told to reload.

use std::time::Duration;

use proxicloud_domain::events::Audience;
use proxicloud_store::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::job_support::{EventStream, SSH_KEY, TEMPLATE, spawn_with_engine};
use crate::support::{spawn_app, status_and_json};

#[tokio::test]
async fn job_progress_streams_to_its_owner_and_admins_only() {
    let world = spawn_with_engine().await;
    let app = world.app();
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let mut alices = EventStream::open(app, &alice, None).await;
    let mut bobs = EventStream::open(app, &bob, None).await;
    let mut admins = EventStream::open(app, &world.admin, None).await;

    let body = json!({ "type": "lxc", "name": "streamed", "template": TEMPLATE, "memory": 512, "disk": 4,
        "ssh_public_keys": [SSH_KEY] });
    let response = app
        .post("/api/v1/instances", &alice.access, body)
        .send()
        .await
        .unwrap();
    let (status, job) = status_and_json(response).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job_id = job["id"].clone();

    let ours =
        |m: &crate::job_support::SseMessage| m.event == "job.updated" && m.data["id"] == job_id;
    let seen = alices
        .until(|m| ours(m) && m.data["status"] == json!("succeeded"))
        .await;
    let progress: Vec<u64> = seen
        .iter()
        .filter(|m| ours(m))
        .map(|m| m.data["progress"].as_u64().unwrap())
        .collect();
    assert!(
        progress.len() >= 10,
        "every checkpoint is published: {progress:?}"
    );
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.first(), Some(&0));
    let last = seen.iter().rev().find(|m| ours(m)).unwrap();
    assert_eq!(
        last.data["steps"].as_array().unwrap().len(),
        5,
        "the data is the job as GET /jobs/{{id}} shows it"
    );
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id), "ids increase");

    admins
        .until(|m| ours(m) && m.data["status"] == json!("succeeded"))
        .await;

    // Bob got nothing of alice's: not her job, not her new instance.
    let mut leaked = Vec::new();
    while let Some(message) = bobs.next(Duration::from_millis(300)).await {
        if message.event != "cluster.status" {
            leaked.push(message);
        }
    }
    assert!(leaked.is_empty(), "another operator saw: {leaked:#?}");
    world.shutdown().await;
}

#[tokio::test]
async fn reconnecting_clients_catch_up_or_are_told_to_reload() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let session = app.login_user(&user).await;
    let events = &app.services.platform().events;
    let mine = || Audience::Owner(Some(user.id.to_string()));

    events.publish("job.updated", mine(), json!({ "n": 1 }));
    let mut stream = EventStream::open(&app, &session, None).await;
    events.publish("job.updated", mine(), json!({ "n": 2 }));
    events.publish(
        "job.updated",
        Audience::Owner(Some("someone-else".into())),
        json!({ "n": 3 }),
    );
    events.publish("job.updated", mine(), json!({ "n": 4 }));
    let first = stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        first.data["n"],
        json!(2),
        "a new stream starts with what happens next"
    );
    let second = stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        second.data["n"],
        json!(4),
        "others' events are filtered out"
    );
    drop(stream);

    // Reconnect after event 2: event 4 was missed and is replayed.
    let mut resumed = EventStream::open(&app, &session, first.id).await;
    let replayed = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (replayed.data["n"].clone(), replayed.id),
        (json!(4), second.id)
    );

    // So many events later that the gap cannot be replayed: reload.
    for n in 0..1100 {
        events.publish("job.updated", mine(), json!({ "n": n }));
    }
    let mut behind = EventStream::open(&app, &session, first.id).await;
    let told = behind.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(told.event, "reload");
}
