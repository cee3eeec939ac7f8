//! `AppState`: what every handler can reach — the built application
//! ([`Services`], see `proxicloud_domain::app`) and the HTTP layer's own settings.
//! Cheap to clone (two `Arc`s).
//!
//! Handlers take the domain services they use as [`Domain<T>`] arguments
//! (`Domain(jobs): Domain<JobService>`): a feature's service is reachable here as soon
//! as its `register` provides it, so adding a feature never edits this file.
//! Handlers reach the domain only through these services, never the store.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use proxicloud_domain::app::Services;
use proxicloud_domain::iam::IamConfig;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Clients reach this server over HTTPS (a TLS-terminating proxy's): session
    /// cookies are marked `Secure` and `Strict-Transport-Security` is sent (browsers
    /// ignore it over plain HTTP, RFC 6797 §8.1). Browsers also accept secure cookies
    /// from `http://localhost`; turn this off only for plain-HTTP access from other
    /// hosts, e.g. behind a TLS-terminating proxy on a trusted link.
    pub secure_cookies: bool,
    /// How long the refresh cookie lives in the browser; match the IAM refresh TTL.
    pub refresh_cookie_max_age: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Who may read `GET /metrics`.
    pub prometheus: PrometheusAccess,
}

/// Who may read `GET /metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrometheusAccess {
    /// An admin's API token (Bearer), from any address.
    #[default]
    Token,
    /// Clients on this machine (the TCP peer, or the client a trusted proxy names, is
    /// a loopback address), without a token; everyone else is refused.
    Loopback,
    /// Not served (404).
    Off,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            refresh_cookie_max_age: IamConfig::default().refresh_token_ttl,
            trusted_proxies: Default::default(),
            prometheus: PrometheusAccess::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub config: Arc<ApiConfig>,
}

impl AppState {
    pub fn new(services: Arc<Services>, config: ApiConfig) -> Self {
        Self {
            services,
            config: Arc::new(config),
        }
    }

    /// The domain service of type `T` (see [`Services::get`]).
    pub fn get<T: Send + Sync + 'static>(&self) -> Arc<T> {
        self.services.get()
    }
}

/// A domain service as a handler argument. Never rejects: every service is provided
/// when the application is built.
pub struct Domain<T>(pub Arc<T>);

impl<T: Send + Sync + 'static> FromRequestParts<AppState> for Domain<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Domain(state.get()))
    }
}
