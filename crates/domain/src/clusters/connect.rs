//! API clients for stored clusters: built from the stored configuration (opening the
//! sealed secret), cached per cluster, rebuilt when the cluster is reconfigured.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use proxicloud_pve::{Auth, HttpPve, Pve, RetryPolicy, Timeouts};
use proxicloud_store::{Cluster, ClusterCredentials, Timestamp, Uuid};
use secrecy::ExposeSecret;

use super::{ClusterService, secret_context, tls};
use crate::error::{DomainError, DomainResult};

/// Time limits and GET retries of the clients handed out by [`ClusterService::connect`],
/// and the limits of connection tests.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// A connection test never retries and waits at most this long per request: an
    /// administrator is watching.
    pub test_timeouts: Timeouts,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            test_timeouts: Timeouts {
                connect: Duration::from_secs(5),
                request: Duration::from_secs(10),
            },
        }
    }
}

struct Cached {
    /// The configuration version the client was built from.
    updated_at: Timestamp,
    client: Arc<dyn Pve>,
}

pub(super) struct ClientCache {
    pub(super) options: ConnectOptions,
    clients: Mutex<HashMap<Uuid, Cached>>,
}

impl ClientCache {
    pub(super) fn new(options: ConnectOptions) -> Self {
        Self {
            options,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn forget(&self, id: Uuid) {
        self.clients.lock().remove(&id);
    }
}

impl ClusterService {
    /// The shared client of `cluster`, built on first use and rebuilt whenever the
    /// stored configuration changed (`updated_at` moved, also by another replica).
    /// Sharing one client keeps one connection pool and, for password logins, one
    /// ticket per cluster.
    pub fn connect(&self, cluster: &Cluster) -> DomainResult<Arc<dyn Pve>> {
        if let Some(cached) = self.clients.clients.lock().get(&cluster.id)
            && cached.updated_at == cluster.updated_at
        {
            return Ok(cached.client.clone());
        }
        let options = self.clients.options;
        let client: Arc<dyn Pve> =
            Arc::new(self.build_client(cluster, options.timeouts, options.retry)?);
        self.clients.clients.lock().insert(
            cluster.id,
            Cached {
                updated_at: cluster.updated_at,
                client: client.clone(),
            },
        );
        Ok(client)
    }

    /// A new, unshared client (connection tests use their own limits).
    pub(super) fn build_client(
        &self,
        cluster: &Cluster,
        timeouts: Timeouts,
        retry: RetryPolicy,
    ) -> DomainResult<HttpPve> {
        let config = &cluster.config;
        let unusable = |why: String| {
            DomainError::Internal(format!("cluster {} is misconfigured: {why}", cluster.id))
        };
        if config.secret_ciphertext.is_empty() {
            return Err(unusable("no secret is stored".into()));
        }
        let secret = self
            .master_key
            .open(&config.secret_ciphertext, &secret_context(cluster.id))
            .map_err(|e| unusable(e.to_string()))?;
        let auth = match &config.credentials {
            ClusterCredentials::ApiToken { token_id } => {
                Auth::token(token_id.clone(), secret.expose_secret())
            }
            ClusterCredentials::Password { username } => {
                Auth::password(username.clone(), secret.expose_secret())
            }
        };
        let tls = tls::tls_mode(
            config.verify_tls,
            config.tls_fingerprint.as_deref(),
            config.ca_pem.as_deref(),
        )
        .map_err(unusable)?;
        let pve_config = proxicloud_pve::ClusterConfig::new(&config.addresses, auth)
            .map_err(|e| unusable(e.to_string()))?
            .with_tls(tls)
            .with_timeouts(timeouts)
            .with_retry(retry);
        HttpPve::new(pve_config).map_err(|e| unusable(e.to_string()))
    }
}
