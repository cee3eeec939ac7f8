//! One job at a time per volume: while a volume's job is queued (no job engine runs
//! here, so it stays queued), every other write to that volume is refused with
//! `409 volume_busy` naming that job, and nothing is recorded for it.

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{NewVolume, Timestamp, Uuid};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim_support::{SimApp, spawn_app_with_sim};
use crate::support::{Session, call, error_code};

/// An available, detached 1 GiB volume on pve1's LVM-thin, as its create job leaves it.
async fn seeded_volume(sim: &SimApp, cluster_id: Uuid, name: &str, vmid: u32) -> Uuid {
    let store = &sim.app.store;
    let made = store
        .volumes()
        .insert(NewVolume {
            cluster_id,
            node: "pve1".into(),
            storage: "local-lvm".into(),
            class: None,
            name: name.into(),
            size_bytes: 1 << 30,
            owner_id: None,
        })
        .await
        .unwrap();
    let now = Timestamp::now();
    store
        .volumes()
        .set_holder(made.id, vmid, now)
        .await
        .unwrap();
    store
        .volumes()
        .set_ready(made.id, &format!("local-lvm:vm-{vmid}-disk-1"), now)
        .await
        .unwrap();
    made.id
}

async fn busy(sim: &SimApp, admin: &Session, method: Method, path: &str, body: Value, job: &str) {
    let (status, body) = call(&sim.app, admin, method, path, Some(body)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "volume_busy"),
        "{path}: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(job) && message.contains("volume.grow"),
        "{message}"
    );
}

#[tokio::test]
async fn a_second_job_on_a_busy_volume_is_refused_and_changes_nothing() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    let cluster_id: Uuid = sim.register(&admin).await.parse().unwrap();
    sim.wait_for_inventory(&admin).await;
    let data = seeded_volume(&sim, cluster_id, "data", 7001).await;
    let logs = seeded_volume(&sim, cluster_id, "logs", 7002).await;
    let snapshot = sim
        .app
        .store
        .volumes()
        .insert_snapshot(data, "before", "", 1 << 30)
        .await
        .unwrap();
    sim.app
        .store
        .volumes()
        .set_snapshot_status(snapshot.id, status::AVAILABLE)
        .await
        .unwrap();

    let (code, grow) = call(
        &sim.app,
        &admin,
        Method::POST,
        &format!("/api/v1/volumes/{data}/grow"),
        Some(json!({ "size_gib": 2 })),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{grow}");
    let job = grow["id"].as_str().unwrap().to_owned();

    let v = format!("/api/v1/volumes/{data}");
    let s = format!("/api/v1/volume-snapshots/{}", snapshot.id);
    busy(
        &sim,
        &admin,
        Method::POST,
        &format!("{v}/grow"),
        json!({ "size_gib": 3 }),
        &job,
    )
    .await;
    busy(
        &sim,
        &admin,
        Method::POST,
        &format!("{v}/snapshots"),
        json!({ "name": "second" }),
        &job,
    )
    .await;
    let attach = json!({ "instance_id": Uuid::now_v7(), "mount_path": "/data" });
    busy(
        &sim,
        &admin,
        Method::POST,
        &format!("{v}/attach"),
        attach,
        &job,
    )
    .await;
    busy(&sim, &admin, Method::DELETE, &v, json!({}), &job).await;
    busy(
        &sim,
        &admin,
        Method::POST,
        &format!("{s}/restore"),
        json!({}),
        &job,
    )
    .await;
    busy(
        &sim,
        &admin,
        Method::POST,
        &format!("{s}/clone"),
        json!({ "name": "copy" }),
        &job,
    )
    .await;
    busy(&sim, &admin, Method::DELETE, &s, json!({}), &job).await;

    // Nothing was recorded for the refused requests.
    let shown = sim.app.get_json(&v, &admin.access).await;
    assert_eq!(
        (shown["status"].clone(), shown["size_gib"].clone()),
        (json!("available"), json!(1))
    );
    assert!(shown.get("attachment").is_none(), "{shown}");
    let snapshots = sim
        .app
        .get_json(&format!("{v}/snapshots"), &admin.access)
        .await;
    assert_eq!(
        snapshots["items"].as_array().unwrap().len(),
        1,
        "{snapshots}"
    );
    let volumes = sim.app.get_json("/api/v1/volumes", &admin.access).await;
    assert_eq!(
        volumes["items"].as_array().unwrap().len(),
        2,
        "no clone: {volumes}"
    );

    // Another volume is not held up; once the job ended, the volume takes the next.
    let (code, _) = call(
        &sim.app,
        &admin,
        Method::POST,
        &format!("/api/v1/volumes/{logs}/grow"),
        Some(json!({ "size_gib": 2 })),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED);
    let (code, _) = call(
        &sim.app,
        &admin,
        Method::POST,
        &format!("/api/v1/jobs/{job}/cancel"),
        None,
    )
    .await;
    assert!(code.is_success(), "{code}");
    let (code, body) = call(
        &sim.app,
        &admin,
        Method::POST,
        &format!("{v}/snapshots"),
        Some(json!({ "name": "second" })),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_jobs_on_one_volume_make_one() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    let cluster_id: Uuid = sim.register(&admin).await.parse().unwrap();
    sim.wait_for_inventory(&admin).await;
    let data = seeded_volume(&sim, cluster_id, "data", 7001).await;
    let path = format!("/api/v1/volumes/{data}/snapshots");
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..8 {
        let request = sim
            .app
            .post(&path, &admin.access, json!({ "name": format!("snap{n}") }));
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        });
    }
    let answers = requests.join_all().await;
    let accepted = answers
        .iter()
        .filter(|(code, _)| *code == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 1, "{answers:?}");
    for (code, body) in &answers {
        assert!(
            *code == StatusCode::ACCEPTED || error_code(body) == "volume_busy",
            "{body}"
        );
    }
    // The refused ones left no snapshot behind.
    let snapshots = sim.app.get_json(&path, &admin.access).await;
    assert_eq!(
        snapshots["items"].as_array().unwrap().len(),
        1,
        "{snapshots}"
    );
    sim.shutdown().await;
}

/// A copy of a snapshot into a new volume reads the source volume's holder while its
/// job (the new volume's) runs: the source is busy with it too. Before, the source's
/// own newest job was all that was looked at, and a delete of the source was accepted
/// in the middle of the copy.
#[tokio::test]
async fn the_source_of_a_copy_is_busy_until_the_copy_has_ended() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    let cluster_id: Uuid = sim.register(&admin).await.parse().unwrap();
    sim.wait_for_inventory(&admin).await;
    let data = seeded_volume(&sim, cluster_id, "data", 7001).await;
    let volumes = sim.app.store.volumes();
    let snapshot = volumes
        .insert_snapshot(data, "before", "", 1 << 30)
        .await
        .unwrap();
    volumes
        .set_snapshot_status(snapshot.id, status::AVAILABLE)
        .await
        .unwrap();

    let s = format!("/api/v1/volume-snapshots/{}", snapshot.id);
    let (code, clone) = call(
        &sim.app,
        &admin,
        Method::POST,
        &format!("{s}/clone"),
        Some(json!({ "name": "copy" })),
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{clone}");
    let job = clone["id"].as_str().unwrap().to_owned();
    let v = format!("/api/v1/volumes/{data}");
    for (method, path, body) in [
        (Method::DELETE, v.clone(), json!({})),
        (Method::POST, format!("{v}/grow"), json!({ "size_gib": 3 })),
        (Method::POST, format!("{s}/restore"), json!({})),
        (Method::DELETE, s.clone(), json!({})),
        // A second copy too: Proxmox locks the source while it copies.
        (
            Method::POST,
            format!("{s}/clone"),
            json!({ "name": "copy-2" }),
        ),
    ] {
        let (status, body) = call(&sim.app, &admin, method, &path, Some(body)).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::CONFLICT, "volume_busy"),
            "{path}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&job) && message.contains("volume.clone"),
            "{message}"
        );
    }
    sim.shutdown().await;
}
