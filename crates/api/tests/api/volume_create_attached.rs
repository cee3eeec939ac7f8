//! `POST /api/v1/volumes` with `attach`: the volume is made on the instance's node and
//! attached by the same job (its last step); what cannot work is refused up front.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::job_support::{accepted, create, finished_job, instance, spawn_with_engine, step_names};
use crate::support::{call, error_code};

#[tokio::test]
async fn a_volume_created_with_an_attachment_is_attached_by_its_job() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, web) = create(&world, &alice, "web-1").await;
    let (_, shown) = instance(app, &alice, &web).await;
    let (node, vmid) = (
        shown["node"].as_str().unwrap().to_owned(),
        shown["vmid"].as_u64().unwrap() as u32,
    );
    let cluster_id = shown["cluster_id"].as_str().unwrap().to_owned();

    let body = json!({ "name": "data", "size_gib": 2, "storage": "local-lvm",
        "attach": { "instance_id": web, "mount_path": "/data" } });
    let job = accepted(app, &alice, "/api/v1/volumes", body, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert_eq!(step_names(&job), ["holder", "ready", "config"]);
    let id = job["resource_id"].as_str().unwrap();
    let volume = app
        .get_json(&format!("/api/v1/volumes/{id}"), &alice.access)
        .await;
    assert_eq!(
        (volume["status"].clone(), volume["node"].clone()),
        (json!("in-use"), json!(node))
    );
    assert_eq!(volume["attachment"]["instance_id"], json!(web));
    let device = volume["attachment"]["device"].as_str().unwrap();
    let value = world.sim.cluster().guests[&vmid].config[device].clone();
    assert!(value.contains(",mp=/data"), "{value}");

    // Refused before anything is made: no mount path for a container, another node,
    // no place at all, someone else's instance.
    let other_node = if node == "pve1" { "pve2" } else { "pve1" };
    let refusals = [
        (
            json!({ "instance_id": web }),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "instance_id": web, "mount_path": "/x" }),
            Some(other_node),
            StatusCode::CONFLICT,
            "different_node",
        ),
    ];
    for (attach, node, status, code) in refusals {
        let mut body =
            json!({ "name": "x", "size_gib": 1, "storage": "local-lvm", "attach": attach });
        if let Some(node) = node {
            body["node"] = json!(node);
            body["cluster_id"] = json!(cluster_id);
        }
        let (got, answer) = call(app, &alice, Method::POST, "/api/v1/volumes", Some(body)).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{answer}");
    }
    let bare = json!({ "name": "x", "size_gib": 1, "storage": "local-lvm" });
    let (got, answer) = call(app, &alice, Method::POST, "/api/v1/volumes", Some(bare)).await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["fields"]["cluster_id"].is_string()
            && answer["error"]["fields"]["node"].is_string(),
        "{answer}"
    );
    let theirs = json!({ "name": "x", "size_gib": 1, "storage": "local-lvm",
        "attach": { "instance_id": web, "mount_path": "/x" } });
    let (got, answer) = call(app, &bob, Method::POST, "/api/v1/volumes", Some(theirs)).await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["fields"]["instance_id"].is_string(),
        "{answer}"
    );
    let listed = app
        .get_json("/api/v1/volumes?limit=1000", &world.admin.access)
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "nothing else was made: {listed}"
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
