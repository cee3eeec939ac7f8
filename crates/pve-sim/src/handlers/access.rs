//! Users, API tokens and ACLs as pve-access-control (`PVE::API2::User`,
//! `PVE::API2::ACL`) shows them. Token secrets are kept only as SHA-256 hashes and
//! never appear in a response, except once in the answer that creates a token
//! (PVE likewise returns the value only then).

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::Sim;
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::tasks::now;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub privsep: bool,
    /// Unix time the token stops working; 0 = never.
    pub expire: i64,
    pub comment: Option<String>,
    /// SHA-256 of the secret, hex. Never sent to clients.
    pub secret_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub enable: bool,
    /// Unix time the account expires; 0 = never.
    pub expire: i64,
    pub email: Option<String>,
    pub comment: Option<String>,
    pub tokens: BTreeMap<String, Token>,
}

impl User {
    fn new() -> Self {
        Self {
            enable: true,
            expire: 0,
            email: None,
            comment: None,
            tokens: BTreeMap::new(),
        }
    }
}

/// One ACL entry: `roleid` granted to `ugid` (a user, group or token) on `path`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AclEntry {
    pub path: String,
    pub kind: String,
    pub ugid: String,
    pub roleid: String,
    pub propagate: bool,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AccessState {
    pub users: BTreeMap<String, User>,
    pub acl: Vec<AclEntry>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl AccessState {
    /// Whether `secret` is the secret of the API token `user@realm!tokenid`, and the
    /// token, its user and the account are still valid. For the auth layer, so tokens
    /// created through the API work like configured ones.
    pub fn token_secret_valid(&self, full_tokenid: &str, secret: &str) -> bool {
        let Some((userid, tokenid)) = full_tokenid.split_once('!') else {
            return false;
        };
        let Some(user) = self.users.get(userid) else {
            return false;
        };
        let Some(token) = user.tokens.get(tokenid) else {
            return false;
        };
        let now = now();
        let live = |expire: i64| expire == 0 || expire > now;
        // Compare hashes rather than secrets: equal-length, no early exit on content.
        let matches = sha256_hex(secret) == token.secret_sha256;
        matches && user.enable && live(user.expire) && live(token.expire)
    }

    /// Drop the ACL entries on a guest's path (`PVE::AccessControl::remove_vm_access`
    /// deletes the `/vms/{vmid}` subtree when the guest is destroyed).
    pub fn remove_vm_access(&mut self, vmid: u32) {
        let path = format!("/vms/{vmid}");
        let below = format!("{path}/");
        self.acl
            .retain(|entry| entry.path != path && !entry.path.starts_with(&below));
    }

    fn user(&self, userid: &str) -> Result<&User, ApiError> {
        self.users
            .get(userid)
            .ok_or_else(|| ApiError::internal(format!("no such user ('{userid}')")))
    }
}

/// Seed users and tokens from the simulator's `--token`/`--password` options:
/// `tokens` as (`user@realm!tokenid`, secret), `passwords` as (`user@realm`,
/// password). Every user mentioned exists (plus `root@pam`, which holds the
/// `Administrator` role on `/`). Seeded tokens are not privilege-separated, so they
/// act with their user's rights as configured tokens usually do in tests.
pub fn seed_access(
    state: &mut AccessState,
    tokens: &[(String, String)],
    passwords: &[(String, String)],
) {
    state
        .users
        .entry("root@pam".into())
        .or_insert_with(User::new);
    for (userid, _) in passwords {
        state.users.entry(userid.clone()).or_insert_with(User::new);
    }
    for (full_tokenid, secret) in tokens {
        let Some((userid, tokenid)) = full_tokenid.split_once('!') else {
            continue;
        };
        let user = state
            .users
            .entry(userid.to_string())
            .or_insert_with(User::new);
        user.tokens.insert(
            tokenid.to_string(),
            Token {
                privsep: false,
                expire: 0,
                comment: None,
                secret_sha256: sha256_hex(secret),
            },
        );
    }
    let root_admin = |e: &AclEntry| e.path == "/" && e.ugid == "root@pam";
    if !state.acl.iter().any(root_admin) {
        state.acl.push(AclEntry {
            path: "/".into(),
            kind: "user".into(),
            ugid: "root@pam".into(),
            roleid: "Administrator".into(),
            propagate: true,
        });
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Get, "/access", index),
        route(Method::Get, "/access/users", list_users),
        route(Method::Get, "/access/users/{userid}", get_user),
        route(Method::Get, "/access/users/{userid}/token", list_tokens),
        route(
            Method::Get,
            "/access/users/{userid}/token/{tokenid}",
            get_token,
        ),
        route(
            Method::Post,
            "/access/users/{userid}/token/{tokenid}",
            create_token,
        ),
        route(
            Method::Delete,
            "/access/users/{userid}/token/{tokenid}",
            delete_token,
        ),
        route(Method::Get, "/access/acl", list_acl),
    ]
}

fn index(_sim: &Sim, _req: &Req) -> ApiResult {
    let dirs = [
        "users", "groups", "roles", "acl", "domains", "openid", "tfa", "ticket", "password",
    ];
    Ok(Value::Array(
        dirs.iter().map(|d| json!({ "subdir": d })).collect(),
    ))
}

fn token_info(token: &Token) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("privsep".into(), Value::from(u8::from(token.privsep)));
    if token.expire != 0 {
        out.insert("expire".into(), Value::from(token.expire));
    }
    if let Some(comment) = &token.comment {
        out.insert("comment".into(), comment.clone().into());
    }
    out
}

fn token_list(user: &User) -> Vec<Value> {
    user.tokens
        .iter()
        .map(|(id, token)| {
            let mut entry = token_info(token);
            entry.insert("tokenid".into(), id.clone().into());
            Value::Object(entry)
        })
        .collect()
}

/// `$extract_user_data`: the account fields, plus groups and tokens when `full`.
fn user_data(user: &User, full: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("enable".into(), Value::from(u8::from(user.enable)));
    out.insert("expire".into(), Value::from(user.expire));
    for (key, value) in [("email", &user.email), ("comment", &user.comment)] {
        if let Some(value) = value {
            out.insert(key.into(), value.clone().into());
        }
    }
    if full {
        out.insert("groups".into(), json!([]));
        out.insert("tokens".into(), Value::Array(token_list(user)));
    }
    out
}

/// `GET /access/users[?full=1][&enabled=0|1]`.
fn list_users(sim: &Sim, req: &Req) -> ApiResult {
    let full = req.flag("full")?;
    let enabled = req.bool("enabled")?;
    let cluster = sim.cluster.lock();
    let users = cluster
        .access
        .users
        .iter()
        .filter(|(_, u)| enabled.is_none_or(|want| u.enable == want))
        .map(|(userid, user)| {
            let mut entry = user_data(user, full);
            if full {
                // The list joins groups into a string, unlike the single read.
                entry.insert("groups".into(), "".into());
            }
            if let Some(realm) = userid.rsplit_once('@').map(|(_, r)| r)
                && (realm == "pam" || realm == "pve")
            {
                entry.insert("realm-type".into(), realm.into());
            }
            entry.insert("userid".into(), userid.clone().into());
            Value::Object(entry)
        })
        .collect();
    Ok(Value::Array(users))
}

fn get_user(sim: &Sim, req: &Req) -> ApiResult {
    let userid = req.path("userid")?;
    let cluster = sim.cluster.lock();
    Ok(Value::Object(user_data(cluster.access.user(userid)?, true)))
}

fn list_tokens(sim: &Sim, req: &Req) -> ApiResult {
    let userid = req.path("userid")?;
    let cluster = sim.cluster.lock();
    Ok(Value::Array(token_list(cluster.access.user(userid)?)))
}

fn no_such_token(userid: &str, tokenid: &str) -> ApiError {
    ApiError::internal(format!("no such token '{tokenid}' for user '{userid}'"))
}

fn get_token(sim: &Sim, req: &Req) -> ApiResult {
    let (userid, tokenid) = (req.path("userid")?, req.path("tokenid")?);
    let cluster = sim.cluster.lock();
    let user = cluster.access.user(userid)?;
    let token = user
        .tokens
        .get(tokenid)
        .ok_or_else(|| no_such_token(userid, tokenid))?;
    Ok(Value::Object(token_info(token)))
}

/// A random UUID (version 4), the form PVE's token secrets take.
fn new_secret() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `POST /access/users/{userid}/token/{tokenid}`: the only answer that carries a
/// secret (`value`); afterwards only its hash is kept.
fn create_token(sim: &Sim, req: &Req) -> ApiResult {
    let (userid, tokenid) = (
        req.path("userid")?.to_string(),
        req.path("tokenid")?.to_string(),
    );
    let privsep = req.bool("privsep")?.unwrap_or(true);
    let expire = req.int("expire")?;
    let comment = req.str("comment").filter(|c| !c.is_empty());
    let mut cluster = sim.cluster.lock();
    let user = cluster
        .access
        .users
        .get_mut(&userid)
        .ok_or_else(|| ApiError::internal(format!("no such user ('{userid}')")))?;
    if user.tokens.contains_key(&tokenid) {
        return Err(ApiError::param("tokenid", "Token already exists."));
    }
    let secret = new_secret();
    let token = Token {
        privsep,
        expire: expire.unwrap_or(0),
        comment,
        secret_sha256: sha256_hex(&secret),
    };
    let mut info = token_info(&token);
    if let Some(expire) = expire {
        // PVE echoes an explicitly given expire, even 0.
        info.insert("expire".into(), Value::from(expire));
    }
    user.tokens.insert(tokenid.clone(), token);
    Ok(json!({
        "full-tokenid": format!("{userid}!{tokenid}"),
        "info": info,
        "value": secret,
    }))
}

fn delete_token(sim: &Sim, req: &Req) -> ApiResult {
    let (userid, tokenid) = (req.path("userid")?, req.path("tokenid")?);
    let mut cluster = sim.cluster.lock();
    let user = cluster
        .access
        .users
        .get_mut(userid)
        .ok_or_else(|| ApiError::internal(format!("no such user ('{userid}')")))?;
    user.tokens
        .remove(tokenid)
        .ok_or_else(|| no_such_token(userid, tokenid))?;
    Ok(Value::Null)
}

fn list_acl(sim: &Sim, _req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let entries = cluster
        .access
        .acl
        .iter()
        .map(|e| {
            json!({
                "path": e.path,
                "type": e.kind,
                "ugid": e.ugid,
                "roleid": e.roleid,
                "propagate": u8::from(e.propagate),
            })
        })
        .collect();
    Ok(Value::Array(entries))
}

#[cfg(test)]
mod tests;
