//! A launch that brings volumes: a new one (made on the instance's node) and an
//! existing available one, each attached by a child job of the launch before the
//! first start; what cannot work is refused with the launch, at `volumes[i].…`.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{
    accepted, container, create, finished_job, instance, spawn_with_engine, step_names,
};
use crate::support::call;

#[tokio::test]
async fn a_launch_creates_and_attaches_its_volumes_before_the_first_start() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    // An existing, available volume of alice's on pve1, and one of bob's.
    let (_, helper) = create(&world, &alice, "helper").await;
    let (_, shown) = instance(app, &alice, &helper).await;
    let cluster_id = shown["cluster_id"].as_str().unwrap().to_owned();
    let mut made = Vec::new();
    for (session, name) in [(&alice, "logs"), (&bob, "bobs")] {
        let body = json!({ "name": name, "size_gib": 1, "cluster_id": cluster_id, "node": "pve1" });
        let job = accepted(app, session, "/api/v1/volumes", body, None).await;
        let job = finished_job(app, session, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], json!("succeeded"), "{job:#}");
        made.push(job["resource_id"].as_str().unwrap().to_owned());
    }
    let (logs, bobs) = (made[0].clone(), made[1].clone());

    let launch = |volumes: Value| {
        let mut body = container("web-1");
        body["node"] = json!("pve1");
        body["volumes"] = volumes;
        body
    };
    // Refused with the launch, nothing made: someone else's volume, a container
    // volume without a mount path, one path twice, a bad size.
    let bad = launch(json!([
        { "volume_id": bobs, "mount_path": "/a" },
        { "name": "x", "size_gib": 1 },
        { "name": "y", "size_gib": 0, "mount_path": "/b" },
        { "volume_id": logs, "mount_path": "/b" },
    ]));
    let (status, body) = call(app, &alice, Method::POST, "/api/v1/instances", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut fields: Vec<&str> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "volumes[0].volume_id",
            "volumes[1].mount_path",
            "volumes[2].size_gib",
            "volumes[3].mount_path"
        ],
        "{body}"
    );

    let body = launch(json!([
        { "name": "data", "size_gib": 2, "mount_path": "/data" },
        { "volume_id": logs, "mount_path": "/var/log/app" },
    ]));
    let job = accepted(app, &alice, "/api/v1/instances", body, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert_eq!(
        step_names(&job),
        [
            "reserve",
            "create",
            "await_create",
            "volumes",
            "start",
            "finalize"
        ]
    );
    let children: Vec<&str> = job["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["volume.create", "volume.attach"], "{job:#}");
    let web = job["resource_id"].as_str().unwrap().to_owned();
    let (_, shown) = instance(app, &alice, &web).await;
    assert_eq!(shown["status"], json!("running"));
    let vmid = shown["vmid"].as_u64().unwrap() as u32;

    let attached = app
        .get_json(&format!("/api/v1/volumes?instance_id={web}"), &alice.access)
        .await;
    let mut seen: Vec<(String, String)> = attached["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["attachment"]["mount_path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("data".to_owned(), "/data".to_owned()),
            ("logs".to_owned(), "/var/log/app".to_owned())
        ]
    );
    let config = world.sim.cluster().guests[&vmid].config.clone();
    for volume in attached["items"].as_array().unwrap() {
        assert_eq!(volume["status"], json!("in-use"), "{volume}");
        let device = volume["attachment"]["device"].as_str().unwrap();
        let path = volume["attachment"]["mount_path"].as_str().unwrap();
        assert!(
            config[device].contains(&format!(",mp={path}")),
            "{device}: {config:?}"
        );
    }
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

/// The instance's root disk and its new volumes share a storage's free space: a volume
/// that would fit alone but not beside the root disk is refused with the launch, before
/// Proxmox is asked to make anything (review: each was placed against the whole room).
#[tokio::test]
async fn a_launch_counts_its_root_disk_before_placing_its_volumes_on_the_same_storage() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, options) = call(app, &alice, Method::GET, "/api/v1/launch-options", None).await;
    let pve1 = options["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "pve1")
        .unwrap_or_else(|| panic!("{options}"));
    let storage = pve1["storages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["for_containers"] == json!(true))
        .unwrap_or_else(|| panic!("{pve1}"));
    let name = storage["storage"].as_str().unwrap();
    let free_gib = storage["avail_bytes"].as_u64().unwrap() >> 30;
    assert!(free_gib > 8, "{storage}");

    // The root disk leaves 3 GiB; a 3 GiB volume needs 4 with its holder.
    let mut body = container("crowded");
    body["node"] = json!("pve1");
    body["storage"] = json!(name);
    body["disk"] = json!(free_gib - 3);
    body["volumes"] =
        json!([{ "name": "data", "size_gib": 3, "storage": name, "mount_path": "/data" }]);
    let (status, refused) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/instances",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        refused["error"]["code"], "insufficient_storage",
        "{refused}"
    );
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("root disk"), "{message}");
    // Nothing was queued or made.
    let (_, volumes) = call(app, &alice, Method::GET, "/api/v1/volumes", None).await;
    assert_eq!(volumes["items"], json!([]), "{volumes}");

    // With a smaller root disk both fit.
    body["disk"] = json!(free_gib - 8);
    let (status, accepted) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/instances/validate",
        Some(body),
    )
    .await;
    assert!(status.is_success(), "{accepted}");
}
