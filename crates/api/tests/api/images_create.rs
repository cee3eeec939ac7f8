//! "Create image from instance" over HTTP against the simulator: `POST /api/v1/images`
//! turns a stopped container or VM into a template, for whoever may manage the
//! instance; a running one or a template is a 409, someone else's a 404.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{
    accepted, create, finished_job, instance, mirrored_status, spawn_with_engine,
};
use crate::support::call;

fn from(id: &str) -> Option<Value> {
    Some(json!({ "instance_id": id }))
}

#[tokio::test]
async fn stopped_instances_become_templates_for_whoever_manages_them() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();

    // A container of alice's: running after its launch.
    let (_, id) = create(&world, &alice, "tpl-source").await;
    mirrored_status(app, &alice, &id, "running").await;
    let (status, body) = call(app, &alice, Method::POST, "/api/v1/images", from(&id)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "instance_running", "{body}");
    let stop = accepted(
        app,
        &alice,
        &format!("/api/v1/instances/{id}/stop"),
        json!({}),
        None,
    )
    .await;
    finished_job(app, &alice, stop["id"].as_str().unwrap()).await;
    mirrored_status(app, &alice, &id, "stopped").await;

    // Bob may not even learn it exists.
    let (status, body) = call(app, &bob, Method::POST, "/api/v1/images", from(&id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // pve-container answers null and runs a vztemplate task: the job finds and waits for it.
    let job = accepted(
        app,
        &alice,
        "/api/v1/images",
        json!({ "instance_id": id }),
        None,
    )
    .await;
    assert_eq!(
        (job["kind"].clone(), job["resource_id"].clone()),
        (json!("image.create"), json!(id))
    );
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":vztemplate:"),
        "{job}"
    );
    let (_, shown) = instance(app, &alice, &id).await;
    assert_eq!(shown["template"], true, "the mirror was refreshed: {shown}");
    let vmid = shown["vmid"].as_u64().unwrap() as u32;
    assert_eq!(world.sim.cluster().guests[&vmid].config["template"], "1");
    let (status, body) = call(app, &alice, Method::POST, "/api/v1/images", from(&id)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "instance_is_template", "{body}");

    // An admin turns a stopped VM (nobody's) into a template: it is an image at once.
    let admin = &world.admin;
    let (_, list) = call(app, admin, Method::GET, "/api/v1/instances?limit=500", None).await;
    let vm = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "vm" && i["status"] == "stopped" && i["template"] == false)
        .expect("a stopped VM in the seeded cluster")
        .clone();
    let vm_id = vm["id"].as_str().unwrap();
    let job = accepted(
        app,
        admin,
        "/api/v1/images",
        json!({ "instance_id": vm_id }),
        None,
    )
    .await;
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":qmtemplate:"),
        "{job}"
    );
    let (_, images) = call(app, admin, Method::GET, "/api/v1/images", None).await;
    let vmid = vm["vmid"].as_u64().unwrap().to_string();
    let listed = images["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == vmid.as_str());
    assert_eq!(
        listed.map(|i| i["kind"].clone()),
        Some(json!("vm_template")),
        "{images}"
    );

    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

/// A VM template an operator made from their VM is theirs: other operators neither see
/// it among the images and launch options nor clone it; admins see it. Before, it was
/// offered to everyone.
#[tokio::test]
async fn a_vm_template_an_operator_made_is_theirs() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let vm = json!({ "type": "vm", "name": "golden", "iso": crate::job_support::ISO,
        "memory": 1024, "disk": 8, "start": false });
    let job = accepted(app, &alice, "/api/v1/instances", vm, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let id = job["resource_id"].as_str().unwrap().to_owned();
    let job = accepted(
        app,
        &alice,
        "/api/v1/images",
        json!({ "instance_id": id }),
        None,
    )
    .await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let (_, shown) = instance(app, &alice, &id).await;
    let vmid = shown["vmid"].as_u64().unwrap();

    let offers = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == json!(vmid.to_string()))
    };
    let launchable = |body: &Value| {
        body["vm_templates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["vmid"] == json!(vmid))
    };
    for (session, sees) in [(&alice, true), (&bob, false), (&world.admin, true)] {
        let (_, images) = call(app, session, Method::GET, "/api/v1/images", None).await;
        assert_eq!(offers(&images), sees, "{images}");
        let (_, options) = call(app, session, Method::GET, "/api/v1/launch-options", None).await;
        assert_eq!(launchable(&options), sees, "{options}");
    }
    let clone = json!({ "type": "vm", "name": "copy", "clone_from": vmid, "memory": 1024,
        "disk": 8, "start": false, "ssh_public_keys": [crate::job_support::SSH_KEY] });
    let (status, body) = call(app, &bob, Method::POST, "/api/v1/instances", Some(clone)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["clone_from"].is_string(), "{body}");
    world.shutdown().await;
}
