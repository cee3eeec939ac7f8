use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::*;
use crate::{Cluster, SimConfig};

const SECRET: &str = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc";

fn sim() -> Sim {
    let mut cluster = Cluster::default();
    seed_access(
        &mut cluster.access,
        &[("root@pam!ci".to_string(), SECRET.to_string())],
        &[("alice@pve".to_string(), "hunter2".to_string())],
    );
    let config = SimConfig {
        time_scale: 0.0,
        ..Default::default()
    };
    Sim::new(config, cluster)
}

fn req(method: Method, template: &str, path: &[(&str, &str)], params: Value) -> Req {
    Req {
        method,
        template: template.into(),
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        params: params.as_object().cloned().unwrap_or_else(Map::new),
        user: "root@pam".into(),
    }
}

const TOKEN: &str = "/access/users/{userid}/token/{tokenid}";

#[test]
fn seeded_users_tokens_and_root_acl_are_listed() {
    let sim = sim();
    let users = list_users(
        &sim,
        &req(Method::Get, "/access/users", &[], json!({ "full": "1" })),
    )
    .unwrap();
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["userid"].as_str())
        .collect();
    assert_eq!(ids, ["alice@pve", "root@pam"]);
    let root = &users[1];
    assert_eq!(
        (root["enable"].clone(), root["realm-type"].clone()),
        (json!(1), json!("pam"))
    );
    assert_eq!(root["tokens"], json!([{ "tokenid": "ci", "privsep": 0 }]));

    let acl = list_acl(&sim, &req(Method::Get, "/access/acl", &[], json!({}))).unwrap();
    assert_eq!(
        acl,
        json!([{ "path": "/", "type": "user", "ugid": "root@pam", "roleid": "Administrator", "propagate": 1 }])
    );
    let err = get_user(
        &sim,
        &req(
            Method::Get,
            "/access/users/{userid}",
            &[("userid", "bob@pve")],
            json!({}),
        ),
    )
    .unwrap_err();
    assert_eq!(err.message, "no such user ('bob@pve')");
}

#[test]
fn no_response_leaks_a_secret() {
    let sim = sim();
    let path = [("userid", "root@pam"), ("tokenid", "ci")];
    let responses = [
        list_users(
            &sim,
            &req(Method::Get, "/access/users", &[], json!({ "full": "1" })),
        )
        .unwrap(),
        get_user(
            &sim,
            &req(Method::Get, "/access/users/{userid}", &path[..1], json!({})),
        )
        .unwrap(),
        list_tokens(
            &sim,
            &req(
                Method::Get,
                "/access/users/{userid}/token",
                &path[..1],
                json!({}),
            ),
        )
        .unwrap(),
        get_token(&sim, &req(Method::Get, TOKEN, &path, json!({}))).unwrap(),
    ];
    let hash = sha256_hex(SECRET);
    for response in responses {
        let text = response.to_string();
        assert!(
            !text.contains(SECRET) && !text.contains(&hash) && !text.contains("hunter2"),
            "{text}"
        );
    }
}

#[test]
fn created_tokens_return_their_secret_once_and_authenticate() {
    let sim = sim();
    let path = [("userid", "alice@pve"), ("tokenid", "deploy")];
    let created = create_token(
        &sim,
        &req(
            Method::Post,
            TOKEN,
            &path,
            json!({ "comment": "ci deploy" }),
        ),
    )
    .unwrap();
    assert_eq!(created["full-tokenid"], "alice@pve!deploy");
    assert_eq!(
        created["info"],
        json!({ "privsep": 1, "comment": "ci deploy" })
    );
    let secret = created["value"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 36);
    {
        let cluster = sim.cluster.lock();
        assert!(
            cluster
                .access
                .token_secret_valid("alice@pve!deploy", &secret)
        );
        assert!(
            !cluster
                .access
                .token_secret_valid("alice@pve!deploy", SECRET)
        );
        assert!(cluster.access.token_secret_valid("root@pam!ci", SECRET));
    }
    let read = get_token(&sim, &req(Method::Get, TOKEN, &path, json!({}))).unwrap();
    assert!(!read.to_string().contains(&secret));

    let err = create_token(&sim, &req(Method::Post, TOKEN, &path, json!({}))).unwrap_err();
    assert_eq!(err.errors["tokenid"], "Token already exists.");
    delete_token(&sim, &req(Method::Delete, TOKEN, &path, json!({}))).unwrap();
    assert!(
        !sim.cluster
            .lock()
            .access
            .token_secret_valid("alice@pve!deploy", &secret)
    );
    let err = get_token(&sim, &req(Method::Get, TOKEN, &path, json!({}))).unwrap_err();
    assert_eq!(err.message, "no such token 'deploy' for user 'alice@pve'");
}
