//! `POST /nodes/{node}/storage/{storage}/upload` as every client sends it: a
//! `multipart/form-data` body. pveproxy (pve-http-server `PVE::APIServer::AnyEvent`,
//! `file_upload_multipart`; pve-manager `PVE::HTTPServer` marks the path as an upload)
//! takes `content`, `checksum-algorithm`, `checksum` and the file part named
//! `filename`; pve-storage `PVE::API2::Storage::Status::upload` copies it in an
//! `imgcopy` task that checks the checksum first.

use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{Harness, body, reason};

const BOUNDARY: &str = "----proxicloud-test-7d1f";

fn multipart(fields: &[(&str, &str)], filename: &str, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"filename\"; \
             filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn post_upload(harness: &Harness, body_bytes: Vec<u8>) -> reqwest::Response {
    harness
        .api(Method::POST, "/nodes/pve1/storage/local/upload")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body_bytes)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn multipart_uploads_become_storage_content_through_an_imgcopy_task() {
    let harness = Harness::default().await;
    let iso = b"CD001 pretend this is an ISO image".repeat(100);
    let checksum = hex::encode(Sha256::digest(&iso));
    let response = post_upload(
        &harness,
        multipart(
            &[
                ("content", "iso"),
                ("checksum-algorithm", "sha256"),
                ("checksum", &checksum),
            ],
            "my installer.iso",
            &iso,
        ),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", reason(&response));
    let upid = body(response).await["data"].as_str().unwrap().to_string();
    assert!(upid.contains(":imgcopy::"), "{upid}");
    let status = harness.wait_task("pve1", &upid).await;
    assert_eq!(status["exitstatus"], "OK");

    let content = harness
        .get_data("/nodes/pve1/storage/local/content?content=iso")
        .await;
    // normalize_content_filename turns the space into '_'.
    let entry = content
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["volid"] == "local:iso/my_installer.iso")
        .unwrap_or_else(|| panic!("uploaded ISO listed: {content}"))
        .clone();
    assert_eq!(entry["size"], iso.len() as u64);

    // What the simulator accepted is what the schema allows (tmpfilename set by the
    // "REST handler", never by the client).
    let recorded = harness.sim.recorded();
    let upload = recorded
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/upload"))
        .expect("the upload was accepted");
    assert!(
        upload.params["tmpfilename"]
            .as_str()
            .unwrap()
            .starts_with("/var/tmp/pveupload-")
    );
}

#[tokio::test]
async fn a_wrong_checksum_fails_the_task_and_adds_nothing() {
    let harness = Harness::default().await;
    let response = post_upload(
        &harness,
        multipart(
            &[
                ("content", "iso"),
                ("checksum-algorithm", "sha256"),
                ("checksum", &"0".repeat(64)),
            ],
            "bad.iso",
            b"data",
        ),
    )
    .await;
    assert_eq!(response.status(), 200);
    let upid = body(response).await["data"].as_str().unwrap().to_string();
    let status = harness.wait_task("pve1", &upid).await;
    assert!(
        status["exitstatus"]
            .as_str()
            .unwrap()
            .starts_with("checksum mismatch: got '"),
        "{status}"
    );
    let content = harness.get_data("/nodes/pve1/storage/local/content").await;
    assert!(
        !content
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["volid"] == "local:iso/bad.iso")
    );
}

#[tokio::test]
async fn uploads_are_refused_where_pve_refuses_them() {
    let harness = Harness::default().await;
    // A storage without a path (LVM-thin): "can't upload to storage type".
    let response = harness
        .api(Method::POST, "/nodes/pve1/storage/local-lvm/upload")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[("content", "iso")], "a.iso", b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(reason(&response), "can't upload to storage type 'lvmthin'");

    // Wrong extension for the content type is a parameter error.
    let response = post_upload(
        &harness,
        multipart(&[("content", "vztmpl")], "debian.iso", b"x"),
    )
    .await;
    assert_eq!(response.status(), 400);
    let answer: Value = body(response).await;
    assert_eq!(answer["errors"]["filename"], "wrong file extension");

    // An urlencoded body is not an upload: pveproxy insists on multipart.
    let response = harness
        .api(Method::POST, "/nodes/pve1/storage/local/upload")
        .form(&[("content", "iso"), ("filename", "a.iso")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    assert!(reason(&response).starts_with("upload 'Content-Type '"));
}

/// pveproxy unlinks a request's upload file when the request ends, answered or refused
/// (`cleanup_reqstate`, proxmox/pve-http-server src/PVE/APIServer/AnyEvent.pm).
#[tokio::test]
async fn an_upload_refused_before_its_handler_leaves_no_file_behind() {
    let harness = Harness::default().await;
    let form = multipart(&[("content", "iso")], "a.iso", b"data");
    // Refused by authentication, after the body was read.
    let response = harness
        .anonymous(Method::POST, "/nodes/pve1/storage/local/upload")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Refused by the schema (no such content type).
    let response = post_upload(
        &harness,
        multipart(&[("content", "nonsense")], "a.iso", b"x"),
    )
    .await;
    assert_eq!(response.status(), 400, "{}", reason(&response));
    assert_eq!(harness.sim.sim.uploads.pending(), 0, "no file is kept");
    // One the handler took is gone from the pending files too.
    let response = post_upload(&harness, form).await;
    assert_eq!(response.status(), 200, "{}", reason(&response));
    assert_eq!(harness.sim.sim.uploads.pending(), 0);
}
