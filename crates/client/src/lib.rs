//! A typed async client of the ProxiCloud API (`/api/v1`), on reqwest with rustls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), proxicloud_client::ClientError> {
//! use proxicloud_client::Client;
//! let client = Client::new("http://127.0.0.1:8080", "pc_…")?;
//! for job in client.jobs().list_all(&Default::default()).await? {
//!     println!("{} {:?}", job.kind, job.status);
//! }
//! # Ok(()) }
//! ```
//!
//! Requests and responses are the server's own types (`proxicloud_types::api`), so
//! the two cannot drift apart. Every failure is a [`ClientError`]: the server's
//! `{error:{code,message,fields}}` with the HTTP status, or a transport failure.
//!
//! To add a resource: a `resources/<resource>.rs` with a borrowed handle
//! (`pub struct Things<'a>(&'a Client)`) whose methods call [`Client::send`], and an
//! accessor on [`Client`] below.

mod error;
mod events;
mod pages;
mod resources;
mod wait;

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

pub use error::ClientError;
pub use events::{Event, EventStream};
pub use pages::{Page, paginate};
pub use proxicloud_types::api;
pub use resources::auth::Auth;
pub use resources::buckets::{Buckets, ByteStream};
pub use resources::images::Images;
pub use resources::instances::{Instances, Power};
pub use resources::jobs::Jobs;
pub use resources::keypairs::KeyPairs;
pub use resources::s3keys::AccessKeys;
pub use resources::secrets::Secrets;
pub use resources::tokens::Tokens;
pub use resources::volumes::Volumes;
pub use wait::WaitOptions;

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A connection to one ProxiCloud server, as one caller (a bearer token: an API
/// token `pc_…` or a session's access token). Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
}

/// The token stays out of `Debug` (and so out of logs).
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// How long a request may take before it fails as a transport error. The event
/// stream is exempt: it is meant to stay open.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Client {
    /// A client of the server at `base_url` (e.g. `https://cloud.example.com`) that
    /// authenticates with `token`.
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Self> {
        let mut client = Self::anonymous(base_url)?;
        client.token = Some(SecretString::from(token.into()));
        Ok(client)
    }

    /// A client without credentials: enough to log in ([`Auth::login`]).
    pub fn anonymous(base_url: &str) -> Result<Self> {
        let mut base = Url::parse(base_url).map_err(|e| ClientError::InvalidUrl {
            url: base_url.to_owned(),
            reason: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::InvalidUrl {
                url: base_url.to_owned(),
                reason: "use an http:// or https:// URL".to_owned(),
            });
        }
        // `join` treats a base without a trailing slash as a file name.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("proxicloud-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Transport)?;
        Ok(Self {
            http,
            base,
            token: None,
        })
    }

    /// The same server with another token (e.g. after [`Auth::login`]).
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(SecretString::from(token.into())),
            ..self.clone()
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn auth(&self) -> Auth<'_> {
        Auth(self)
    }

    pub fn tokens(&self) -> Tokens<'_> {
        Tokens(self)
    }

    pub fn instances(&self) -> Instances<'_> {
        Instances(self)
    }

    pub fn jobs(&self) -> Jobs<'_> {
        Jobs(self)
    }

    pub fn images(&self) -> Images<'_> {
        Images(self)
    }

    pub fn volumes(&self) -> Volumes<'_> {
        Volumes(self)
    }

    pub fn buckets(&self) -> Buckets<'_> {
        Buckets(self)
    }

    pub fn access_keys(&self) -> AccessKeys<'_> {
        AccessKeys(self)
    }

    pub fn key_pairs(&self) -> KeyPairs<'_> {
        KeyPairs(self)
    }

    pub fn secrets(&self) -> Secrets<'_> {
        Secrets(self)
    }

    /// A request to `path` (relative to the base URL, e.g. `api/v1/jobs`), with the
    /// bearer token.
    pub fn request(&self, method: Method, path: &str) -> Result<RequestBuilder> {
        let url = self.base.join(path).map_err(|e| ClientError::InvalidUrl {
            url: path.to_owned(),
            reason: e.to_string(),
        })?;
        let mut request = self.http.request(method, url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        Ok(request)
    }

    /// Sends `request` and decodes a JSON success body; a non-2xx answer becomes
    /// [`ClientError::Api`].
    pub async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        self.send_within(request, REQUEST_TIMEOUT).await
    }

    /// [`Client::send`] with its own time limit (an upload takes as long as its file).
    pub async fn send_within<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        timeout: Duration,
    ) -> Result<T> {
        let response = dispatch(request.timeout(timeout)).await?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(ClientError::Transport)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            status: status.as_u16(),
            reason: e.to_string(),
        })
    }

    /// Sends `request` and expects no body (`204`).
    pub async fn send_empty(&self, request: RequestBuilder) -> Result<()> {
        self.send_raw(request).await.map(drop)
    }

    /// Sends `request`; a non-2xx answer becomes [`ClientError::Api`].
    pub async fn send_raw(&self, request: RequestBuilder) -> Result<reqwest::Response> {
        self.send_raw_within(request, REQUEST_TIMEOUT).await
    }

    /// [`Client::send_raw`] with its own time limit (a download's body is read later).
    pub async fn send_raw_within(
        &self,
        request: RequestBuilder,
        timeout: Duration,
    ) -> Result<reqwest::Response> {
        dispatch(request.timeout(timeout)).await
    }
}

async fn dispatch(request: RequestBuilder) -> Result<reqwest::Response> {
    let response = request.send().await.map_err(ClientError::Transport)?;
    if response.status().is_success() {
        return Ok(response);
    }
    Err(ClientError::from_response(response).await)
}
