//! Volumes over HTTP against the simulator: the user's main path (create, attach at
//! /data, survive stop/start, snapshot, outlive the instance, clone from the snapshot
//! onto another instance) and the requests refused before Proxmox is touched.

use proxicloud_store::{NewVolume, Role, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{
    JobWorld, SSH_KEY, TEMPLATE, accepted, finished_job, instance, spawn_with_engine,
};
use crate::sim_support::eventually;
use crate::support::{Session, TestApp, error_code, status_and_json};

async fn succeeded(world: &JobWorld, session: &Session, path: &str, body: Value) -> Value {
    let job = accepted(world.app(), session, path, body, None).await;
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{path}: {job:#}");
    job
}

async fn volume(app: &TestApp, session: &Session, id: &str) -> Value {
    let (status, body) = status_and_json(
        app.get(&format!("/api/v1/volumes/{id}"), &session.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A container on `node`, running; returns its id and vmid.
async fn container_on(
    world: &JobWorld,
    session: &Session,
    name: &str,
    node: &str,
) -> (String, u32) {
    let body = json!({ "type": "lxc", "name": name, "template": TEMPLATE, "cores": 1,
        "memory": 512, "disk": 4, "node": node, "ssh_public_keys": [SSH_KEY] });
    let job = succeeded(world, session, "/api/v1/instances", body).await;
    let detail = job["steps"][0]["detail"].as_str().unwrap();
    let id = detail
        .trim_start_matches("instance ")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    let (_, shown) = instance(world.app(), session, &id).await;
    (id, shown["vmid"].as_u64().unwrap() as u32)
}

fn config_of(world: &JobWorld, vmid: u32) -> std::collections::BTreeMap<String, String> {
    world.sim.cluster().guests[&vmid].config.clone()
}

async fn refused(
    app: &TestApp,
    session: &Session,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    crate::support::call(app, session, method, path, Some(body)).await
}

#[tokio::test]
async fn a_volume_outlives_its_instance_and_its_snapshot_makes_a_new_volume() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (web, web_vmid) = container_on(&world, &alice, "web-1", "pve1").await;
    let (_, shown) = instance(app, &alice, &web).await;
    let cluster_id = shown["cluster_id"].as_str().unwrap().to_owned();

    // Create: a holder container on pve1 whose mp0 is the volume.
    let create = json!({ "name": "data", "size_gib": 10, "cluster_id": cluster_id,
        "node": "pve1", "storage": "local-lvm" });
    let job = succeeded(&world, &alice, "/api/v1/volumes", create).await;
    let id = job["resource_id"].as_str().unwrap().to_owned();
    let created = volume(app, &alice, &id).await;
    assert_eq!(
        (created["status"].clone(), created["size_gib"].clone()),
        (json!("available"), json!(10))
    );
    assert_eq!(created["snapshots_supported"], json!(true));

    // Attach at /data: a mount point naming the holder's volume.
    succeeded(
        &world,
        &alice,
        &format!("/api/v1/volumes/{id}/attach"),
        json!({ "instance_id": web, "mount_path": "/data" }),
    )
    .await;
    let attached = volume(app, &alice, &id).await;
    assert_eq!(attached["status"], json!("in-use"));
    let device = attached["attachment"]["device"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(device, "mp0");
    let value = config_of(&world, web_vmid)[&device].clone();
    assert!(value.contains(",mp=/data"), "{value}");
    let volid = value.split(',').next().unwrap().to_owned();

    // Still attached after stop and start.
    for action in ["stop", "start"] {
        succeeded(
            &world,
            &alice,
            &format!("/api/v1/instances/{web}/{action}"),
            json!({}),
        )
        .await;
    }
    assert_eq!(config_of(&world, web_vmid)[&device], value);
    assert_eq!(volume(app, &alice, &id).await["status"], json!("in-use"));

    // A running container cannot let go of a mount point: refused, nothing changed.
    eventually("the mirror to see the container running", || async {
        let (_, body) = instance(app, &alice, &web).await;
        (body["status"] == json!("running")).then_some(())
    })
    .await;
    let (status, body) = refused(
        app,
        &alice,
        Method::POST,
        &format!("/api/v1/volumes/{id}/detach"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "instance_running")
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("stop"));
    // Deleting an attached volume is refused too.
    let (status, body) = refused(
        app,
        &alice,
        Method::DELETE,
        &format!("/api/v1/volumes/{id}"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "volume_in_use")
    );

    // Snapshot while attached.
    succeeded(
        &world,
        &alice,
        &format!("/api/v1/volumes/{id}/snapshots"),
        json!({ "name": "before-upgrade", "description": "v1" }),
    )
    .await;
    let snapshots = app
        .get(&format!("/api/v1/volumes/{id}/snapshots"), &alice.access)
        .send()
        .await
        .unwrap();
    let (_, snapshots) = status_and_json(snapshots).await;
    let snapshot = snapshots["items"][0].clone();
    assert_eq!(
        (snapshot["name"].clone(), snapshot["status"].clone()),
        (json!("before-upgrade"), json!("available"))
    );

    // Terminate the instance: the volume stays, detached, with its snapshot.
    let terminate = app
        .request(
            Method::DELETE,
            &format!("/api/v1/instances/{web}?confirm=web-1"),
        )
        .bearer_auth(&alice.access);
    let (status, job) = status_and_json(terminate.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let kept = volume(app, &alice, &id).await;
    assert_eq!(kept["status"], json!("available"));
    assert!(kept.get("attachment").is_none());
    let (sid, _) = volid.split_once(':').unwrap();
    assert!(
        world.sim.cluster().nodes["pve1"].storages[sid]
            .volumes
            .contains_key(&volid),
        "the volume's data is still on Proxmox"
    );

    // A new volume from the snapshot, attached to another instance.
    let (other, other_vmid) = container_on(&world, &alice, "web-2", "pve1").await;
    let snapshot_id = snapshot["id"].as_str().unwrap();
    let job = succeeded(
        &world,
        &alice,
        &format!("/api/v1/volume-snapshots/{snapshot_id}/clone"),
        json!({ "name": "data-copy" }),
    )
    .await;
    let copy = job["resource_id"].as_str().unwrap().to_owned();
    assert_ne!(copy, id);
    assert_eq!(
        volume(app, &alice, &copy).await["status"],
        json!("available")
    );
    succeeded(
        &world,
        &alice,
        &format!("/api/v1/volumes/{copy}/attach"),
        json!({ "instance_id": other, "mount_path": "/restored" }),
    )
    .await;
    assert!(
        config_of(&world, other_vmid)
            .values()
            .any(|v| v.contains(",mp=/restored"))
    );

    // The original, detached, can be deleted with its snapshot and holder.
    succeeded(
        &world,
        &alice,
        &format!("/api/v1/volumes/{id}/grow"),
        json!({ "size_gib": 12 }),
    )
    .await;
    assert_eq!(volume(app, &alice, &id).await["size_gib"], json!(12));
    let delete = app
        .request(Method::DELETE, &format!("/api/v1/volumes/{id}"))
        .bearer_auth(&alice.access);
    let (status, job) = status_and_json(delete.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let gone = app
        .get(&format!("/api/v1/volumes/{id}"), &alice.access)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(
        !world.sim.cluster().nodes["pve1"].storages[sid]
            .volumes
            .contains_key(&volid)
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn bad_volume_requests_are_refused_before_proxmox_is_touched() {
    let world = spawn_with_engine().await;
    let (alice_user, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (web, _) = container_on(&world, &alice, "far-away", "pve2").await;
    let (_, shown) = instance(app, &alice, &web).await;
    let cluster_id: uuid::Uuid = shown["cluster_id"].as_str().unwrap().parse().unwrap();
    let writes = |world: &JobWorld| {
        world
            .sim
            .sim
            .recorded()
            .iter()
            .filter(|r| r.method.as_str() != "GET")
            .count()
    };
    let writes_before = writes(&world);

    // Sizes out of range: 422 on size_gib, no volume row.
    for size in [0, 16 * 1024 + 1] {
        let body = json!({ "name": "x", "size_gib": size, "cluster_id": cluster_id,
            "node": "pve1", "storage": "local-lvm" });
        let (status, body) = refused(app, &alice, Method::POST, "/api/v1/volumes", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["size_gib"].is_string(), "{body}");
    }
    // A storage that cannot hold container volumes.
    let body = json!({ "name": "x", "size_gib": 1, "cluster_id": cluster_id,
        "node": "pve1", "storage": "local" });
    let (status, body) = refused(app, &alice, Method::POST, "/api/v1/volumes", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["storage"].is_string(), "{body}");

    // Volumes made as the create job leaves them: one on LVM-thin, one on a
    // directory storage (which cannot snapshot raw volumes).
    let store = &app.store;
    let mut ids = Vec::new();
    for (storage, vmid) in [("local-lvm", 7001), ("local", 7002)] {
        let made = store
            .volumes()
            .insert(NewVolume {
                cluster_id,
                node: "pve1".into(),
                storage: storage.into(),
                class: None,
                name: storage.into(),
                size_bytes: 1 << 30,
                owner_id: Some(alice_user.id),
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
            .set_ready(made.id, &format!("{storage}:vm-{vmid}-disk-1"), now)
            .await
            .unwrap();
        ids.push(made.id.to_string());
    }
    let (thin, dir) = (&ids[0], &ids[1]);

    // Attach to an instance on another node.
    let (status, body) = refused(
        app,
        &alice,
        Method::POST,
        &format!("/api/v1/volumes/{thin}/attach"),
        json!({ "instance_id": web, "mount_path": "/data" }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "different_node")
    );
    // Snapshot on a storage that can't.
    let (status, body) = refused(
        app,
        &alice,
        Method::POST,
        &format!("/api/v1/volumes/{dir}/snapshots"),
        json!({ "name": "snap" }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "snapshots_not_supported")
    );
    // Shrinking, a bad mount path, detaching what is not attached.
    let (status, body) = refused(
        app,
        &alice,
        Method::POST,
        &format!("/api/v1/volumes/{thin}/grow"),
        json!({ "size_gib": 1 }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "volume_shrink_refused"),
        "{body}"
    );
    let (status, _) = refused(
        app,
        &alice,
        Method::POST,
        &format!("/api/v1/volumes/{thin}/detach"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Someone else's volume does not exist for bob.
    let (status, _) = refused(
        app,
        &bob,
        Method::GET,
        &format!("/api/v1/volumes/{thin}"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let listed = app
        .get("/api/v1/volumes", &bob.access)
        .send()
        .await
        .unwrap();
    let (_, listed) = status_and_json(listed).await;
    assert_eq!(listed["items"], json!([]));

    // Nothing reached Proxmox, nothing changed.
    assert_eq!(writes(&world), writes_before, "no Proxmox write");
    for id in [thin, dir] {
        let shown = volume(app, &alice, id).await;
        assert_eq!(shown["status"], json!("available"));
        assert!(shown.get("attachment").is_none());
    }
    world.shutdown().await;
}
