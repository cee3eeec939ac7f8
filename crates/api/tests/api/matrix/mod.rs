//! The authorization matrix, generated from the route table: every operation in the
//! server's OpenAPI document is called as each of five callers, and the status must
//! be the one in its row (`rows/<resource>.rs`). An operation without a row fails the
//! test, and so does a row without an operation.
//!
//! Adding a route: add one `Row` to its resource's file in `rows/` — method and path
//! exactly as in the document, the `Target` its `{id}` (or `{bucket}`, or a lone `{name}`)
//! names (a `{name}` inside it is `matrix-snap`, a `{key}` the bucket's object, a `{user}`
//! the bootstrap admin) (add a variant, and its
//! setup in `Target::prepare`, for a new kind of resource), a body function, and the
//! five expected statuses in the order of [`CALLERS`]. Each cell runs in a fresh world
//! (new users, new target), so rows may be destructive.
//!
//! Adding a resource: add `rows/<resource>.rs` and one line in `rows/mod.rs` (its
//! `mod` declaration and its `rows()` in the collector).

mod rows;
mod targets;

use proxicloud_store::Role;
use reqwest::Method;
use serde_json::Value;

use crate::support::{Session, TestApp, TestUser, json_body, spawn_app};
use rows::{Row, rows};

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

/// One cell's world: fresh users, and the caller's session.
pub(crate) struct Cell {
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

pub(crate) type BodyFn = fn(&Cell) -> Option<Value>;

/// The (method, path) of every operation in the served OpenAPI document.
async fn documented_operations(app: &TestApp) -> Vec<(String, String)> {
    let spec = json_body(app.request(Method::GET, "/api/v1/openapi.json")).await;
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
        // `bucket|upload`: a target named by two parameters.
        let (first, second) = id.split_once('|').unwrap_or((&id, ""));
        // A target named by `{name}` alone (a secret, by id).
        if !path.contains("{id}") && !path.contains("{bucket}") {
            path = path.replace("{name}", first);
        }
        path = path
            .replace("{id}", first)
            .replace("{bucket}", first)
            .replace("{upload_id}", second);
    }
    // A second path parameter names something inside the target (a snapshot, an
    // object, a part, …).
    path = path
        .replace("{name}", "matrix-snap")
        .replace("{key}", targets::MATRIX_KEY)
        .replace("{part_number}", "1")
        .replace("{user}", "admin");
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
