//! Images over HTTP against the simulator: one list of container templates, ISOs and
//! VM templates with storage, nodes, size and OS; the appliance catalogue and a
//! template download as a job (admins only), after which the template is listed.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{accepted, finished_job, spawn_with_engine};
use crate::support::call;

fn find<'a>(items: &'a Value, name: &str) -> Option<&'a Value> {
    items.as_array().unwrap().iter().find(|i| i["name"] == name)
}

#[tokio::test]
async fn images_list_every_kind_and_admins_download_templates_from_the_catalogue() {
    let world = spawn_with_engine().await;
    let (_, reader) = world.user(Role::Readonly).await;
    let (_, operator) = world.user(Role::Operator).await;
    let app = world.app();
    let admin = &world.admin;

    // Everyone signed in sees the list (it is what the launch wizard offers).
    let (status, list) = call(app, &reader, Method::GET, "/api/v1/images", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = &list["items"];
    let debian = find(items, "debian-12-standard_12.7-1_amd64.tar.zst").expect("a seeded template");
    assert_eq!(debian["kind"], "lxc_template");
    assert_eq!(
        debian["volid"],
        "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
    );
    assert_eq!(debian["storage"], "local");
    assert_eq!(debian["os"], "debian 12");
    assert!(debian["size"].as_u64().unwrap() > 0);
    assert!(!debian["nodes"].as_array().unwrap().is_empty());
    let kinds: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"iso") && kinds.contains(&"vm_template"),
        "{kinds:?}"
    );
    let template = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "vm_template")
        .unwrap();
    assert!(template["vmid"].as_u64().is_some() && template["volid"].is_null());
    // Where images can go: each online node's template and ISO storages.
    let node = debian["nodes"][0].as_str().unwrap();
    let local = list["storages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node"] == node && s["storage"] == "local")
        .unwrap_or_else(|| panic!("{node}'s local storage in {list}"));
    assert_eq!(local["container_templates"], true, "{local}");
    assert_eq!(local["isos"], true, "{local}");
    assert!(
        !list["storages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["storage"] == "local-lvm"),
        "a storage for disks only is no place for images: {list}"
    );

    // The catalogue and downloads are for admins.
    let (status, _) = call(app, &operator, Method::GET, "/api/v1/images/catalog", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, catalog) = call(app, admin, Method::GET, "/api/v1/images/catalog", None).await;
    assert_eq!(status, StatusCode::OK, "{catalog}");
    let wanted = "debian-13-standard_13.1-2_amd64.tar.zst";
    assert!(
        catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["template"] == wanted)
    );
    assert!(find(items, wanted).is_none(), "not downloaded yet");

    let node = debian["nodes"][0].as_str().unwrap().to_owned();
    let download = json!({ "node": node, "storage": "local", "template": wanted });
    let (status, _) = call(
        app,
        &operator,
        Method::POST,
        "/api/v1/images/download",
        Some(download.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, field) in [
        (
            json!({ "node": node, "storage": "local-lvm", "template": wanted }),
            "storage",
        ),
        (
            json!({ "node": node, "storage": "local", "template": "nope.tar.zst" }),
            "template",
        ),
        (
            json!({ "node": "pve99", "storage": "local", "template": wanted }),
            "node",
        ),
    ] {
        let (status, error) = call(
            app,
            admin,
            Method::POST,
            "/api/v1/images/download",
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(error["error"]["fields"][field].is_string(), "{error}");
    }

    let job = accepted(app, admin, "/api/v1/images/download", download, None).await;
    assert_eq!(job["kind"], "image.download");
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":download:"),
        "{job}"
    );
    assert_eq!(job["progress"], 100, "{job}");
    let (_, list) = call(app, &reader, Method::GET, "/api/v1/images", None).await;
    let downloaded = find(&list["items"], wanted).expect("listed once downloaded");
    assert_eq!(downloaded["volid"], format!("local:vztmpl/{wanted}"));
    assert_eq!(downloaded["os"], "debian 13");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_cluster_keeps_its_internals_from_non_admins() {
    let world = spawn_with_engine().await;
    let (_, reader) = world.user(Role::Readonly).await;
    world.sim.sim_control(Method::POST, "api/down").await;
    let (status, body) = call(world.app(), &reader, Method::GET, "/api/v1/images", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unreachable"), "{message}");
    for internal in ["127.0.0.1", "http", "error"] {
        assert!(!message.contains(internal), "{internal} in {message}");
    }
    // The admin, who manages the cluster, reads what Proxmox said.
    let (status, body) = call(
        world.app(),
        &world.admin,
        Method::GET,
        "/api/v1/images",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let detailed = body["error"]["message"].as_str().unwrap();
    assert!(
        detailed.contains("cannot ask Proxmox VE cluster"),
        "{detailed}"
    );
    world.shutdown().await;
}

/// `local:iso/x.iso` as a path segment.
fn segment(id: &str) -> String {
    id.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test]
async fn admins_delete_isos_and_vm_templates_and_they_leave_the_list() {
    let world = spawn_with_engine().await;
    let (_, operator) = world.user(Role::Operator).await;
    let app = world.app();
    let admin = &world.admin;
    let (_, list) = call(app, admin, Method::GET, "/api/v1/images", None).await;
    let items = list["items"].as_array().unwrap();
    let iso = items.iter().find(|i| i["kind"] == "iso").unwrap().clone();
    assert_eq!(iso["id"], iso["volid"], "{iso}");
    let path = format!("/api/v1/images/{}", segment(iso["id"].as_str().unwrap()));

    let (status, _) = call(app, &operator, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        app,
        admin,
        Method::DELETE,
        "/api/v1/images/local%3Aiso%2Fnope.iso",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(
        app,
        admin,
        Method::DELETE,
        &format!("{path}?node=pve99"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["node"].is_string(), "{body}");

    let (status, job) = call(app, admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "image.delete");
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let volid = iso["volid"].as_str().unwrap();
    let on_storage = world
        .sim
        .cluster()
        .nodes
        .values()
        .any(|n| n.storages.values().any(|s| s.volumes.contains_key(volid)));
    assert!(!on_storage, "{volid} is gone from every node");

    // A VM template (no linked clone uses it) goes as a guest.
    let template = items
        .iter()
        .find(|i| i["kind"] == "vm_template")
        .unwrap()
        .clone();
    let vmid = template["vmid"].as_u64().unwrap();
    assert_eq!(template["id"], vmid.to_string());
    let path = format!("/api/v1/images/{vmid}");
    let (status, job) = call(app, admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(
        !world
            .sim
            .cluster()
            .guests
            .values()
            .any(|g| u64::from(g.vmid) == vmid),
        "VM template {vmid} destroyed"
    );

    let (_, after) = call(app, admin, Method::GET, "/api/v1/images", None).await;
    let ids: Vec<&Value> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert!(
        !ids.contains(&&iso["id"]) && !ids.contains(&&template["id"]),
        "{ids:?}"
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
