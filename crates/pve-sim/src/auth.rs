//! Authentication the way pveproxy does it (pve-manager `PVE::HTTPServer::auth_handler`,
//! pve-access-control `PVE::AccessControl`, pve-common `PVE::Ticket`):
//!
//! * API tokens: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` (a space instead
//!   of the first `=` is accepted too). No CSRF token needed.
//! * Tickets: `PVE:USER@REALM:HEXTIME::SIGNATURE`, sent as cookie `PVEAuthCookie` (or as
//!   `Authorization: PVEAuthCookie=…`). A ticket is preferred over a token when both are
//!   present. Every non-GET request authenticated by ticket needs a valid
//!   `CSRFPreventionToken` header.
//! * Failures answer 401 with the message as reason phrase and an empty body: PVE raises
//!   them outside the API formatter, so there is no JSON envelope.
//!
//! PVE signs tickets with RSA; the simulator signs with HMAC-SHA256 under a key generated
//! at start. The layout and the base64 alphabet (so `+`, `/` and `=` must survive a
//! client's cookie handling) are PVE's. PVE also delays every 401 by three seconds; the
//! simulator does not, so test suites stay fast.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::Sim;
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::tasks::now;

mod sign;

use sign::{base64, constant_time_eq, hmac_sha256};

/// PVE accepts tickets and CSRF tokens up to five minutes "from the future" (clock skew).
const AUTH_GRACE_SECS: i64 = 300;

/// The key tickets and CSRF tokens are signed with; new at every start, like PVE's
/// `authkey.key` after rotation, so tickets never outlive the simulator process.
pub struct AuthKeys {
    secret: [u8; 32],
}

impl AuthKeys {
    pub fn random() -> Self {
        Self {
            secret: rand::random(),
        }
    }

    fn sign(&self, message: &str) -> [u8; 32] {
        hmac_sha256(&self.secret, message.as_bytes())
    }
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `user@realm`, or `user@realm!tokenid` for API tokens.
    pub user: String,
    pub via_token: bool,
}

/// An authentication failure: status and reason phrase, no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub status: u16,
    pub reason: String,
}

impl AuthFailure {
    fn unauthorized(reason: &str) -> Self {
        Self {
            status: 401,
            reason: reason.to_string(),
        }
    }
}

/// Calls pveproxy serves without authentication (`auth_handler`'s explicit list).
pub fn is_public(method: Method, rel_path: &str) -> bool {
    matches!(
        (method, rel_path),
        (Method::Get, "/access/domains")
            | (Method::Get | Method::Post, "/access/ticket")
            | (Method::Post, "/access/vncticket")
            | (Method::Post, "/access/openid/login")
            | (Method::Post, "/access/openid/auth-url")
    )
}

/// Authenticate a request. `Ok(None)` for public calls made without an API token.
pub fn authenticate(
    sim: &Sim,
    method: Method,
    rel_path: &str,
    headers: &HeaderMap,
) -> Result<Option<Principal>, AuthFailure> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization");
    let ticket = extract_auth_value(header("cookie"), "PVEAuthCookie")
        .or_else(|| extract_auth_value(authorization, "PVEAuthCookie"));
    if is_public(method, rel_path) {
        // PVE still notes a presented API token, so `allowtoken: 0` refuses it even
        // here (a token cannot buy a ticket).
        let token = ticket.is_none() && extract_auth_value(authorization, "PVEAPIToken").is_some();
        return Ok(token.then(|| Principal {
            user: String::new(),
            via_token: true,
        }));
    }

    if let Some(ticket) = ticket {
        // Like `check_user_enabled`: a disabled or expired account loses its tickets too.
        let user = verify_ticket(sim, &ticket)
            .filter(|user| user_enabled(sim, user))
            .ok_or_else(|| AuthFailure::unauthorized("Authentication failed!"))?;
        if method != Method::Get {
            let csrf = header("csrfpreventiontoken").unwrap_or("");
            if !verify_csrf(sim, &user, csrf) {
                return Err(AuthFailure::unauthorized(
                    "Permission denied - invalid csrf token",
                ));
            }
        }
        return Ok(Some(Principal {
            user,
            via_token: false,
        }));
    }

    let Some(token) = extract_auth_value(authorization, "PVEAPIToken") else {
        return Err(AuthFailure::unauthorized("No ticket"));
    };
    let user = verify_token(sim, &token)
        .ok_or_else(|| AuthFailure::unauthorized("Authentication failed!"))?;
    Ok(Some(Principal {
        user,
        via_token: true,
    }))
}

/// `KEY=value` or `KEY value` at the start of the header or after whitespace, up to `;`,
/// percent-decoded — `PVE::APIServer::Formatter::extract_auth_value`.
pub fn extract_auth_value(header: Option<&str>, key: &str) -> Option<String> {
    let header = header?;
    let mut search_from = 0;
    while let Some(found) = header[search_from..].find(key) {
        let start = search_from + found;
        let at_boundary = start == 0
            || header[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        let rest = &header[start + key.len()..];
        if at_boundary && (rest.starts_with('=') || rest.starts_with(' ')) {
            let value = rest[1..].split(';').next().unwrap_or("");
            let decoded = percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned();
            return (!decoded.is_empty()).then_some(decoded);
        }
        search_from = start + key.len();
    }
    None
}

/// `USER@REALM!TOKENID=SECRET` → the token id, if the secret matches a token of an
/// enabled user. Tokens live in the access state: seeded from `--token`, created or
/// deleted through `/access/users/{userid}/token/{tokenid}`.
fn verify_token(sim: &Sim, value: &str) -> Option<String> {
    // PVE splits on the last '=' (`/^(.*)=(.*)$/`), then requires a full token id.
    let (token_id, secret) = value.rsplit_once('=')?;
    let (user, name) = token_id.split_once('!')?;
    if !user.contains('@') || name.is_empty() {
        return None;
    }
    let valid = sim
        .cluster
        .lock()
        .access
        .token_secret_valid(token_id, secret);
    valid.then(|| token_id.to_string())
}

/// The canonical spelling of a known user (PVE looks user names up case-insensitively).
fn lookup_user(sim: &Sim, name: &str) -> Option<String> {
    let cluster = sim.cluster.lock();
    cluster
        .access
        .users
        .keys()
        .find(|known| known.eq_ignore_ascii_case(name))
        .cloned()
}

fn user_enabled(sim: &Sim, userid: &str) -> bool {
    let cluster = sim.cluster.lock();
    cluster
        .access
        .users
        .get(userid)
        .is_some_and(|u| u.enable && (u.expire == 0 || u.expire > now()))
}

pub fn assemble_ticket(sim: &Sim, user: &str, at: i64) -> String {
    let plain = format!("PVE:{}:{:08X}", user.replace(':', "%3A"), at);
    let signature = base64(&sim.auth_keys.sign(&plain), true);
    format!("{plain}::{signature}")
}

/// The user a ticket was issued to, if its signature holds and it has not expired.
pub fn verify_ticket(sim: &Sim, ticket: &str) -> Option<String> {
    let (plain, signature) = ticket.rsplit_once("::")?;
    let expected = base64(&sim.auth_keys.sign(plain), true);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return None;
    }
    let (data, hextime) = plain.strip_prefix("PVE:")?.rsplit_once(':')?;
    let issued = parse_hextime(hextime)?;
    if !within_lifetime(sim, issued) {
        return None;
    }
    Some(data.replace("%3A", ":"))
}

pub fn assemble_csrf(sim: &Sim, user: &str, at: i64) -> String {
    let stamp = format!("{at:08X}");
    // Digest::SHA's *_base64 functions do not pad, so PVE's CSRF tokens carry no '='.
    let digest = base64(&sim.auth_keys.sign(&format!("{stamp}:{user}")), false);
    format!("{stamp}:{digest}")
}

fn verify_csrf(sim: &Sim, user: &str, token: &str) -> bool {
    let Some((stamp, _)) = token.split_once(':') else {
        return false;
    };
    let Some(issued) = parse_hextime(stamp) else {
        return false;
    };
    let expected = assemble_csrf(sim, user, issued);
    constant_time_eq(expected.as_bytes(), token.as_bytes()) && within_lifetime(sim, issued)
}

fn within_lifetime(sim: &Sim, issued: i64) -> bool {
    let age = now() - issued;
    let lifetime = sim.config.ticket_lifetime.as_secs() as i64;
    age > -AUTH_GRACE_SECS && age < lifetime
}

/// Eight upper-case hex digits, as `sprintf("%08X", time())` writes them.
fn parse_hextime(text: &str) -> Option<i64> {
    let valid = text.len() == 8
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    valid.then(|| i64::from_str_radix(text, 16).ok()).flatten()
}

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Post, "/access/ticket", create_ticket),
        route(Method::Get, "/access/ticket", |_, _| Ok(Value::Null)),
    ]
}

/// `POST /access/ticket`: a password or a still-valid ticket of the same user (renewal;
/// root@pam may renew for anyone) buys a new ticket and CSRF token.
fn create_ticket(sim: &Sim, req: &Req) -> ApiResult {
    let mut username = req.required_str("username")?;
    if let Some(realm) = req.str("realm") {
        username = format!("{username}@{realm}");
    }
    let password = req.required_str("password")?;
    // PVE hides the reason (unknown user, wrong password, expired ticket) on purpose.
    let failure = || ApiError::new(401, "authentication failure");
    let user = lookup_user(sim, &username)
        .filter(|user| user_enabled(sim, user))
        .ok_or_else(failure)?;

    let renewing = verify_ticket(sim, &password)
        .is_some_and(|ticket_user| ticket_user == user || ticket_user == "root@pam");
    let password_ok = sim
        .config
        .passwords
        .iter()
        .any(|(u, p)| *u == user && constant_time_eq(p.as_bytes(), password.as_bytes()));
    if !renewing && !password_ok {
        return Err(failure());
    }

    let at = now();
    let mut reply = json!({
        "username": user,
        "ticket": assemble_ticket(sim, &user, at),
        "CSRFPreventionToken": assemble_csrf(sim, &user, at),
        "cap": admin_capabilities(),
    });
    let cluster_name = &sim.config.cluster_name;
    if !cluster_name.is_empty() {
        reply["clustername"] = Value::String(cluster_name.clone());
    }
    Ok(reply)
}

/// The `cap` object of a full administrator (every simulated user is one).
fn admin_capabilities() -> Value {
    let all =
        |privs: &[&str]| Value::Object(privs.iter().map(|p| (p.to_string(), json!(1))).collect());
    json!({
        "vms": all(&["VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM",
            "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType",
            "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Console",
            "VM.Migrate", "VM.PowerMgmt", "VM.Snapshot", "VM.Snapshot.Rollback",
            "Permissions.Modify"]),
        "storage": all(&["Datastore.Allocate", "Datastore.AllocateSpace",
            "Datastore.AllocateTemplate", "Datastore.Audit", "Permissions.Modify"]),
        "access": all(&["Group.Allocate", "Permissions.Modify", "Realm.Allocate",
            "Realm.AllocateUser", "User.Modify"]),
        "nodes": all(&["Permissions.Modify", "Sys.Audit", "Sys.Console", "Sys.Incoming",
            "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog"]),
        "dc": all(&["Sys.Audit", "Sys.Modify", "SDN.Allocate", "SDN.Audit", "SDN.Use"]),
        "sdn": all(&["Permissions.Modify", "SDN.Allocate", "SDN.Audit", "SDN.Use"]),
        "mapping": all(&["Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_values_are_found_like_pve_extracts_them() {
        let cookie = Some("foo=bar; PVEAuthCookie=PVE%3Aroot%40pam%3A1::sig; x=y");
        assert_eq!(
            extract_auth_value(cookie, "PVEAuthCookie").as_deref(),
            Some("PVE:root@pam:1::sig")
        );
        assert_eq!(
            extract_auth_value(Some("PVEAPIToken root@pam!ci=s"), "PVEAPIToken").as_deref(),
            Some("root@pam!ci=s")
        );
        // Must start the header or follow whitespace.
        assert_eq!(
            extract_auth_value(Some("XPVEAPIToken=a=b"), "PVEAPIToken"),
            None
        );
        assert_eq!(extract_auth_value(None, "PVEAPIToken"), None);
    }

    #[test]
    fn hextime_requires_eight_upper_hex_digits() {
        assert_eq!(parse_hextime("6740ABCD"), Some(0x6740_ABCD));
        assert_eq!(parse_hextime("6740abcd"), None);
        assert_eq!(parse_hextime("6740ABC"), None);
    }
}
