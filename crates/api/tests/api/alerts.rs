//! Alerts over HTTP: rules owned by their creator (scopes only over what they may
//! see), built-ins shared, disabled by admins but never deleted; a rule firing for an
//! instance, seen by its owner only, muted by a silence; errors and audit entries.
//! The evaluator runs by hand here (`alerts_manual`), with its own clock.

use proxicloud_domain::alerts::AlertEvaluator;
use proxicloud_store::{
    ClusterConfig, ClusterCredentials, GuestObservation, InventorySnapshot, Role, Timestamp, Uuid,
};
use proxicloud_types::{GuestType, VmId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, call, error_code, spawn_app};

/// A running guest at 95 % CPU, mirrored as one poll would, owned by `owner`.
async fn busy_instance(app: &TestApp, owner: Uuid) -> Uuid {
    let cluster = app
        .store
        .clusters()
        .create(ClusterConfig {
            name: format!("alerts-{owner}"),
            addresses: vec!["https://127.0.0.1:9".into()],
            credentials: ClusterCredentials::ApiToken {
                token_id: "root@pam!alerts".into(),
            },
            secret_ciphertext: vec![0],
            tls_fingerprint: None,
            ca_pem: None,
            verify_tls: true,
        })
        .await
        .unwrap()
        .id;
    let mut guest = GuestObservation {
        vmid: VmId::new(100).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Lxc,
        name: "web".into(),
        status: "running".into(),
        cpus: 1.0,
        maxmem: 512 << 20,
        mem: 128 << 20,
        maxdisk: 8 << 30,
        disk: 1 << 30,
        uptime: 60,
        template: false,
        lock: None,
        tags: None,
        activity: Default::default(),
    };
    guest.activity.cpu = 0.95;
    let snapshot = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: Vec::new(),
        storages: Vec::new(),
        guests: vec![guest],
    };
    let report = app
        .store
        .inventory()
        .sync(cluster, &snapshot)
        .await
        .unwrap();
    let id = report.appeared[0];
    app.store.guests().set_owner(id, Some(owner)).await.unwrap();
    id
}

fn cpu_rule(scope: Value) -> Value {
    json!({
        "name": "cpu high", "metric": "cpu_percent", "comparison": "gt", "threshold": 80,
        "scope": scope
    })
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn rules_are_owned_and_built_ins_are_disabled_not_deleted() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let (alice_s, bob_s) = (app.login_user(&alice).await, app.login_user(&bob).await);
    let admin = app.admin().await;
    let bobs_instance = busy_instance(&app, bob.id).await;

    // A scope naming someone else's instance is refused like a missing one.
    let (status, body) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/rules",
        Some(cpu_rule(
            json!({ "kind": "instance", "value": bobs_instance }),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["scope.value"], "no such instance");
    let (status, body) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/rules",
        Some(
            json!({ "name": "", "metric": "cpu_percent", "comparison": "gt",
            "threshold": 1, "for_seconds": -1, "scope": { "kind": "tag" } }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = body["error"]["fields"].as_object().unwrap();
    let mut bad: Vec<&String> = fields.keys().collect();
    bad.sort();
    assert_eq!(bad, ["for_seconds", "name", "scope.value"]);

    let (status, rule) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/rules",
        Some(cpu_rule(json!({ "kind": "tag", "value": "prod" }))),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    assert_eq!(rule["owner_id"], alice.id.to_string());
    assert_eq!(rule["severity"], "warning");
    assert_eq!(rule["enabled"], true);
    let rule_path = format!("/api/v1/alerts/rules/{}", rule["id"].as_str().unwrap());

    let (_, alices) = call(&app, &alice_s, Method::GET, "/api/v1/alerts/rules", None).await;
    let (_, bobs) = call(&app, &bob_s, Method::GET, "/api/v1/alerts/rules", None).await;
    assert_eq!(names(&alices).len(), 7, "six built-ins and hers");
    assert_eq!(names(&alices)[6], "cpu high");
    assert_eq!(names(&bobs).len(), 6, "the built-ins only");
    let (status, _) = call(&app, &bob_s, Method::GET, &rule_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, changed) = call(
        &app,
        &alice_s,
        Method::PATCH,
        &rule_path,
        Some(json!({ "threshold": 90, "severity": "critical" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (changed["threshold"].as_f64(), &changed["severity"]),
        (Some(90.0), &json!("critical"))
    );

    let builtins = alices["items"].as_array().unwrap();
    let disk = builtins
        .iter()
        .find(|r| r["builtin"] == "disk_full")
        .unwrap();
    let disk_path = format!("/api/v1/alerts/rules/{}", disk["id"].as_str().unwrap());
    let (status, body) = call(
        &app,
        &alice_s,
        Method::PATCH,
        &disk_path,
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(
        &app,
        &admin,
        Method::PATCH,
        &disk_path,
        Some(json!({ "name": "x" })),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "builtin_rule")
    );
    let (status, body) = call(
        &app,
        &admin,
        Method::PATCH,
        &disk_path,
        Some(json!({ "enabled": false, "threshold": 95 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["enabled"].as_bool(), body["threshold"].as_f64()),
        (Some(false), Some(95.0))
    );
    let (status, body) = call(&app, &admin, Method::DELETE, &disk_path, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "builtin_rule")
    );

    let (status, _) = call(&app, &bob_s, Method::DELETE, &rule_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, &alice_s, Method::DELETE, &rule_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, audit) = call(
        &app,
        &admin,
        Method::GET,
        "/api/v1/audit?action=alert_rule",
        None,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"create_alert_rule"), "{actions:?}");
    assert!(actions.contains(&"delete_alert_rule"), "{actions:?}");
}

#[tokio::test]
async fn a_rule_fires_for_its_owners_instance_and_a_silence_mutes_it() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let (alice_s, bob_s) = (app.login_user(&alice).await, app.login_user(&bob).await);
    let instance = busy_instance(&app, alice.id).await;
    let mut rule = cpu_rule(json!({ "kind": "instance", "value": instance }));
    rule["for_seconds"] = json!(0);
    let (status, rule) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/rules",
        Some(rule),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");

    let evaluator = app.services.get::<AlertEvaluator>();
    let report = evaluator.evaluate(Timestamp::now()).await.unwrap();
    assert_eq!(report.fired, 1);
    let (status, firing) = call(
        &app,
        &alice_s,
        Method::GET,
        "/api/v1/alerts?state=firing",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let items = firing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{firing}");
    let alert = &items[0];
    assert_eq!(alert["rule_id"], rule["id"]);
    assert_eq!(
        alert["resource"],
        json!({ "kind": "instance", "id": instance.to_string() })
    );
    assert_eq!(alert["resource_name"], "web");
    assert_eq!(alert["value"].as_f64(), Some(95.0));
    assert_eq!(alert["silenced"], false);
    let (_, none) = call(&app, &bob_s, Method::GET, "/api/v1/alerts", None).await;
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "bob sees none of alice's"
    );
    let (_, resolved) = call(
        &app,
        &alice_s,
        Method::GET,
        "/api/v1/alerts?state=resolved",
        None,
    )
    .await;
    assert!(resolved["items"].as_array().unwrap().is_empty());
    let (status, body) = call(
        &app,
        &alice_s,
        Method::GET,
        "/api/v1/alerts?state=on-fire",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["state"].is_string());

    // A silence in the past is refused; one for the instance mutes the alert.
    let past = Timestamp::now() - std::time::Duration::from_secs(60);
    let (status, _) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/silences",
        Some(json!({ "ends_at": past.to_string() })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let until = Timestamp::now() + std::time::Duration::from_secs(3600);
    let (status, silence) = call(
        &app,
        &alice_s,
        Method::POST,
        "/api/v1/alerts/silences",
        Some(json!({
            "resource": { "kind": "instance", "id": instance.to_string() },
            "ends_at": until.to_string(), "comment": "upgrading"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{silence}");
    evaluator.evaluate(Timestamp::now()).await.unwrap();
    let (_, firing) = call(
        &app,
        &alice_s,
        Method::GET,
        "/api/v1/alerts?state=firing",
        None,
    )
    .await;
    assert_eq!(firing["items"][0]["silenced"], true);
    let (_, listed) = call(&app, &bob_s, Method::GET, "/api/v1/alerts/silences", None).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let silence_path = format!(
        "/api/v1/alerts/silences/{}",
        silence["id"].as_str().unwrap()
    );
    let (status, _) = call(&app, &bob_s, Method::DELETE, &silence_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, &alice_s, Method::DELETE, &silence_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    evaluator.evaluate(Timestamp::now()).await.unwrap();
    let (_, firing) = call(
        &app,
        &alice_s,
        Method::GET,
        "/api/v1/alerts?state=firing",
        None,
    )
    .await;
    assert_eq!(firing["items"][0]["silenced"], false);
}
