//! VMs over HTTP against the simulator: installed from an ISO, or cloned from a VM
//! template and then configured as asked.

use proxicloud_store::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::job_support::{ISO, accepted, finished_job, spawn_with_engine, step_names};
use crate::support::status_and_json;

#[tokio::test]
async fn vms_install_from_an_iso_or_are_cloned_from_a_template() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();

    let iso = json!({ "type": "vm", "name": "installer", "iso": ISO, "memory": 1024, "disk": 8, "start": false });
    let job = accepted(app, &alice, "/api/v1/instances", iso, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert!(job["pve_upid"].as_str().unwrap().contains(":qmcreate:"));

    let template = world.seeded_vm_template().await;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop";
    let clone = json!({
        "type": "vm", "name": "cloned", "clone_from": template["vmid"], "cores": 2, "memory": 2048, "disk": 64,
        "ssh_public_keys": [key],
    });
    let job = accepted(app, &alice, "/api/v1/instances", clone, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let steps = step_names(&job);
    assert_eq!(
        steps,
        [
            "reserve",
            "create",
            "await_create",
            "configure",
            "start",
            "finalize"
        ]
    );

    let copy = world
        .sim
        .cluster()
        .guests
        .values()
        .find(|g| g.config.get("name").is_some_and(|n| n == "cloned"))
        .expect("the clone")
        .clone();
    assert_eq!(
        (
            copy.config["cores"].as_str(),
            copy.config["memory"].as_str()
        ),
        ("2", "2048")
    );
    assert!(
        copy.config["sshkeys"].contains("alice%40laptop"),
        "{:?}",
        copy.config.get("sshkeys")
    );
    assert!(
        copy.config["scsi0"].ends_with("size=64G"),
        "grown to the asked size: {}",
        copy.config["scsi0"]
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

/// A clone starts as a copy of the template's disk and a disk cannot shrink: asking
/// for less is a field error on `disk` naming the template's size, not a VM that
/// silently gets a bigger disk than the request (and the review) said.
#[tokio::test]
async fn a_clone_smaller_than_its_template_is_refused_on_disk() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let template = world.seeded_vm_template().await;
    let template_gib = template["disk_bytes"].as_u64().unwrap().div_ceil(1 << 30);
    assert!(template_gib > 1, "{template}");
    let smaller = json!({
        "type": "vm", "name": "too-small", "clone_from": template["vmid"], "disk": template_gib - 1,
    });
    let response = app
        .post("/api/v1/instances/validate", &alice.access, smaller)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["fields"]["disk"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("{template_gib} GiB")) && message.contains("cannot shrink"),
        "{body}"
    );
    let same = json!({
        "type": "vm", "name": "same-size", "clone_from": template["vmid"], "disk": template_gib,
    });
    let response = app
        .post("/api/v1/instances/validate", &alice.access, same)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    world.shutdown().await;
}
