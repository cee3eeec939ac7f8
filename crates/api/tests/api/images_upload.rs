//! Uploads over HTTP against the simulator: an admin streams an ISO (larger than any
//! JSON body may be) with its checksum, the `image.upload` job waits for Proxmox's copy
//! and the ISO is listed; a wrong checksum fails the job and leaves nothing; everything
//! else that can be wrong is refused before a byte is sent on.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::job_support::{JobWorld, finished_job, spawn_with_engine};
use crate::support::{Session, call, status_and_json};

/// Bigger than `MAX_BODY_BYTES` (256 KiB), which bounds every other body.
const FILE_LEN: usize = 600 * 1024;

fn file() -> Vec<u8> {
    (0..FILE_LEN).map(|i| (i * 7 % 251) as u8).collect()
}

async fn upload(
    world: &JobWorld,
    session: &Session,
    query: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = world
        .app()
        .request(Method::POST, &format!("/api/v1/images/upload?{query}"))
        .bearer_auth(&session.access)
        .header("content-type", "application/octet-stream")
        .header("content-length", body.len())
        .body(body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

fn listed(list: &Value, volid: &str) -> Option<Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["volid"] == volid)
        .cloned()
}

#[tokio::test]
async fn admins_upload_isos_that_proxmox_verifies_and_lists() {
    let world = spawn_with_engine().await;
    let app = world.app();
    let admin = &world.admin;
    let file = file();
    let digest = hex::encode(Sha256::digest(&file));
    let query = format!(
        "node=pve1&storage=local&content=iso&filename=My%20Installer.iso&checksum_algorithm=sha256&checksum={digest}"
    );

    let (status, job) = upload(&world, admin, &query, file.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "image.upload");
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let (_, list) = call(app, admin, Method::GET, "/api/v1/images", None).await;
    let iso = listed(&list, "local:iso/My_Installer.iso")
        .unwrap_or_else(|| panic!("listed under the name Proxmox stores: {list}"));
    assert_eq!(iso["kind"], "iso");
    assert_eq!(iso["size"], FILE_LEN as u64);

    // A checksum that does not match: Proxmox's copy task refuses, nothing is kept.
    let bad = format!(
        "node=pve1&storage=local&content=iso&filename=bad.iso&checksum_algorithm=sha256&checksum={}",
        "0".repeat(64)
    );
    let (status, job) = upload(&world, admin, &bad, file.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job:#}");
    assert!(
        job["error"].to_string().contains("checksum mismatch"),
        "{job:#}"
    );
    let (_, list) = call(app, admin, Method::GET, "/api/v1/images", None).await;
    assert!(listed(&list, "local:iso/bad.iso").is_none());
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn uploads_are_for_admins_and_bad_ones_are_refused_before_any_byte_moves() {
    let world = spawn_with_engine().await;
    let (_, operator) = world.user(Role::Operator).await;
    let admin = &world.admin;
    let ok = "node=pve1&storage=local&content=iso&filename=a.iso";

    let (status, _) = upload(&world, &operator, ok, b"iso".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for (query, field) in [
        (
            "node=pve1&storage=local-lvm&content=iso&filename=a.iso",
            "storage",
        ),
        (
            "node=pve1&storage=nope&content=iso&filename=a.iso",
            "storage",
        ),
        ("node=pve9&storage=local&content=iso&filename=a.iso", "node"),
        (
            "node=pve1&storage=local&content=iso&filename=a.tar.zst",
            "filename",
        ),
        (
            "node=pve1&storage=local&content=lxc_template&filename=a.iso",
            "filename",
        ),
        (
            "node=pve1&storage=local&content=iso&filename=a.iso&checksum_algorithm=sha256&checksum=abc",
            "checksum",
        ),
        (
            "node=pve1&storage=local&content=iso&filename=a.iso&checksum=abc",
            "checksum_algorithm",
        ),
        ("storage=local&content=iso&filename=a.iso", "node"),
        (
            "node=pve1&storage=local&content=exe&filename=a.iso",
            "content",
        ),
    ] {
        let (status, error) = upload(&world, admin, query, b"iso".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {error}");
        assert!(
            error["error"]["fields"][field].is_string(),
            "{query}: {error}"
        );
    }
    let (status, error) = upload(&world, admin, ok, Vec::new()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    // A dry run checks everything but the bytes and stores nothing.
    let dry = |query: &str| {
        world
            .app()
            .request(Method::POST, &format!("/api/v1/images/upload?{query}"))
            .bearer_auth(&admin.access)
            .send()
    };
    let response = dry(&format!("{ok}&dry_run=true&size=1000")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, error) = status_and_json(
        dry("node=pve1&storage=local-lvm&content=iso&filename=a.iso&dry_run=true&size=1000")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["fields"]["storage"].is_string(), "{error}");
    let (status, error) = status_and_json(dry(&format!("{ok}&dry_run=true")).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["fields"]["size"].is_string(), "{error}");
    let (status, error) = status_and_json(
        dry(&format!("{ok}&dry_run=true&size=999999999999999"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["fields"]["body"]
            .to_string()
            .contains("does not fit"),
        "{error}"
    );

    // Without a length (a chunked body) the server cannot check that the file fits.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(b"iso".to_vec())];
    let response = world
        .app()
        .request(Method::POST, &format!("/api/v1/images/upload?{ok}"))
        .bearer_auth(&admin.access)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let (status, error) = status_and_json(response).await;
    assert_eq!(status, StatusCode::LENGTH_REQUIRED, "{error}");
    assert_eq!(error["error"]["code"], "length_required");

    let (_, list) = call(world.app(), admin, Method::GET, "/api/v1/images", None).await;
    assert!(listed(&list, "local:iso/a.iso").is_none(), "{list}");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
