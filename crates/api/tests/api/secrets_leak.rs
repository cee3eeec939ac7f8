//! A planted secret value appears nowhere but in its owner's `GET /secrets/{name}`:
//! not in the captured logs, not in any other API response (create, update, rollback,
//! lists, versions, errors, the audit log as JSON and CSV), and not in clear in the
//! database — the whole SQLite file and its WAL, and every column of every table on
//! PostgreSQL (where a clear value in a `bytea` column would show as hex). Values given
//! to an instance reach Proxmox and stay out of jobs, audit, logs and the database.

use std::sync::Arc;

use proxicloud_domain::app::Services;
use proxicloud_domain::iam::{AuthMethod, IamConfig, Principal};
use proxicloud_domain::secrets::MasterKey;
use proxicloud_domain::vault::{CreateSecret, UpdateSecret, VaultService};
use proxicloud_store::{Role, Uuid};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::support::{call, captured_logs, spawn_app, test_config};

fn planted(label: &str) -> String {
    format!("Planted-{label}-{}", Uuid::now_v7().simple())
}

fn assert_absent(haystack: &str, needles: &[String], place: &str) {
    for needle in needles {
        assert!(
            !haystack.contains(needle.as_str()),
            "{place} contains a planted value"
        );
        assert!(
            !haystack.contains(&hex::encode(needle)),
            "{place} contains a planted value, hex-encoded"
        );
    }
}

#[tokio::test]
async fn planted_values_reach_only_their_owners_read() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let viewer = app.insert_user(Role::Readonly).await;
    let bob = app.insert_user(Role::Operator).await;
    let owner = app.login_user(&alice).await;
    let values = [planted("First"), planted("Second")];
    let name = format!("LEAK_{}", Uuid::now_v7().simple());
    let mut responses: Vec<(String, Value)> = Vec::new();
    let mut record = |what: &str, status: StatusCode, body: Value, expected: StatusCode| {
        assert_eq!(status, expected, "{what}: {body}");
        responses.push((what.to_owned(), body));
    };

    let create = json!({ "name": name, "value": values[0], "tags": ["leak"] });
    let (status, body) = call(&app, &owner, Method::POST, "/api/v1/secrets", Some(create)).await;
    record("create", status, body, StatusCode::CREATED);
    let path = format!("/api/v1/secrets/{name}");
    let update = json!({ "value": values[1], "description": "rotated" });
    let (status, body) = call(&app, &owner, Method::PATCH, &path, Some(update)).await;
    record("update", status, body, StatusCode::OK);
    let rollback = json!({ "version": 1 });
    let (status, body) = call(
        &app,
        &owner,
        Method::POST,
        &format!("{path}/rollback"),
        Some(rollback),
    )
    .await;
    record("rollback", status, body, StatusCode::OK);
    let (status, body) = call(&app, &owner, Method::GET, "/api/v1/secrets", None).await;
    record("list", status, body, StatusCode::OK);
    let (status, body) = call(&app, &owner, Method::GET, &format!("{path}/versions"), None).await;
    record("versions", status, body, StatusCode::OK);
    // A value too large is refused without being quoted back.
    let too_big = json!({ "value": values[0].repeat(64 * 1024 / values[0].len() + 1) });
    let (status, body) = call(&app, &owner, Method::PATCH, &path, Some(too_big)).await;
    record("too large", status, body, StatusCode::UNPROCESSABLE_ENTITY);

    // The owner's read is the one place the value is.
    let (status, read) = call(&app, &owner, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["value"], values[0].as_str());
    let id = read["secret"]["id"].as_str().unwrap().to_owned();

    // Others: a readonly user and another operator, by id.
    let by_id = format!("/api/v1/secrets/{id}");
    let viewer_session = app.login_user(&viewer).await;
    let (status, body) = call(&app, &viewer_session, Method::GET, &by_id, None).await;
    record("readonly read", status, body, StatusCode::NOT_FOUND);
    let bob_session = app.login_user(&bob).await;
    let (status, body) = call(&app, &bob_session, Method::GET, &by_id, None).await;
    record("other's read", status, body, StatusCode::NOT_FOUND);

    let admin = app.admin().await;
    let audit = app
        .get("/api/v1/audit?limit=1000", &admin.access)
        .send()
        .await
        .unwrap();
    let audit: Value = audit.json().await.unwrap();
    let csv = app
        .get("/api/v1/audit.csv", &admin.access)
        .send()
        .await
        .unwrap();
    let csv = csv.text().await.unwrap();
    for (what, body) in &responses {
        assert_absent(&body.to_string(), &values, what);
    }
    assert_absent(&audit.to_string(), &values, "the audit log");
    assert_absent(&csv, &values, "the audit CSV");
    // The reads are in the audit log, as accesses (the capture works).
    let accesses: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "access_secret" && e["username"] == alice.username.as_str())
        .collect();
    assert_eq!(accesses.len(), 1, "{audit}");
    assert_eq!(accesses[0]["resource"], format!("secrets/{id}"));
    assert_eq!(accesses[0]["details"]["name"], name.as_str());
    assert_eq!(accesses[0]["outcome"], "success");

    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(
        logs.contains(&path),
        "the requests of this test were logged"
    );
    assert_absent(&logs, &values, "the logs");

    // The raw database: the file and its write-ahead log, every page.
    let mut raw = Vec::new();
    for suffix in ["", "-wal"] {
        let file = format!("{}{suffix}", app.db_path.display());
        raw.extend(std::fs::read(&file).unwrap_or_default());
    }
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains(&name), "the scan sees the secrets table");
    assert_absent(&raw, &values, "the SQLite database");
}

#[tokio::test]
async fn a_denied_read_is_audited_too() {
    let app = spawn_app().await;
    let owner = app.insert_user(Role::Operator).await;
    let session = app.login_user(&owner).await;
    let create = json!({ "name": "DEMOTED", "value": "kept" });
    let (status, created) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/secrets",
        Some(create),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let admin = app.admin().await;
    let (status, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/users/{}", owner.id),
        Some(json!({ "role": "readonly" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(&app, &session, Method::GET, "/api/v1/secrets/DEMOTED", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, audit) = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/audit?action=access_secret",
        None,
    )
    .await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["outcome"], "denied");
    assert_eq!(
        entries[0]["resource"],
        format!("secrets/{}", created["id"].as_str().unwrap())
    );
}

/// The same flow through the vault on PostgreSQL, then every column of every table.
#[tokio::test]
async fn postgres_keeps_no_value_in_clear() {
    let base = std::env::var("PROXICLOUD_TEST_POSTGRES_URL")
        .expect("PROXICLOUD_TEST_POSTGRES_URL (source scripts/postgres.sh)");
    let schema = format!("vault_leak_{}", Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let store = proxicloud_store::connect(&url).await.unwrap();
    let services = Services::build(
        store.clone(),
        MasterKey::generate(),
        test_config(IamConfig::default()),
    )
    .await
    .unwrap();
    let services = Arc::new(services);
    let user = store
        .users()
        .create(proxicloud_store::NewUser {
            username: "alice".into(),
            password_hash: "not-used".into(),
            role: Role::Operator,
            disabled: false,
        })
        .await
        .unwrap();
    let alice = Principal {
        user_id: user.id,
        username: "alice".into(),
        role: Role::Operator,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    };
    let values = [planted("PgFirst"), planted("PgSecond")];
    let name = format!("LEAK_{}", Uuid::now_v7().simple());
    let vault = services.get::<VaultService>();
    let create = CreateSecret {
        name: name.clone(),
        value: SecretString::from(values[0].clone()),
        description: String::new(),
        tags: vec![],
    };
    vault.create(&alice, create).await.unwrap();
    let update = UpdateSecret {
        value: Some(SecretString::from(values[1].clone())),
        ..UpdateSecret::default()
    };
    vault.update(&alice, &name, update).await.unwrap();
    vault.rollback(&alice, &name, 1).await.unwrap();

    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    )
    .bind(&schema)
    .fetch_all(&mut admin)
    .await
    .unwrap()
    .into_iter()
    .map(|row| row.get(0))
    .collect();
    assert!(tables.iter().any(|t| t == "secret_versions"), "{tables:?}");
    let mut everything = String::new();
    for table in &tables {
        let rows = sqlx::query(&format!("SELECT t::text FROM {schema}.\"{table}\" t"))
            .fetch_all(&mut admin)
            .await
            .unwrap();
        for row in rows {
            everything.push_str(&row.get::<String, _>(0));
            everything.push('\n');
        }
    }
    assert!(
        everything.contains(&name),
        "the scan sees the secrets table"
    );
    assert_absent(&everything, &values, "the PostgreSQL database");
    store.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// The injection path: the values reach the container's `env` in Proxmox, and
/// nothing of ours — jobs (their steps and details), the instance's secrets and job
/// lists, the audit log, the logs, the database — holds them.
#[tokio::test]
async fn injected_values_reach_proxmox_and_nothing_else() {
    use crate::job_support::{create, finished_job, spawn_with_engine};
    use crate::sim_support::eventually;

    let world = spawn_with_engine().await;
    let app = world.app();
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "leaky").await;
    let values = [planted("InjectFirst"), planted("InjectSecond")];
    let name = format!("INJECT_{}", Uuid::now_v7().simple());
    let create_body = json!({ "name": name, "value": values[0] });
    let (status, _) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/secrets",
        Some(create_body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/instances/{id}/secrets");
    let (status, job) = call(
        app,
        &alice,
        Method::PUT,
        &path,
        Some(json!({ "secrets": [name] })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let update = json!({ "value": values[1] });
    let (status, _) = call(
        app,
        &alice,
        Method::PATCH,
        &format!("/api/v1/secrets/{name}"),
        Some(update),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let vmid = crate::job_support::instance(app, &alice, &id).await.1["vmid"]
        .as_u64()
        .unwrap() as u32;
    // The capture works: Proxmox has the value.
    let wanted = format!("{name}={}", values[1]);
    eventually("the new value in the container's environment", || async {
        let cluster = world.sim.cluster();
        let guest = &cluster.guests[&vmid];
        let env = guest.pending.get("env").or_else(|| guest.config.get("env"));
        (env.map(String::as_str) == Some(wanted.as_str())).then_some(())
    })
    .await;

    let admin = app.admin().await;
    let mut seen = String::new();
    let (_, jobs) = call(app, &alice, Method::GET, "/api/v1/jobs?limit=1000", None).await;
    for job in jobs["items"].as_array().unwrap() {
        let one = format!("/api/v1/jobs/{}", job["id"].as_str().unwrap());
        seen.push_str(
            &call(app, &alice, Method::GET, &one, None)
                .await
                .1
                .to_string(),
        );
    }
    assert!(
        seen.contains("instance.secrets.apply"),
        "the jobs were read"
    );
    for read in [
        path.clone(),
        format!("/api/v1/instances/{id}/jobs"),
        format!("/api/v1/instances/{id}/audit"),
        "/api/v1/audit?limit=1000".to_owned(),
    ] {
        seen.push_str(
            &call(app, &admin, Method::GET, &read, None)
                .await
                .1
                .to_string(),
        );
    }
    assert_absent(&seen, &values, "the API's answers");
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert_absent(&logs, &values, "the logs");
    let mut raw = Vec::new();
    for suffix in ["", "-wal"] {
        let file = format!("{}{suffix}", app.db_path.display());
        raw.extend(std::fs::read(&file).unwrap_or_default());
    }
    assert_absent(
        &String::from_utf8_lossy(&raw),
        &values,
        "the SQLite database",
    );
    world.shutdown().await;
}
