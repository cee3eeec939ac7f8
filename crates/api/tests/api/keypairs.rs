//! Key pairs over HTTP: generate (private key once, never stored, logged or audited),
//! import with field errors, names unique per owner, isolation between users, and
//! launches through the simulator that install the pairs' keys (LXC
//! `ssh-public-keys`, VM cloud-init `sshkeys`) and remember them per instance.

use proxicloud_domain::keypairs::KeyPairService;
use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{TEMPLATE, accepted, finished_job, spawn_with_engine};
use crate::support::{
    assert_error_shape, call, captured_logs, error_code, spawn_app, status_and_json,
};

/// `ssh-keygen -lf` prints `SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU` for it.
const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

#[tokio::test]
async fn a_generated_private_key_is_returned_once_and_never_kept() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    let (status, created) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "laptop" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let private_key = created["private_key"].as_str().unwrap().to_owned();
    assert!(private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let pair = &created["key_pair"];
    assert_eq!(pair["type"], "ssh-ed25519");
    assert_eq!(pair["owner_id"], alice.id.to_string());
    assert!(pair["fingerprint"].as_str().unwrap().starts_with("SHA256:"));
    assert!(pair["public_key"].as_str().unwrap().ends_with(" laptop"));
    let id = pair["id"].as_str().unwrap();

    let (status, got) = call(
        &app,
        &session,
        Method::GET,
        &format!("/api/v1/keypairs/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&got, pair);
    let (_, listed) = call(&app, &session, Method::GET, "/api/v1/keypairs", None).await;
    assert_eq!(listed["items"], json!([pair]));

    // The private key is nowhere but in that one response. Its first base64 line is the
    // same for every unencrypted ed25519 key (format header and cipher names): the line
    // before the END marker holds the secret part.
    let body_line = private_key.lines().rev().nth(1).unwrap();
    assert!(
        body_line.len() > 20 && !body_line.starts_with("-----"),
        "{private_key}"
    );
    let admin = app.admin().await;
    let audit = app
        .request(Method::GET, "/api/v1/audit?limit=500")
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("generate_key_pair")
            && audit.contains(pair["fingerprint"].as_str().unwrap())
    );
    assert!(!audit.contains(body_line));
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(
        !logs.contains(body_line),
        "the private key reached the logs"
    );

    let (status, rsa) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "old-box", "type": "rsa" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rsa["key_pair"]["type"], "ssh-rsa");
    assert!(
        rsa["private_key"].as_str().unwrap().len() > 3000,
        "a 4096-bit key"
    );
}

/// RSA generation is CPU-bound (seconds in a debug build): one at a time server-wide.
/// While one runs (its slot held here, as a running generation holds it) another is
/// 429 `busy` with Retry-After and stores nothing; ed25519 is not held up; a finished
/// generation gives the slot back.
#[tokio::test]
async fn a_second_rsa_generation_while_one_runs_is_busy() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    let key_pairs = app.services.get::<KeyPairService>();
    let running = key_pairs.reserve_rsa_generation().unwrap();

    let response = app
        .request(Method::POST, "/api/v1/keypairs")
        .bearer_auth(&session.access)
        .json(&json!({ "name": "big", "type": "rsa" }))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "busy");
    assert!(retry_after.parse::<u64>().unwrap() >= 1, "{retry_after}");

    let (status, small) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "small" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{small}");
    let (_, listed) = call(&app, &session, Method::GET, "/api/v1/keypairs", None).await;
    assert_eq!(
        listed["items"],
        json!([small["key_pair"]]),
        "nothing stored for 'big'"
    );

    drop(running);
    let (status, big) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "big", "type": "rsa" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{big}");
    assert_eq!(big["key_pair"]["type"], "ssh-rsa");
    assert!(
        key_pairs.reserve_rsa_generation().is_ok(),
        "the finished generation gave its slot back"
    );
}

#[tokio::test]
async fn imports_are_validated_field_by_field_and_names_are_unique_per_owner() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let alice_session = app.login_user(&alice).await;
    let bob_session = app.login_user(&bob).await;

    let (status, imported) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": format!("{PUBLIC_KEY}\n") })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(
        imported["fingerprint"],
        "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
    );
    assert_eq!(imported["public_key"], PUBLIC_KEY);
    assert!(imported.get("private_key").is_none());

    let (status, body) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": PUBLIC_KEY })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "key_pair_name_taken");
    // Bob may use the name.
    let (status, _) = call(
        &app,
        &bob_session,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": PUBLIC_KEY })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let cases = [
        (
            json!({ "name": "", "public_key": "ssh-rsa AAAA" }),
            vec!["name", "public_key"],
        ),
        (
            json!({ "name": "has space", "public_key": PUBLIC_KEY }),
            vec!["name"],
        ),
        (
            json!({ "name": "x", "public_key": "-----BEGIN OPENSSH PRIVATE KEY-----" }),
            vec!["public_key"],
        ),
    ];
    for (body, fields) in cases {
        let response = app
            .post(
                "/api/v1/keypairs/import",
                &alice_session.access,
                body.clone(),
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_error_shape(status, &value, &text);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let got: Vec<&str> = value["error"]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(got, fields, "{body}: {value}");
    }
    let (status, body) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "k", "type": "dsa" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["type"]
            .as_str()
            .unwrap()
            .contains("ed25519")
    );
    let (status, _) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "k", "bits": 1024 })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let (_, listed) = call(&app, &alice_session, Method::GET, "/api/v1/keypairs", None).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "nothing else was created"
    );
}

#[tokio::test]
async fn users_see_and_delete_only_their_own_key_pairs() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let reader = app.insert_user(Role::Readonly).await;
    let alice_session = app.login_user(&alice).await;
    let bob_session = app.login_user(&bob).await;
    let reader_session = app.login_user(&reader).await;
    let admin = app.admin().await;
    let (_, imported) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": PUBLIC_KEY })),
    )
    .await;
    let path = format!("/api/v1/keypairs/{}", imported["id"].as_str().unwrap());

    for session in [&bob_session, &reader_session] {
        let (_, listed) = call(&app, session, Method::GET, "/api/v1/keypairs", None).await;
        assert_eq!(listed["items"], json!([]));
        assert_eq!(
            call(&app, session, Method::GET, &path, None).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(&app, session, Method::DELETE, &path, None).await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (status, _) = call(
        &app,
        &reader_session,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "r" })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, everyone) = call(&app, &admin, Method::GET, "/api/v1/keypairs", None).await;
    assert_eq!(everyone["items"][0]["id"], imported["id"]);

    assert_eq!(
        call(&app, &alice_session, Method::DELETE, &path, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, &alice_session, Method::GET, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, &alice_session, Method::DELETE, &path, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = call(
        &app,
        &alice_session,
        Method::GET,
        "/api/v1/keypairs/not-a-uuid",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The one sim guest whose config has `key` = a value naming `name`.
fn sim_guest_config(
    world: &crate::job_support::JobWorld,
    field: &str,
    name: &str,
) -> std::collections::BTreeMap<String, String> {
    world
        .sim
        .cluster()
        .guests
        .values()
        .find(|g| g.config.get(field).is_some_and(|n| n == name))
        .unwrap_or_else(|| panic!("a guest with {field}={name}"))
        .config
        .clone()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn launches_install_the_chosen_key_pairs_and_remember_them() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, generated) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/keypairs",
        Some(json!({ "name": "laptop" })),
    )
    .await;
    let (_, imported) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": PUBLIC_KEY })),
    )
    .await;
    let generated_line = generated["key_pair"]["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = json!([generated["key_pair"]["id"], imported["id"]]);

    // Bob cannot launch with Alice's key pair: 422 on the field, nothing queued.
    let stolen = json!({ "type": "lxc", "name": "thief", "template": TEMPLATE, "key_pair_ids": [imported["id"]] });
    let (status, body) = call(app, &bob, Method::POST, "/api/v1/instances", Some(stolen)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["key_pair_ids[0]"].is_string(),
        "{body}"
    );
    let (_, bob_jobs) = call(app, &bob, Method::GET, "/api/v1/jobs", None).await;
    assert_eq!(bob_jobs["items"], json!([]));

    let lxc = json!({ "type": "lxc", "name": "keyed", "template": TEMPLATE, "memory": 512, "disk": 4,
        "start": false, "key_pair_ids": ids });
    let job = accepted(app, &alice, "/api/v1/instances", lxc, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    // The create request PVE received carried both public keys, one per line.
    let create = world
        .sim
        .sim
        .recorded_entries()
        .into_iter()
        .find(|e| {
            e.request.path.ends_with("/lxc")
                && e.request.params.get("hostname") == Some(&json!("keyed"))
        })
        .expect("the recorded create request");
    let sent = create.request.params["ssh-public-keys"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent, format!("{generated_line}\n{PUBLIC_KEY}"));

    let instance_id = job["resource_id"].as_str().unwrap().to_owned();
    let (status, remembered) = call(
        app,
        &alice,
        Method::GET,
        &format!("/api/v1/instances/{instance_id}/keypairs"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = remembered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["laptop", "work"]);
    assert_eq!(
        remembered["items"][1]["fingerprint"],
        imported["fingerprint"]
    );
    let (status, _) = call(
        app,
        &bob,
        Method::GET,
        &format!("/api/v1/instances/{instance_id}/keypairs"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A VM cloned from a template gets them through cloud-init's `sshkeys`,
    // URL-encoded: qemu-server's update_vm_api runs `URI::Escape::uri_unescape` on it
    // and Cloudinit.pm splits the result on newlines (proxmox/qemu-server,
    // src/PVE/API2/Qemu.pm and src/PVE/QemuServer/Cloudinit.pm).
    let template = world.seeded_vm_template().await;
    // A clone keeps at least its template's disk.
    let disk_gib = template["disk_bytes"].as_u64().unwrap().div_ceil(1 << 30);
    let vm = json!({ "type": "vm", "name": "keyed-vm", "clone_from": template["vmid"], "start": false,
        "disk": disk_gib, "key_pair_ids": [imported["id"]] });
    let job = accepted(app, &alice, "/api/v1/instances", vm, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let config = sim_guest_config(&world, "name", "keyed-vm");
    let encoded = &config["sshkeys"];
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, PUBLIC_KEY);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-%_.!~*'()".contains(&b)),
        "{encoded}"
    );

    // Deleting the pair keeps the instance's record of it.
    let (status, _) = call(
        app,
        &alice,
        Method::DELETE,
        &format!("/api/v1/keypairs/{}", imported["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, remembered) = call(
        app,
        &alice,
        Method::GET,
        &format!("/api/v1/instances/{instance_id}/keypairs"),
        None,
    )
    .await;
    assert_eq!(remembered["items"].as_array().unwrap().len(), 2);
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn key_pairs_cannot_go_into_a_vm_booting_an_iso() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, imported) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/keypairs/import",
        Some(json!({ "name": "work", "public_key": PUBLIC_KEY })),
    )
    .await;
    let iso = json!({ "type": "vm", "iso": crate::job_support::ISO, "key_pair_ids": [imported["id"], imported["id"]] });
    let (status, body) = call(app, &alice, Method::POST, "/api/v1/instances", Some(iso)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["key_pair_ids", "key_pair_ids[1]"], "{body}");
    world.shutdown().await;
}
