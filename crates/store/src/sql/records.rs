//! Rows as sqlx decodes them (`FromRow` works for both backends), and their conversion
//! into the public types. Each `*_COLUMNS` constant is the select list of its record.

use sqlx::types::Json;

use super::DbId;
use super::codec::{from_db_int, parse_column};
use crate::repo::audit::AuditEntry;
use crate::repo::clusters::{Cluster, ClusterConfig, ClusterCredentials, ClusterHealth};
use crate::repo::jobs::{Job, JobActor, JobStep};
use crate::repo::key_pairs::{GuestKeyPair, KeyPair};
use crate::repo::settings::Setting;
use crate::repo::tokens::{ApiToken, RefreshToken};
use crate::repo::users::User;
use crate::{Result, StoreError, Timestamp};

pub(crate) const USER_COLUMNS: &str =
    "id, username, password_hash, role, disabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRecord {
    id: DbId,
    username: String,
    password_hash: String,
    role: String,
    disabled: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<UserRecord> for User {
    type Error = StoreError;
    fn try_from(r: UserRecord) -> Result<Self> {
        Ok(User {
            id: r.id.0,
            username: r.username,
            password_hash: r.password_hash,
            role: parse_column(&r.role)?,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) const REFRESH_TOKEN_COLUMNS: &str =
    "id, user_id, token_hash, family_id, expires_at, created_at, revoked_at, replaced_by";

#[derive(sqlx::FromRow)]
pub(crate) struct RefreshTokenRecord {
    id: DbId,
    user_id: DbId,
    token_hash: String,
    family_id: DbId,
    expires_at: Timestamp,
    created_at: Timestamp,
    revoked_at: Option<Timestamp>,
    replaced_by: Option<DbId>,
}

impl From<RefreshTokenRecord> for RefreshToken {
    fn from(r: RefreshTokenRecord) -> Self {
        RefreshToken {
            id: r.id.0,
            user_id: r.user_id.0,
            token_hash: r.token_hash,
            family_id: r.family_id.0,
            expires_at: r.expires_at,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            replaced_by: r.replaced_by.map(Into::into),
        }
    }
}

pub(crate) const API_TOKEN_COLUMNS: &str =
    "id, user_id, name, prefix, token_hash, expires_at, revoked_at, last_used_at, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRecord {
    id: DbId,
    user_id: DbId,
    name: String,
    prefix: String,
    token_hash: String,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    last_used_at: Option<Timestamp>,
    created_at: Timestamp,
}

impl From<ApiTokenRecord> for ApiToken {
    fn from(r: ApiTokenRecord) -> Self {
        ApiToken {
            id: r.id.0,
            user_id: r.user_id.0,
            name: r.name,
            prefix: r.prefix,
            token_hash: r.token_hash,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
            created_at: r.created_at,
        }
    }
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, id, at, user_id, username, source_ip, action, resource, \
     outcome, request_id, details, prev_hash, hash";

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRecord {
    seq: i64,
    id: DbId,
    at: Timestamp,
    user_id: Option<DbId>,
    username: Option<String>,
    source_ip: Option<String>,
    action: String,
    resource: Option<String>,
    outcome: String,
    request_id: Option<String>,
    details: Json<serde_json::Value>,
    prev_hash: Option<String>,
    hash: String,
}

impl TryFrom<AuditRecord> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRecord) -> Result<Self> {
        Ok(AuditEntry {
            seq: r.seq,
            id: r.id.0,
            at: r.at,
            user_id: r.user_id.map(Into::into),
            username: r.username,
            source_ip: r.source_ip,
            action: r.action,
            resource: r.resource,
            outcome: parse_column(&r.outcome)?,
            request_id: r.request_id,
            details: r.details.0,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
    }
}

pub(crate) const CLUSTER_COLUMNS: &str = "id, name, addresses, auth_kind, auth_id, secret_ciphertext, \
     tls_fingerprint, ca_pem, verify_tls, status, offline_since, last_seen_at, last_error, \
     created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ClusterRecord {
    id: DbId,
    name: String,
    addresses: Json<Vec<String>>,
    auth_kind: String,
    auth_id: String,
    secret_ciphertext: Vec<u8>,
    tls_fingerprint: Option<String>,
    ca_pem: Option<String>,
    verify_tls: bool,
    status: String,
    offline_since: Option<Timestamp>,
    last_seen_at: Option<Timestamp>,
    last_error: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// `(auth_kind, auth_id)` columns of the credentials.
pub(crate) fn credential_columns(credentials: &ClusterCredentials) -> (&'static str, &str) {
    match credentials {
        ClusterCredentials::ApiToken { token_id } => ("token", token_id),
        ClusterCredentials::Password { username } => ("password", username),
    }
}

impl TryFrom<ClusterRecord> for Cluster {
    type Error = StoreError;
    fn try_from(r: ClusterRecord) -> Result<Self> {
        let credentials = match r.auth_kind.as_str() {
            "token" => ClusterCredentials::ApiToken {
                token_id: r.auth_id,
            },
            "password" => ClusterCredentials::Password {
                username: r.auth_id,
            },
            other => return Err(StoreError::Corrupt(format!("unknown auth kind '{other}'"))),
        };
        Ok(Cluster {
            id: r.id.0,
            config: ClusterConfig {
                name: r.name,
                addresses: r.addresses.0,
                credentials,
                secret_ciphertext: r.secret_ciphertext,
                tls_fingerprint: r.tls_fingerprint,
                ca_pem: r.ca_pem,
                verify_tls: r.verify_tls,
            },
            health: ClusterHealth {
                status: parse_column(&r.status)?,
                offline_since: r.offline_since,
                last_seen_at: r.last_seen_at,
                last_error: r.last_error,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) const SETTING_COLUMNS: &str = "key, value, updated_at, updated_by";

#[derive(sqlx::FromRow)]
pub(crate) struct SettingRecord {
    key: String,
    value: Json<serde_json::Value>,
    updated_at: Timestamp,
    updated_by: Option<DbId>,
}

impl TryFrom<SettingRecord> for Setting {
    type Error = StoreError;
    fn try_from(r: SettingRecord) -> Result<Self> {
        Ok(Setting {
            key: parse_column(&r.key)?,
            value: r.value.0,
            updated_at: r.updated_at,
            updated_by: r.updated_by.map(Into::into),
        })
    }
}

pub(crate) const JOB_COLUMNS: &str = "id, kind, status, actor_kind, actor_id, actor_name, owner_id, \
     parent_id, child_key, resource_kind, resource_id, params, steps, current_step, progress, error, \
     pve_upid, idempotency_key, attempts, claimed_by, lease_until, run_after, cancel_requested_at, \
     cancel_reason, created_at, updated_at, finished_at";

#[derive(sqlx::FromRow)]
pub(crate) struct JobRecord {
    id: DbId,
    kind: String,
    status: String,
    actor_kind: String,
    actor_id: Option<DbId>,
    actor_name: String,
    owner_id: Option<DbId>,
    parent_id: Option<DbId>,
    child_key: Option<String>,
    resource_kind: Option<String>,
    resource_id: Option<String>,
    params: Json<serde_json::Value>,
    steps: Json<Vec<JobStep>>,
    current_step: i64,
    progress: i64,
    error: Option<String>,
    pve_upid: Option<String>,
    idempotency_key: Option<String>,
    attempts: i64,
    claimed_by: Option<String>,
    lease_until: Option<Timestamp>,
    run_after: Option<Timestamp>,
    cancel_requested_at: Option<Timestamp>,
    cancel_reason: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Option<Timestamp>,
}

impl TryFrom<JobRecord> for Job {
    type Error = StoreError;
    fn try_from(r: JobRecord) -> Result<Self> {
        let actor = match (r.actor_kind.as_str(), r.actor_id) {
            ("user", Some(id)) => JobActor::User(id.0),
            ("system", None) => JobActor::System {
                name: r.actor_name.clone(),
            },
            (kind, _) => return Err(StoreError::Corrupt(format!("bad job actor '{kind}'"))),
        };
        Ok(Job {
            id: r.id.0,
            kind: r.kind,
            status: parse_column(&r.status)?,
            actor,
            actor_name: r.actor_name,
            owner_id: r.owner_id.map(Into::into),
            parent_id: r.parent_id.map(Into::into),
            child_key: r.child_key,
            run_after: r.run_after,
            cancel_requested_at: r.cancel_requested_at,
            cancel_reason: r.cancel_reason,
            resource_kind: r.resource_kind,
            resource_id: r.resource_id,
            params: r.params.0,
            steps: r.steps.0,
            current_step: from_db_int(r.current_step, "current_step")?,
            progress: from_db_int(r.progress, "progress")?,
            error: r.error,
            pve_upid: r.pve_upid,
            idempotency_key: r.idempotency_key,
            attempts: from_db_int(r.attempts, "attempts")?,
            claimed_by: r.claimed_by,
            lease_until: r.lease_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// Converts every record, failing on the first corrupt one.
pub(crate) fn convert_all<R, T>(records: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = StoreError>,
{
    records.into_iter().map(T::try_from).collect()
}

pub(crate) const KEY_PAIR_COLUMNS: &str =
    "id, owner_id, name, key_type, public_key, fingerprint, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct KeyPairRecord {
    id: DbId,
    owner_id: DbId,
    name: String,
    key_type: String,
    public_key: String,
    fingerprint: String,
    created_at: Timestamp,
}

impl From<KeyPairRecord> for KeyPair {
    fn from(r: KeyPairRecord) -> Self {
        KeyPair {
            id: r.id.0,
            owner_id: r.owner_id.0,
            name: r.name,
            key_type: r.key_type,
            public_key: r.public_key,
            fingerprint: r.fingerprint,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GuestKeyPairRecord {
    key_pair_id: DbId,
    name: String,
    fingerprint: String,
}

impl From<GuestKeyPairRecord> for GuestKeyPair {
    fn from(r: GuestKeyPairRecord) -> Self {
        GuestKeyPair {
            key_pair_id: r.key_pair_id.0,
            name: r.name,
            fingerprint: r.fingerprint,
        }
    }
}
