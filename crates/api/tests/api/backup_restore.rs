//! Restoring backups over HTTP against the simulator: in place (stopped, overwritten
//! with `force`, started again) and as a new instance (new vmid and name, owned by the
//! restoring user, the backed-up instance's key pairs); an archive deleted behind our
//! back is refused with `409 backup_missing`.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backups::back_up;
use crate::job_support::{create, finished_job, instance, step_names};
use crate::sim_support::eventually;
use crate::support::{call, error_code};

#[tokio::test]
async fn a_backup_restores_in_place_and_as_a_new_instance() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "origin").await;
    let original = instance(app, &alice, &id).await.1;
    let vmid = original["vmid"].as_u64().unwrap() as u32;
    let (_, backup) = back_up(
        &world,
        &alice,
        json!({"instance_id": id, "storage": "local"}),
    )
    .await;
    assert_eq!(backup["status"], json!("available"), "{backup}");
    let restore = format!("/api/v1/backups/{}/restore", backup["id"].as_str().unwrap());

    // In place: the instance changes meanwhile; the restore brings its config back.
    world
        .sim
        .cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .insert("cores".into(), "4".into());
    let (status, job) = call(app, &alice, Method::POST, &restore, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(step_names(&job), ["stop", "restore", "start"]);
    assert_eq!(job["resource_id"], json!(id));
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    {
        let cluster = world.sim.cluster();
        let guest = &cluster.guests[&vmid];
        assert_eq!(
            guest.config.get("cores").map(String::as_str),
            Some("1"),
            "{:?}",
            guest.config
        );
        assert_eq!(
            guest.config.get("hostname").map(String::as_str),
            Some("origin")
        );
        assert!(!guest.config.contains_key("lock"));
    }

    // As new: another vmid, the new name, alice's, running.
    let body = json!({"target": "new", "name": "origin-copy"});
    let (status, job) = call(app, &alice, Method::POST, &restore, Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(
        step_names(&job),
        ["reserve", "restore", "configure", "start"]
    );
    let copy_id = job["resource_id"].as_str().unwrap().to_owned();
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let copy = eventually("the copy to be mirrored running", || async {
        let (status, body) = instance(app, &alice, &copy_id).await;
        (status == StatusCode::OK && body["status"] == json!("running")).then_some(body)
    })
    .await;
    assert_eq!(copy["name"], json!("origin-copy"), "{copy}");
    assert_ne!(copy["vmid"], original["vmid"]);
    let copy_vmid = copy["vmid"].as_u64().unwrap() as u32;
    assert_eq!(
        world.sim.cluster().guests[&copy_vmid]
            .config
            .get("hostname")
            .map(String::as_str),
        Some("origin-copy")
    );

    // A name already taken, an unknown node: refused before anything runs.
    let taken = json!({"target": "new", "name": "origin"});
    let (status, body) = call(app, &alice, Method::POST, &restore, Some(taken)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let nowhere = json!({"target": "new", "name": "elsewhere", "node": "pve9"});
    let (status, body) = call(app, &alice, Method::POST, &restore, Some(nowhere)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The archive deleted behind ProxiCloud's back.
    let volid = backup["volid"].as_str().unwrap();
    let node = backup["node"].as_str().unwrap();
    world
        .sim
        .cluster()
        .nodes
        .get_mut(node)
        .unwrap()
        .storages
        .get_mut("local")
        .unwrap()
        .volumes
        .remove(volid);
    let (status, body) = call(app, &alice, Method::POST, &restore, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "backup_missing");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
