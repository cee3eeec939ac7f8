//! Secrets: owned resources. Readonly callers list and see versions of their own but
//! read no value and change nothing; `{name}` is the target secret's id (how an admin
//! reaches another user's secret).

use proxicloud_domain::iam::{AuthMethod, Principal};
use proxicloud_domain::vault::{CreateSecret, UpdateSecret, VaultService};
use proxicloud_store::{Role, Uuid};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::common::*;
use crate::support::{TestApp, TestUser};

/// A secret of `owner` at version 2 (so version 1 can be rolled back to), made
/// through the vault as if by its owner when it could still create things.
pub(in super::super) async fn secret_target(app: &TestApp, owner: &TestUser) -> String {
    let vault = app.services.get::<VaultService>();
    let as_owner = Principal {
        user_id: owner.id,
        username: owner.username.clone(),
        role: Role::Operator,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    };
    let create = CreateSecret {
        name: "MATRIX".into(),
        value: SecretString::from("matrix-value-1"),
        description: String::new(),
        tags: Vec::new(),
    };
    let secret = vault.create(&as_owner, create).await.unwrap();
    let update = UpdateSecret {
        value: Some(SecretString::from("matrix-value-2")),
        ..UpdateSecret::default()
    };
    let id = secret.id.to_string();
    vault.update(&as_owner, &id, update).await.unwrap();
    id
}

fn create(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "MATRIX_NEW", "value": "s3cr3t" }))
}

fn update(_: &Cell) -> Option<Value> {
    Some(json!({ "description": "changed" }))
}

fn rollback(_: &Cell) -> Option<Value> {
    Some(json!({ "version": 1 }))
}

/// The bootstrap admin: a user other than the owner.
fn grant(_: &Cell) -> Option<Value> {
    Some(json!({ "user": "admin" }))
}

/// The owner unless readonly, and admins; another operator does not see it.
const CHANGE: [u16; 5] = [401, 403, 200, 404, 200];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/secrets", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/secrets",
            Nothing,
            create,
            [401, 403, 201, 201, 201],
        ),
        row(
            "GET",
            "/api/v1/secrets/{name}",
            OwnerSecret,
            no_body,
            CHANGE,
        ),
        row(
            "PATCH",
            "/api/v1/secrets/{name}",
            OwnerSecret,
            update,
            CHANGE,
        ),
        row(
            "DELETE",
            "/api/v1/secrets/{name}",
            OwnerSecret,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/secrets/{name}/versions",
            OwnerSecret,
            no_body,
            OWN_ONLY,
        ),
        row(
            "POST",
            "/api/v1/secrets/{name}/rollback",
            OwnerSecret,
            rollback,
            CHANGE,
        ),
        // grants: seen and changed by whoever may change the secret
        row(
            "GET",
            "/api/v1/secrets/{name}/grants",
            OwnerSecret,
            no_body,
            CHANGE,
        ),
        row(
            "POST",
            "/api/v1/secrets/{name}/grants",
            OwnerSecret,
            grant,
            CHANGE,
        ),
        row(
            "DELETE",
            "/api/v1/secrets/{name}/grants/{user}",
            OwnerSecret,
            no_body,
            [401, 403, 204, 404, 204],
        ),
    ]
}
