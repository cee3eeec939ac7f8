//! Users, API tokens and ACLs (read-only).

use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_i64, opt_string, string_list};
use crate::transport::Transport;

/// One entry of `GET /access/users`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct User {
    /// `name@realm`.
    pub userid: String,
    #[serde(deserialize_with = "opt_bool")]
    pub enable: Option<bool>,
    /// Unix time; `0` means never.
    #[serde(deserialize_with = "opt_i64")]
    pub expire: Option<i64>,
    #[serde(deserialize_with = "opt_string")]
    pub firstname: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub lastname: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub email: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "string_list")]
    pub groups: Vec<String>,
    #[serde(rename = "realm-type", deserialize_with = "opt_string")]
    pub realm_type: Option<String>,
}

/// One API token of a user (the secret is never listed).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApiToken {
    pub tokenid: String,
    #[serde(deserialize_with = "opt_string")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "opt_i64")]
    pub expire: Option<i64>,
    /// Privilege separation: the token has its own ACLs rather than the user's.
    #[serde(deserialize_with = "opt_bool")]
    pub privsep: Option<bool>,
}

/// One ACL entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AclEntry {
    /// e.g. `/`, `/vms/100`, `/storage/local`.
    pub path: String,
    pub roleid: String,
    /// `user`, `group` or `token`.
    #[serde(rename = "type")]
    pub kind: String,
    /// User, group or token id.
    pub ugid: String,
    #[serde(deserialize_with = "opt_bool")]
    pub propagate: Option<bool>,
}

pub(crate) async fn users(t: &Transport) -> Result<Vec<User>> {
    t.get("/access/users", Params::new()).await
}

pub(crate) async fn tokens(t: &Transport, userid: &str) -> Result<Vec<ApiToken>> {
    t.get(
        &api_path!("access", "users", userid, "token"),
        Params::new(),
    )
    .await
}

pub(crate) async fn acl(t: &Transport) -> Result<Vec<AclEntry>> {
    t.get("/access/acl", Params::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_tokens_and_acls_decode() {
        let users: Vec<User> = serde_json::from_str(
            r#"[{"userid":"root@pam","enable":1,"expire":0,"groups":"admins","realm-type":"pam"}]"#,
        )
        .unwrap();
        assert_eq!(users[0].enable, Some(true));
        assert_eq!(users[0].groups, ["admins"]);
        let tokens: Vec<ApiToken> =
            serde_json::from_str(r#"[{"tokenid":"ci","privsep":"0","expire":0}]"#).unwrap();
        assert_eq!(tokens[0].privsep, Some(false));
        let acl: Vec<AclEntry> = serde_json::from_str(
            r#"[{"path":"/","roleid":"Administrator","type":"token","ugid":"root@pam!ci","propagate":1}]"#,
        )
        .unwrap();
        assert_eq!(acl[0].ugid, "root@pam!ci");
    }
}
