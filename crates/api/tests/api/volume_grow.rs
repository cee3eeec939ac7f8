//! Growing a volume records the size Proxmox VE reports, never the requested one. A
//! grow that Proxmox refuses because the volume is larger there already (a race: the
//! row was behind) fails clearly and records the real size; a grow to what Proxmox
//! already has (a resumed run whose resize had landed) succeeds. pve-container's
//! `resize_vm` (src/PVE/API2/LXC.pm, `$load_and_check`) decides both: "unable to
//! shrink disk size" below the current size, "disk is already at specified size" at it.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, accepted, finished_job, spawn_with_engine};
use crate::support::{Session, call, error_code};

const GIB: u64 = 1 << 30;

async fn grow(world: &JobWorld, session: &Session, id: &str, size_gib: u64) -> Value {
    let path = format!("/api/v1/volumes/{id}/grow");
    let job = accepted(
        world.app(),
        session,
        &path,
        json!({ "size_gib": size_gib }),
        None,
    )
    .await;
    finished_job(world.app(), session, job["id"].as_str().unwrap()).await
}

/// Sets the volume's size on the simulated storage, as another client would.
fn plant_size(world: &JobWorld, volid: &str, bytes: u64) {
    let (storage, _) = volid.split_once(':').unwrap();
    let mut cluster = world.sim.cluster();
    let volume = cluster
        .nodes
        .get_mut("pve1")
        .unwrap()
        .storages
        .get_mut(storage)
        .unwrap();
    volume.volumes.get_mut(volid).unwrap().size = bytes;
}

fn real_size(world: &JobWorld, volid: &str) -> u64 {
    let (storage, _) = volid.split_once(':').unwrap();
    world.sim.cluster().nodes["pve1"].storages[storage].volumes[volid].size
}

#[tokio::test]
async fn grow_records_what_proxmox_has_and_a_refused_grow_fails_clearly() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let clusters = app.get_json("/api/v1/clusters", &world.admin.access).await;
    let cluster_id = clusters["items"][0]["id"].as_str().unwrap().to_owned();
    let create = json!({ "name": "data", "size_gib": 10, "cluster_id": cluster_id,
        "node": "pve1", "storage": "local-lvm" });
    let job = accepted(app, &alice, "/api/v1/volumes", create, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let id = job["resource_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/volumes/{id}");
    let volid = app
        .store
        .volumes()
        .get(id.parse().unwrap())
        .await
        .unwrap()
        .volid
        .expect("the volume's Proxmox volume");

    // Plain grow: the size Proxmox reports afterwards is recorded.
    let job = grow(&world, &alice, &id, 12).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert_eq!(real_size(&world, &volid), 12 * GIB);
    assert_eq!(
        app.get_json(&path, &alice.access).await["size_gib"],
        json!(12)
    );

    // Refused up front: not larger than what we know.
    for size in [12, 11] {
        let (status, body) = call(
            app,
            &alice,
            Method::POST,
            &format!("{path}/grow"),
            Some(json!({ "size_gib": size })),
        )
        .await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::CONFLICT, "volume_shrink_refused"),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("12 GiB"),
            "{body}"
        );
    }

    // The volume grew to 20 GiB behind our back: a grow to 15 passes our check, and
    // Proxmox refuses it. The job fails saying so, and records 20, not 15.
    plant_size(&world, &volid, 20 * GIB);
    let job = grow(&world, &alice, &id, 15).await;
    assert_eq!(job["status"], json!("failed"), "{job:#}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("unable to shrink")
            && error.contains("it is 20 GiB there now, and volumes only grow"),
        "{error}"
    );
    assert_eq!(
        app.get_json(&path, &alice.access).await["size_gib"],
        json!(20)
    );
    assert_eq!(real_size(&world, &volid), 20 * GIB, "Proxmox kept its size");

    // Proxmox has the requested size already (a resumed run whose resize landed):
    // done, with that size.
    plant_size(&world, &volid, 25 * GIB);
    let job = grow(&world, &alice, &id, 25).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert_eq!(
        app.get_json(&path, &alice.access).await["size_gib"],
        json!(25)
    );

    // A snapshot, a grow to 30 GiB, a restore: the size recorded is the one Proxmox
    // has after the rollback (the row said 30).
    let snap = accepted(
        app,
        &alice,
        &format!("{path}/snapshots"),
        json!({ "name": "before-30" }),
        None,
    )
    .await;
    let snap = finished_job(app, &alice, snap["id"].as_str().unwrap()).await;
    assert_eq!(snap["status"], json!("succeeded"), "{snap:#}");
    assert_eq!(
        grow(&world, &alice, &id, 30).await["status"],
        json!("succeeded")
    );
    let snapshots = app
        .get_json(&format!("{path}/snapshots"), &alice.access)
        .await;
    let snapshot = snapshots["items"][0]["id"].as_str().unwrap().to_owned();
    let restore = format!("/api/v1/volume-snapshots/{snapshot}/restore");
    let job = accepted(app, &alice, &restore, json!({}), None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert_eq!(
        app.get_json(&path, &alice.access).await["size_gib"],
        json!(real_size(&world, &volid) / GIB)
    );
    assert!(
        real_size(&world, &volid) < 30 * GIB,
        "the rollback shrank it back"
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
