//! The one error type every domain service returns.
//!
//! Each variant is a distinct situation a caller (the API, the CLI) reacts to
//! differently; the API maps each to one HTTP status and one stable `code`. Add a
//! variant when a new situation needs a new reaction, not for a new message.

use std::collections::BTreeMap;
use std::time::Duration;

use proxicloud_store::StoreError;

/// Field name → what is wrong with it, for a request that cannot be accepted as given.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Wrong username or password (deliberately not saying which).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// No credentials, or credentials that are invalid, expired or revoked.
    #[error("authentication required")]
    Unauthenticated,
    /// The account exists and the password is right, but an admin disabled it.
    #[error("this account is disabled")]
    AccountDisabled,
    /// Too many failed logins for this user or from this address.
    #[error("too many failed login attempts; try again in {} seconds", whole_seconds(*retry_after))]
    Throttled { retry_after: Duration },
    /// Authenticated, allowed to see the resource, not allowed to do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist, or the caller may not know that it exists.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// The request names invalid values; one message per field.
    #[error("invalid request")]
    Validation(FieldErrors),
    /// The request is valid but clashes with the current state (a taken name, the
    /// last admin). `code` is stable for clients; `message` is for people.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A request that is well-formed but makes no sense in the caller's situation
    /// (e.g. logging out with an API token, which has no session).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// A dependency the request needs right now (a cluster's Proxmox VE API) cannot
    /// be reached; trying again later may work.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// Something outside that the request talked to (a notification channel's
    /// receiver) failed; `message` says how, for the caller.
    #[error("{message}")]
    BadGateway { code: &'static str, message: String },
    /// The server is doing as much of this kind of work as it allows at once (e.g.
    /// one RSA key generation), or the caller did it too often (API token creation);
    /// trying again after `retry_after` may work.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after: Duration,
    },
    /// The database failed. Never shown to clients beyond "internal error".
    #[error("storage failure: {0}")]
    Store(#[source] StoreError),
    /// Anything else that is our fault. Never shown to clients beyond "internal error".
    #[error("internal failure: {0}")]
    Internal(String),
}

impl DomainError {
    /// `what` Proxmox could not do ("list the snapshots"), as a 503:
    /// `cluster_unreachable` when trying again may help, else `pve_error`.
    pub fn from_pve(what: &str, error: proxicloud_pve::PveError) -> Self {
        Self::pve_refused(format!("Proxmox VE could not {what}: {error}"), &error)
    }

    /// A 503 with `message` for a Proxmox `error` (its code as in [`Self::from_pve`]).
    pub fn pve_refused(message: String, error: &proxicloud_pve::PveError) -> Self {
        let code = if error.is_transient() {
            "cluster_unreachable"
        } else {
            "pve_error"
        };
        DomainError::Unavailable { code, message }
    }

    /// What `caller` may read of this error. Proxmox's errors name node URLs and OS
    /// errors: an admin (who manages the clusters) gets them, anyone else only that
    /// the cluster cannot be asked now; the details go to the log.
    pub fn for_caller(self, caller: &crate::iam::Principal) -> Self {
        match self {
            Self::Unavailable { code, message } if !caller.is_admin() => {
                tracing::warn!(%message, "Proxmox VE unavailable");
                Self::Unavailable {
                    code,
                    message: "the Proxmox VE cluster is unreachable; try again later".to_owned(),
                }
            }
            other => other,
        }
    }

    /// One field's validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Reinterprets the store's `NotFound` as "this kind of resource was not found";
    /// every other store error passes through unchanged.
    pub fn not_found_as(resource: &'static str) -> impl FnOnce(StoreError) -> DomainError {
        move |error| match error {
            StoreError::NotFound => DomainError::NotFound { resource },
            other => DomainError::from(other),
        }
    }
}

/// Store failures the domain did not anticipate. `NotFound` becomes a generic
/// "resource not found" (use [`DomainError::not_found_as`] to name the resource);
/// a bad cursor is the client's fault; everything else is internal.
impl From<StoreError> for DomainError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => DomainError::NotFound {
                resource: "resource",
            },
            StoreError::InvalidCursor => {
                DomainError::invalid("cursor", "invalid pagination cursor")
            }
            other => DomainError::Store(other),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// A wait in whole seconds, rounded up and at least 1: a client that waits what
/// `Retry-After` says must not come back a fraction of a second too early.
pub fn whole_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}
