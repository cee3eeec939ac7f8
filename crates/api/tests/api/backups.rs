//! Backups over HTTP against the simulator: taken as a job that waits on vzdump and
//! records the archive its task log names; listed, protected and deleted per owner;
//! bad requests and storages that cannot hold backups refused before anything runs.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, accepted, create, finished_job, instance};
use crate::support::{Session, call, error_code};

/// Backs `instance` up to `local` and waits for the job; the job and the backup.
pub(crate) async fn back_up(world: &JobWorld, session: &Session, body: Value) -> (Value, Value) {
    let job = accepted(world.app(), session, "/api/v1/backups", body, None).await;
    assert_eq!(job["kind"], json!("backup.create"), "{job}");
    let id = job["resource_id"].as_str().unwrap().to_owned();
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    let (status, backup) = call(
        world.app(),
        session,
        Method::GET,
        &format!("/api/v1/backups/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backup}");
    (job, backup)
}

#[tokio::test]
async fn a_backup_records_the_archive_vzdump_names_and_is_owned_protected_and_deleted() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "keeper").await;
    let guest = instance(app, &alice, &id).await.1;
    let (vmid, node) = (
        guest["vmid"].as_u64().unwrap(),
        guest["node"].as_str().unwrap().to_owned(),
    );

    let body = json!({"instance_id": id, "storage": "local", "mode": "suspend",
        "notes": "before upgrade\nC:\\dir", "protected": true});
    let (job, backup) = back_up(&world, &alice, body).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":vzdump:"),
        "{job}"
    );
    assert_eq!(backup["status"], json!("available"), "{backup}");
    assert_eq!(
        (&backup["mode"], &backup["type"], &backup["instance_name"]),
        (&json!("suspend"), &json!("lxc"), &json!("keeper"))
    );
    let volid = backup["volid"].as_str().unwrap().to_owned();
    assert!(
        volid.starts_with(&format!("local:backup/vzdump-lxc-{vmid}-"))
            && volid.ends_with(".tar.zst"),
        "{volid}"
    );
    assert_eq!(backup["config"]["hostname"], json!("keeper"), "{backup}");
    assert!(backup["size_bytes"].as_u64().unwrap() > 0);
    assert!(backup["duration_secs"].is_u64(), "{backup}");
    {
        let cluster = world.sim.cluster();
        let archive = &cluster.nodes[&node].storages["local"].volumes[&volid];
        assert!(archive.protected);
        assert_eq!(archive.notes.as_deref(), Some("before upgrade\nC:\\dir"));
        assert_eq!(archive.size, backup["size_bytes"].as_u64().unwrap());
    }

    // Someone else's backup does not exist for bob, nor in his list.
    let path = format!("/api/v1/backups/{}", backup["id"].as_str().unwrap());
    let (status, _) = call(app, &bob, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, bobs) = call(app, &bob, Method::GET, "/api/v1/backups", None).await;
    assert_eq!(bobs["items"], json!([]));
    let listed = format!("/api/v1/backups?instance_id={id}&status=available");
    let (_, alices) = call(app, &alice, Method::GET, &listed, None).await;
    assert_eq!(alices["items"].as_array().unwrap().len(), 1, "{alices}");

    let (status, refused) = call(app, &alice, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(error_code(&refused), "backup_protected");
    let (status, unprotected) = call(
        app,
        &alice,
        Method::POST,
        &format!("{path}/unprotect"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{unprotected}");
    assert_eq!(unprotected["protected"], json!(false));
    assert!(!world.sim.cluster().nodes[&node].storages["local"].volumes[&volid].protected);

    let (status, job) = call(app, &alice, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let (status, _) = call(app, &alice, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !world.sim.cluster().nodes[&node].storages["local"]
            .volumes
            .contains_key(&volid)
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn bad_requests_and_storages_without_backup_content_are_refused_at_once() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, reader) = world.user(Role::Readonly).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "plain").await;
    let post = |session: &Session, body: Value| {
        let session = session.clone();
        async move { call(app, &session, Method::POST, "/api/v1/backups", Some(body)).await }
    };

    // What the console offers: the node's storages that hold backups.
    let offered = format!("/api/v1/instances/{id}/backup-storages");
    let (status, storages) = call(app, &alice, Method::GET, &offered, None).await;
    assert_eq!(status, StatusCode::OK, "{storages}");
    let names: Vec<&str> = storages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["storage"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"local") && !names.contains(&"local-lvm"),
        "{names:?}"
    );

    let (status, body) = post(&alice, json!({"instance_id": id, "storage": "local-lvm"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["storage"]
            .as_str()
            .unwrap()
            .contains("cannot hold backups"),
        "{body}"
    );
    let (status, body) = post(&alice, json!({"instance_id": id, "storage": "nowhere"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post(
        &alice,
        json!({"instance_id": id, "storage": "local", "mode": "fast"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post(
        &alice,
        json!({"instance_id": id, "storage": "local", "notes": "{{vmid}}"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post(&reader, json!({"instance_id": id, "storage": "local"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(app, &alice, Method::GET, "/api/v1/backups?cursor=zz", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, all) = call(app, &world.admin, Method::GET, "/api/v1/backups", None).await;
    assert_eq!(all["items"], json!([]), "nothing was recorded");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn a_guest_locked_by_another_backup_fails_the_job_with_pves_words() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "busy").await;
    let vmid = instance(world.app(), &alice, &id).await.1["vmid"]
        .as_u64()
        .unwrap() as u32;
    world
        .sim
        .cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .insert("lock".into(), "backup".into());
    let (job, backup) = back_up(
        &world,
        &alice,
        json!({"instance_id": id, "storage": "local"}),
    )
    .await;
    assert_eq!(job["status"], json!("failed"), "{job:#}");
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .contains("CT is locked (backup)"),
        "{job}"
    );
    assert_eq!(backup["status"], json!("error"));
    assert!(
        backup["error"].as_str().unwrap().contains("locked"),
        "{backup}"
    );
    assert!(backup.get("volid").is_none(), "{backup}");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
