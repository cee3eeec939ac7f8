//! The audit trail: logins and mutations are recorded with who, where, what and how
//! it ended; the log can be filtered, paged, exported and verified.

use proxicloud_domain::audit::{AuditService, BreakKind, ChainVerification};
use proxicloud_store::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, TestApp, spawn_app, status_and_json};

async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, body) = status_and_json(
        app.get(&format!("/api/v1/audit?{query}"), token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn logins_and_mutations_are_recorded_with_their_outcome() {
    let app = spawn_app().await;
    let failed = app.try_login("admin", "wrong-password-here").await;
    let failed_request_id = failed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let admin = app.admin().await;
    let denied = app
        .request(Method::POST, "/api/v1/users")
        .json(&json!({ "username": "x", "role": "operator" }));
    assert_eq!(
        denied.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let create = app.post(
        "/api/v1/users",
        &admin.access,
        json!({ "username": "carol", "role": "readonly" }),
    );
    let created: Value = create.send().await.unwrap().json().await.unwrap();
    let carol_id = created["user"]["id"].as_str().unwrap();

    let log = entries(&app, &admin.access, "").await;
    let summary: Vec<(&str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("create_user", "success"),
            ("create_user", "denied"),
            ("login", "success"),
            ("login", "failure")
        ]
    );

    let [created_entry, denied_entry, login_ok, login_failed] = &log[..] else {
        unreachable!()
    };
    assert_eq!(login_failed["username"], "admin");
    assert_eq!(
        login_failed["user_id"],
        Value::Null,
        "a failed login proves no identity"
    );
    assert_eq!(login_failed["request_id"], failed_request_id.as_str());
    assert_eq!(login_failed["source_ip"], "127.0.0.1");
    assert_eq!(login_failed["details"]["error"], "invalid_credentials");
    assert!(login_ok["user_id"].is_string());
    assert_eq!(denied_entry["username"], Value::Null);
    assert_eq!(denied_entry["details"]["status"], 401);
    assert_eq!(created_entry["username"], "admin");
    assert_eq!(created_entry["resource"], format!("users/{carol_id}"));
    assert_eq!(created_entry["details"]["role"], "readonly");
    assert_eq!(created_entry["prev_hash"], denied_entry["hash"]);

    let reads = entries(&app, &admin.access, "action=list_audit_entries").await;
    assert!(reads.is_empty(), "reads are not audited");
}

#[tokio::test]
async fn the_log_is_filtered_and_paged() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.try_login("admin", "wrong-password-here").await;
    }
    let admin = app.admin().await;
    let failures = entries(&app, &admin.access, "action=login&outcome=failure").await;
    assert_eq!(failures.len(), 3);
    let (_, page) = status_and_json(
        app.get("/api/v1/audit?limit=2", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = entries(&app, &admin.access, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(rest.len(), 2);
    assert!(
        rest[0]["seq"].as_i64() < page["items"][1]["seq"].as_i64(),
        "newest first across pages"
    );

    let later = "2999-01-01T00:00:00Z";
    assert!(
        entries(&app, &admin.access, &format!("from={later}"))
            .await
            .is_empty()
    );
    let bad = app
        .get("/api/v1/audit?outcome=maybe", &admin.access)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["outcome"].is_string());

    // Part of an action, any case, finds the same entries as its full name.
    let by_part = entries(&app, &admin.access, "action=OGI&outcome=failure").await;
    assert_eq!(by_part, failures);
    // A window that ends before it starts is an error, for the page and the export.
    for path in ["/api/v1/audit", "/api/v1/audit.csv"] {
        let inverted = format!("{path}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z");
        let response = app.get(&inverted, &admin.access).send().await.unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(body["error"]["fields"]["to"].is_string(), "{path}: {body}");
    }
}

async fn sqlite(app: &TestApp) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db_path.display()))
        .await
        .unwrap()
}

#[tokio::test]
async fn verify_detects_edited_and_deleted_rows() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.try_login("admin", "wrong-password-here").await;
    }
    app.admin().await;
    app.try_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        app.services.get::<AuditService>().verify().await.unwrap(),
        ChainVerification::Intact { entries: 4 }
    );

    let db = sqlite(&app).await;
    // Someone turns a failed login into a successful one.
    sqlx::query("UPDATE audit_log SET outcome = 'success' WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    let ChainVerification::Broken(broken) =
        app.services.get::<AuditService>().verify().await.unwrap()
    else {
        panic!("edit not detected")
    };
    assert_eq!((broken.seq, broken.kind), (2, BreakKind::Altered));
    sqlx::query("UPDATE audit_log SET outcome = 'failure' WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    assert!(matches!(
        app.services.get::<AuditService>().verify().await.unwrap(),
        ChainVerification::Intact { .. }
    ));

    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&db)
        .await
        .unwrap();
    let ChainVerification::Broken(broken) =
        app.services.get::<AuditService>().verify().await.unwrap()
    else {
        panic!("deletion not detected")
    };
    assert_eq!((broken.seq, broken.kind), (3, BreakKind::Missing));
}

#[tokio::test]
async fn csv_export_escapes_every_field() {
    let app = spawn_app().await;
    let nasty = "=HYPERLINK(\"x\"),\"quoted\"\nnext line";
    app.try_login(nasty, "wrong-password-here").await;
    let user = app.insert_user(Role::Operator).await;
    app.login_user(&user).await;
    let admin = app.admin().await;

    let response = app
        .get("/api/v1/audit.csv", &admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("audit.csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "seq");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let username = headers.iter().position(|h| h == "username").unwrap();
    // The oldest entry (last row) is the failed login with the hostile username,
    // intact after a CSV round trip except for the apostrophe that defuses formulas.
    assert_eq!(&rows[2][username], format!("'{nasty}"));
    let details = headers.iter().position(|h| h == "details").unwrap();
    let parsed: Value = serde_json::from_str(&rows[2][details]).unwrap();
    assert_eq!(parsed["error"], "invalid_credentials");

    let filtered = app
        .get("/api/v1/audit.csv?outcome=failure", &admin.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv::Reader::from_reader(filtered.as_bytes())
            .records()
            .count(),
        1
    );
}

/// Behind a trusted reverse proxy, the audit log and the login throttle see the client
/// the proxy names; without that trust the header is the client's say-so and ignored.
#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    use proxicloud_api::client_address::TrustedProxies;
    use proxicloud_api::state::ApiConfig;
    use proxicloud_domain::iam::IamConfig;

    use crate::support::spawn_app_configured;

    async fn failed_login_source(app: &TestApp) -> Value {
        let response = app
            .request(Method::POST, "/api/v1/auth/login")
            .header("x-forwarded-for", "203.0.113.50, 198.51.100.7")
            .json(&json!({ "username": "admin", "password": "wrong-password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let admin = app.admin().await;
        let log = entries(app, &admin.access, "action=login").await;
        log.iter()
            .find(|e| e["outcome"] == "failure")
            .expect("the failed login is audited")["source_ip"]
            .clone()
    }

    let untrusting = spawn_app().await;
    assert_eq!(failed_login_source(&untrusting).await, "127.0.0.1");

    let config = ApiConfig {
        trusted_proxies: TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap(),
        ..ApiConfig::default()
    };
    let behind_proxy = spawn_app_configured(IamConfig::default(), config).await;
    // The rightmost address the trusted proxy did not vouch for: the proxy's own peer.
    assert_eq!(failed_login_source(&behind_proxy).await, "198.51.100.7");
}
