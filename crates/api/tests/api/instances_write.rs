//! Instance writes over HTTP against the simulator over HTTPS: a container created
//! to `running` and driven through power actions, termination with its name
//! confirmed, and validation that never reaches Proxmox.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::job_support::{
    accepted, container, create, finished_job, instance, mirrored_status, spawn_with_engine,
    step_names,
};
use crate::sim_support::eventually;
use crate::support::{error_code, status_and_json};

#[tokio::test]
async fn a_container_is_created_running_and_obeys_power_actions() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();

    let (job, id) = create(&world, &alice, "web-1").await;
    let steps = step_names(&job);
    assert_eq!(
        steps,
        ["reserve", "create", "await_create", "start", "finalize"]
    );
    assert_eq!(job["progress"], json!(100));
    assert!(job["pve_upid"].as_str().unwrap().contains(":vzstart:"));
    mirrored_status(app, &alice, &id, "running").await;
    let (_, shown) = instance(app, &alice, &id).await;
    assert_eq!(
        (
            shown["name"].clone(),
            shown["type"].clone(),
            shown["managed"].clone()
        ),
        (json!("web-1"), json!("lxc"), json!(true))
    );

    // On Proxmox: a container carrying the job's mark.
    let vmid = shown["vmid"].as_u64().unwrap() as u32;
    let marker = format!("proxicloud-job={}", job["id"].as_str().unwrap());
    let description = world.sim.cluster().guests[&vmid]
        .config
        .get("description")
        .cloned();
    assert!(description.is_some_and(|d| d.contains(&marker)));

    for (action, status) in [
        ("stop", "stopped"),
        ("start", "running"),
        ("reboot", "running"),
        ("shutdown", "stopped"),
    ] {
        let job = accepted(
            app,
            &alice,
            &format!("/api/v1/instances/{id}/{action}"),
            json!({}),
            None,
        )
        .await;
        assert_eq!(
            (job["kind"].clone(), job["resource_id"].clone()),
            (json!(format!("instance.{action}")), json!(id))
        );
        let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], json!("succeeded"), "{action}: {job:#}");
        mirrored_status(app, &alice, &id, status).await;
    }
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn terminate_requires_the_name_and_removes_the_instance() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "doomed").await;
    // The name to confirm is the one the console shows: the mirror's, once polled.
    eventually("the mirror to show the new name", || async {
        let (_, body) = instance(app, &alice, &id).await;
        (body["name"] == json!("doomed")).then_some(())
    })
    .await;

    let path = format!("/api/v1/instances/{id}");
    let wrong = app
        .request(Method::DELETE, &path)
        .bearer_auth(&alice.access)
        .json(&json!({ "confirm": "Doomed" }));
    let (status, body) = status_and_json(wrong.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["confirm"]
            .as_str()
            .unwrap()
            .contains("'doomed'"),
        "{body}"
    );
    let (status, _) = instance(app, &alice, &id).await;
    assert_eq!(status, StatusCode::OK, "still there");

    let confirmed = app
        .request(Method::DELETE, &format!("{path}?confirm=doomed"))
        .bearer_auth(&alice.access);
    let (status, job) = status_and_json(confirmed.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let (status, body) = instance(app, &alice, &id).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let names: Vec<String> = world
        .sim
        .cluster()
        .guests
        .values()
        .filter_map(|g| g.config.get("hostname").cloned())
        .collect();
    assert!(
        !names.contains(&"doomed".to_owned()),
        "destroyed on Proxmox"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn invalid_requests_are_refused_before_proxmox_is_touched() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    world.sim.sim_control(Method::DELETE, "requests").await;
    let bad = json!({
        "type": "lxc", "name": "not_a_dns_label", "template": "local:vztmpl/nope.tar.zst",
        "cores": 0, "ssh_public_keys": ["ssh-rsa garbage"], "network": { "bridge": "vmbr0" }
    });
    let response = world
        .app()
        .post("/api/v1/instances", &alice.access, bad)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let fields: Vec<&String> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["cores", "name", "ssh_public_keys[0]"]);

    // Well-formed, but the template is not in that storage: Proxmox is asked, not changed.
    let missing = json!({ "type": "lxc", "template": "local:vztmpl/nope.tar.zst",
        "generate_root_password": true });
    let response = world
        .app()
        .post("/api/v1/instances", &alice.access, missing)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["template"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{body}"
    );
    let writes: Vec<String> = world
        .sim
        .sim
        .recorded()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        writes.is_empty(),
        "nothing was changed on Proxmox: {writes:?}"
    );
    world.shutdown().await;
}

/// An instance's name becomes its DNS name, so within a cluster it is unique: a second
/// launch with a name a live guest has (whoever owns it, in any letter case) is refused
/// with a field error before a job is queued.
#[tokio::test]
async fn a_name_taken_in_the_cluster_is_refused_as_a_field_error() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "dev-129").await;
    eventually("the mirror to show the new name", || async {
        let (_, body) = instance(app, &alice, &id).await;
        (body["name"] == json!("dev-129")).then_some(())
    })
    .await;
    // A guest found on Proxmox (nobody's) counts as much as one of ours.
    let listed = app
        .get_json("/api/v1/instances?limit=1&sort=name", &world.admin.access)
        .await;
    let found = listed["items"][0]["name"].as_str().unwrap().to_owned();

    for (who, name) in [
        (&alice, "dev-129".to_owned()),
        (&bob, "DEV-129".to_owned()),
        (&bob, found.clone()),
    ] {
        for path in ["/api/v1/instances", "/api/v1/instances/validate"] {
            let response = app
                .post(path, &who.access, container(&name))
                .send()
                .await
                .unwrap();
            let (status, body) = status_and_json(response).await;
            assert_eq!(
                (status, error_code(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{path} {name}: {body}"
            );
            let message = body["error"]["fields"]["name"].as_str().unwrap_or_default();
            assert!(message.contains("already"), "{path} {name}: {body}");
        }
    }
    let jobs = app.get_json("/api/v1/jobs", &world.admin.access).await;
    let creates = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|job| job["kind"] == json!("instance.create"))
        .count();
    assert_eq!(creates, 1, "no job was queued for a duplicate: {jobs:#}");
    world.shutdown().await;
}
