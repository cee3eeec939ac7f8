//! The authorization matrix, generated from the route table: every operation in the
//! server's OpenAPI document is called as each of five callers, and the status must
//! be the one in [`rows`]. An operation without a row fails the test, and so does a
//! row without an operation.
//!
//! Adding a route: add one `Row` — method and path exactly as in the document, the
//! `Target` its `{id}` names (add a variant, and its setup in `Target::prepare`, for
//! a new kind of resource), a body function, and the five expected statuses in the
//! order of [`CALLERS`]. Each cell runs in a fresh world (new users, new target), so
//! rows may be destructive.

use proxicloud_domain::clusters::{AuthInput, ClusterInput};
use proxicloud_domain::iam::tokens::mint_api_token;
use proxicloud_store::{GuestObservation, InventorySnapshot, Uuid};
use proxicloud_store::{JobStep, NewApiToken, NewJob, Role, Timestamp};
use proxicloud_types::{GuestType, VmId};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{Session, TestApp, TestUser, USER_PASSWORD, spawn_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// Acting on its own resource: it may look, not touch.
    Readonly,
    /// An operator acting on a resource it owns.
    OperatorOwner,
    /// An operator acting on another operator's resource.
    OperatorOther,
    Admin,
}

const CALLERS: [Caller; 5] = [
    Caller::Anonymous,
    Caller::Readonly,
    Caller::OperatorOwner,
    Caller::OperatorOther,
    Caller::Admin,
];

/// What the path's `{id}` names. Created for every cell, owned by the cell's owner.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The route has no `{id}`.
    Nothing,
    /// The owner's own user account.
    OwnerAccount,
    /// An API token of the owner.
    OwnerApiToken,
    /// A registered Proxmox VE cluster (nobody owns clusters).
    Cluster,
    /// A mirrored instance owned by the owner.
    OwnerInstance,
    /// A job started by the owner.
    OwnerJob,
}

/// One cell's world: fresh users, and the caller's session.
struct Cell {
    /// The calling user (`None` for anonymous).
    user: Option<TestUser>,
    session: Option<Session>,
    /// Owner of the target: the readonly caller itself, else the "owner" operator.
    owner: TestUser,
}

impl Cell {
    /// Whose credentials a login row uses (anonymous logs in as the owner).
    fn login_user(&self) -> &TestUser {
        self.user.as_ref().unwrap_or(&self.owner)
    }
}

type BodyFn = fn(&Cell) -> Option<Value>;

struct Row {
    method: &'static str,
    path: &'static str,
    target: Target,
    body: BodyFn,
    /// Expected status per caller, in the order of [`CALLERS`].
    expect: [u16; 5],
}

const fn row(
    method: &'static str,
    path: &'static str,
    target: Target,
    body: BodyFn,
    expect: [u16; 5],
) -> Row {
    Row {
        method,
        path,
        target,
        body,
        expect,
    }
}

const fn admin_only(success: u16) -> [u16; 5] {
    [401, 403, 403, 403, success]
}

const fn any_user(success: u16) -> [u16; 5] {
    [401, success, success, success, success]
}

const PUBLIC: [u16; 5] = [200; 5];

fn no_body(_: &Cell) -> Option<Value> {
    None
}

fn empty_object(_: &Cell) -> Option<Value> {
    Some(json!({}))
}

fn own_credentials(cell: &Cell) -> Option<Value> {
    Some(json!({ "username": cell.login_user().username, "password": USER_PASSWORD }))
}

fn own_refresh_token(cell: &Cell) -> Option<Value> {
    Some(
        cell.session
            .as_ref()
            .map_or(json!({}), |s| json!({ "refresh_token": s.refresh })),
    )
}

fn password_change(_: &Cell) -> Option<Value> {
    Some(
        json!({ "current_password": USER_PASSWORD, "new_password": "a-new-password-for-the-matrix" }),
    )
}

fn new_user(_: &Cell) -> Option<Value> {
    Some(
        json!({ "username": format!("new-{}", uuid::Uuid::now_v7().simple()), "role": "operator" }),
    )
}

fn role_change(_: &Cell) -> Option<Value> {
    Some(json!({ "role": "readonly" }))
}

fn new_token(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "matrix" }))
}

fn new_cluster(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": format!("matrix-{}", uuid::Uuid::now_v7().simple()),
        "addresses": [UNREACHABLE_NODE],
        "auth": { "type": "token", "token_id": "root@pam!matrix", "secret": "matrix-secret" },
    }))
}

fn settings_document(_: &Cell) -> Option<Value> {
    Some(serde_json::to_value(proxicloud_domain::settings::Settings::default()).unwrap())
}

fn no_owner(_: &Cell) -> Option<Value> {
    Some(json!({ "owner_id": null }))
}

/// Passes authorization; fails validation (no template), so nothing is created.
fn incomplete_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "type": "lxc" }))
}

fn confirm_matrix_instance(_: &Cell) -> Option<Value> {
    Some(json!({ "confirm": "matrix" }))
}

/// Instance actions, queued as jobs: the owner and admins may, readonly may not,
/// other operators do not even see the instance.
fn instance_action(method: &'static str, path: &'static str, body: BodyFn) -> Row {
    row(
        method,
        path,
        Target::OwnerInstance,
        body,
        [401, 403, 202, 404, 202],
    )
}

/// Readable by its owner (whatever the role) and admins; others do not see it.
const OWN_ONLY: [u16; 5] = [401, 200, 200, 404, 200];

fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/healthz", Nothing, no_body, PUBLIC),
        row("GET", "/readyz", Nothing, no_body, PUBLIC),
        row("GET", "/api/v1/openapi.json", Nothing, no_body, PUBLIC),
        row("GET", "/api/docs", Nothing, no_body, PUBLIC),
        // auth
        row(
            "POST",
            "/api/v1/auth/login",
            Nothing,
            own_credentials,
            PUBLIC,
        ),
        row(
            "POST",
            "/api/v1/auth/refresh",
            Nothing,
            own_refresh_token,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/auth/logout",
            Nothing,
            empty_object,
            any_user(204),
        ),
        row("GET", "/api/v1/auth/me", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/me/password",
            Nothing,
            password_change,
            any_user(200),
        ),
        // users
        row("GET", "/api/v1/users", Nothing, no_body, admin_only(200)),
        row("POST", "/api/v1/users", Nothing, new_user, admin_only(201)),
        row(
            "GET",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "PATCH",
            "/api/v1/users/{id}",
            OwnerAccount,
            role_change,
            admin_only(200),
        ),
        row(
            "DELETE",
            "/api/v1/users/{id}",
            OwnerAccount,
            no_body,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/reset-password",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/disable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        row(
            "POST",
            "/api/v1/users/{id}/enable",
            OwnerAccount,
            no_body,
            admin_only(200),
        ),
        // tokens: personal credentials, every role manages its own
        row("GET", "/api/v1/tokens", Nothing, no_body, any_user(200)),
        row("POST", "/api/v1/tokens", Nothing, new_token, any_user(201)),
        row(
            "DELETE",
            "/api/v1/tokens/{id}",
            OwnerApiToken,
            no_body,
            [401, 204, 204, 404, 204],
        ),
        // clusters (admin only; a connection test answers 200 whatever its outcome)
        row("GET", "/api/v1/clusters", Nothing, no_body, admin_only(200)),
        row(
            "POST",
            "/api/v1/clusters",
            Nothing,
            new_cluster,
            admin_only(201),
        ),
        row(
            "GET",
            "/api/v1/clusters/{id}",
            Cluster,
            no_body,
            admin_only(200),
        ),
        row(
            "PUT",
            "/api/v1/clusters/{id}",
            Cluster,
            new_cluster,
            admin_only(200),
        ),
        row(
            "DELETE",
            "/api/v1/clusters/{id}",
            Cluster,
            no_body,
            admin_only(204),
        ),
        row(
            "POST",
            "/api/v1/clusters/{id}/test",
            Cluster,
            no_body,
            admin_only(200),
        ),
        // settings
        row("GET", "/api/v1/settings", Nothing, no_body, any_user(200)),
        row(
            "PUT",
            "/api/v1/settings",
            Nothing,
            settings_document,
            admin_only(200),
        ),
        // instance reads: someone else's instance does not exist for you
        row("GET", "/api/v1/instances", Nothing, no_body, any_user(200)),
        row(
            "GET",
            "/api/v1/instances/{id}",
            OwnerInstance,
            no_body,
            [401, 200, 200, 404, 200],
        ),
        row(
            "PUT",
            "/api/v1/instances/{id}/owner",
            OwnerInstance,
            no_owner,
            admin_only(200),
        ),
        // instance writes: queued as jobs (202); readonly never, others' are not found
        row(
            "POST",
            "/api/v1/instances",
            Nothing,
            incomplete_instance,
            [401, 403, 422, 422, 422],
        ),
        instance_action("DELETE", "/api/v1/instances/{id}", confirm_matrix_instance),
        instance_action("POST", "/api/v1/instances/{id}/start", no_body),
        instance_action("POST", "/api/v1/instances/{id}/stop", no_body),
        instance_action("POST", "/api/v1/instances/{id}/shutdown", no_body),
        instance_action("POST", "/api/v1/instances/{id}/reboot", no_body),
        // jobs and events: your own, admins everything
        row("GET", "/api/v1/jobs", Nothing, no_body, any_user(200)),
        row("GET", "/api/v1/jobs/{id}", OwnerJob, no_body, OWN_ONLY),
        row("GET", "/api/v1/events", Nothing, no_body, any_user(200)),
        // audit
        row("GET", "/api/v1/audit", Nothing, no_body, admin_only(200)),
        row(
            "GET",
            "/api/v1/audit.csv",
            Nothing,
            no_body,
            admin_only(200),
        ),
    ]
}

/// Nothing listens there: connection tests fail fast, and no poll reaches anything.
const UNREACHABLE_NODE: &str = "https://127.0.0.1:9";

/// A cluster registered straight through the domain (no API call, no caller).
async fn matrix_cluster(app: &TestApp) -> Uuid {
    let input = ClusterInput {
        name: format!("matrix-{}", Uuid::now_v7().simple()),
        addresses: vec![UNREACHABLE_NODE.into()],
        auth: AuthInput::ApiToken {
            token_id: "root@pam!matrix".into(),
            secret: Some(SecretString::from("matrix-secret")),
        },
        tls_fingerprint: None,
        ca_pem: None,
        verify_tls: true,
    };
    app.state.clusters.register(input).await.unwrap().id
}

/// A guest as one inventory sync would mirror it, given to `owner`.
async fn owned_instance(app: &TestApp, owner: &TestUser) -> Uuid {
    let cluster = matrix_cluster(app).await;
    let guest = GuestObservation {
        vmid: VmId::new(100).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Lxc,
        name: "matrix".into(),
        status: "running".into(),
        cpus: 1.0,
        maxmem: 512 << 20,
        mem: 0,
        maxdisk: 8 << 30,
        disk: 0,
        uptime: 0,
        template: false,
        lock: None,
        tags: None,
    };
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
    app.store
        .guests()
        .set_owner(id, Some(owner.id))
        .await
        .unwrap();
    id
}

impl Target {
    /// Creates the target for one cell and returns the value of `{id}`.
    async fn prepare(self, app: &TestApp, owner: &TestUser) -> Option<String> {
        match self {
            Target::Nothing => None,
            Target::Cluster => Some(matrix_cluster(app).await.to_string()),
            Target::OwnerInstance => Some(owned_instance(app, owner).await.to_string()),
            Target::OwnerJob => {
                let job = NewJob {
                    kind: "instance.start".into(),
                    owner_id: owner.id,
                    resource_kind: None,
                    resource_id: None,
                    params: json!({}),
                    steps: vec![JobStep::pending("start")],
                    idempotency_key: None,
                };
                Some(
                    app.store
                        .jobs()
                        .create(job)
                        .await
                        .unwrap()
                        .job
                        .id
                        .to_string(),
                )
            }
            Target::OwnerAccount => Some(owner.id.to_string()),
            Target::OwnerApiToken => {
                let minted = mint_api_token();
                let token = NewApiToken {
                    user_id: owner.id,
                    name: "target".into(),
                    prefix: minted.display_prefix,
                    token_hash: minted.hash,
                    expires_at: Some(Timestamp::now() + std::time::Duration::from_secs(3600)),
                };
                Some(
                    app.store
                        .api_tokens()
                        .insert(token)
                        .await
                        .unwrap()
                        .id
                        .to_string(),
                )
            }
        }
    }
}

/// The (method, path) of every operation in the served OpenAPI document.
async fn documented_operations(app: &TestApp) -> Vec<(String, String)> {
    let spec: Value = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

async fn run_cell(app: &TestApp, row: &Row, caller: Caller) -> (u16, String) {
    let readonly = app.insert_user(Role::Readonly).await;
    let owner_operator = app.insert_user(Role::Operator).await;
    let user = match caller {
        Caller::Anonymous => None,
        Caller::Readonly => Some(readonly.clone()),
        Caller::OperatorOwner => Some(owner_operator.clone()),
        Caller::OperatorOther => Some(app.insert_user(Role::Operator).await),
        Caller::Admin => Some(app.insert_user(Role::Admin).await),
    };
    let owner = if caller == Caller::Readonly {
        readonly
    } else {
        owner_operator
    };
    let session = match &user {
        Some(user) => Some(app.login_user(user).await),
        None => None,
    };
    let cell = Cell {
        user,
        session,
        owner,
    };
    let mut path = row.path.to_owned();
    if let Some(id) = row.target.prepare(app, &cell.owner).await {
        path = path.replace("{id}", &id);
    }
    let mut request = app.request(row.method.parse().unwrap(), &path);
    if let Some(session) = &cell.session {
        request = request.bearer_auth(&session.access);
    }
    if let Some(body) = (row.body)(&cell) {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    // An event stream never ends: its status is the answer.
    let content_type = response.headers().get("content-type").cloned();
    if content_type.is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream")) {
        return (status, String::new());
    }
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn every_route_answers_each_caller_as_the_table_says() {
    let app = spawn_app().await;
    let table = rows();
    let documented = documented_operations(&app).await;

    let missing: Vec<String> = documented
        .iter()
        .filter(|(method, path)| !table.iter().any(|r| r.method == method && r.path == path))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );
    let stale: Vec<String> = table
        .iter()
        .filter(|r| {
            !documented
                .iter()
                .any(|(method, path)| r.method == method && r.path == path)
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );

    let mut wrong = Vec::new();
    for row in &table {
        for (caller, expected) in CALLERS.iter().zip(row.expect) {
            let (status, body) = run_cell(&app, row, *caller).await;
            if status != expected {
                wrong.push(format!(
                    "{} {} as {caller:?}: expected {expected}, got {status} {body}",
                    row.method, row.path
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization matrix mismatches:\n{}",
        wrong.join("\n")
    );
}
