//! `/api/v1/auth/*`: sessions and "who am I".

use proxicloud_types::api::auth::{
    CurrentUserResponse, LoginRequest, RefreshRequest, SessionResponse,
};
use reqwest::Method;
use secrecy::SecretString;

use crate::{Client, Result};

pub struct Auth<'a>(pub(crate) &'a Client);

impl Auth<'_> {
    /// Logs in with username and password; the session's `access_token` then works
    /// as a bearer token ([`Client::with_token`]).
    pub async fn login(&self, username: &str, password: SecretString) -> Result<SessionResponse> {
        let body = LoginRequest {
            username: username.to_owned(),
            password,
            use_cookies: false,
        };
        let request = self
            .0
            .request(Method::POST, "api/v1/auth/login")?
            .json(&body);
        self.0.send(request).await
    }

    /// Ends the session this client's token belongs to.
    pub async fn logout(&self) -> Result<()> {
        let request = self
            .0
            .request(Method::POST, "api/v1/auth/logout")?
            .json(&RefreshRequest::default());
        self.0.send_empty(request).await
    }

    /// The caller, and whether it authenticated with a session or an API token.
    pub async fn me(&self) -> Result<CurrentUserResponse> {
        let request = self.0.request(Method::GET, "api/v1/auth/me")?;
        self.0.send(request).await
    }
}
