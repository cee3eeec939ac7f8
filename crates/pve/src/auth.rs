//! Credentials on the wire: the API-token header, or a login ticket (cookie plus
//! CSRF token on writes) that is renewed before PVE's two-hour expiry.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::{Auth, Secret};
use crate::error::{PveError, Result};
use crate::params::Params;
use crate::transport::{Method, Transport, decode};

const TICKET_PATH: &str = "/access/ticket";

/// What one request carries to authenticate.
#[derive(Clone)]
pub(crate) enum AuthHeaders {
    /// Login requests themselves.
    None,
    /// `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`.
    Token(Secret),
    /// `Cookie: PVEAuthCookie=…` plus `CSRFPreventionToken` on non-GET requests.
    Ticket { ticket: Secret, csrf: Secret },
}

impl AuthHeaders {
    pub(crate) fn is_ticket(&self) -> bool {
        matches!(self, AuthHeaders::Ticket { .. })
    }

    pub(crate) fn apply(
        &self,
        request: reqwest::RequestBuilder,
        is_write: bool,
    ) -> reqwest::RequestBuilder {
        match self {
            AuthHeaders::None => request,
            AuthHeaders::Token(value) => {
                request.header(reqwest::header::AUTHORIZATION, value.expose())
            }
            AuthHeaders::Ticket { ticket, csrf } => {
                // pveproxy URI-unescapes the cookie; a ticket has no characters that
                // need escaping in a Cookie header, and clients such as proxmoxer
                // send it raw, so it is sent raw here too.
                let request = request.header(
                    reqwest::header::COOKIE,
                    format!("PVEAuthCookie={}", ticket.expose()),
                );
                if is_write {
                    request.header("CSRFPreventionToken", csrf.expose())
                } else {
                    request
                }
            }
        }
    }
}

#[derive(Clone)]
struct Ticket {
    ticket: Secret,
    csrf: Secret,
    obtained: Instant,
}

impl Ticket {
    fn headers(&self) -> AuthHeaders {
        AuthHeaders::Ticket {
            ticket: self.ticket.clone(),
            csrf: self.csrf.clone(),
        }
    }
}

pub(crate) struct TicketAuth {
    user: String,
    password: Secret,
    renew_after: Duration,
    /// Held across the login call so concurrent requests wait for one renewal
    /// instead of each logging in.
    current: Mutex<Option<Ticket>>,
}

pub(crate) enum Credentials {
    Token(Secret),
    Ticket(TicketAuth),
}

impl Credentials {
    pub(crate) fn new(auth: &Auth, renew_after: Duration) -> Self {
        match auth {
            Auth::Token { id, secret } => {
                Credentials::Token(Secret::new(format!("PVEAPIToken={id}={}", secret.expose())))
            }
            Auth::Password { user, password } => Credentials::Ticket(TicketAuth {
                user: user.clone(),
                password: password.clone(),
                renew_after,
                current: Mutex::new(None),
            }),
        }
    }
}

/// The part of `POST /access/ticket`'s answer the client needs.
#[derive(Deserialize)]
struct TicketResponse {
    ticket: String,
    #[serde(rename = "CSRFPreventionToken")]
    csrf_prevention_token: String,
}

impl Transport {
    /// Headers for the next request, logging in or renewing the ticket first if needed.
    pub(crate) async fn auth_headers(&self) -> Result<AuthHeaders> {
        let auth = match &self.credentials {
            Credentials::Token(value) => return Ok(AuthHeaders::Token(value.clone())),
            Credentials::Ticket(auth) => auth,
        };
        let mut current = auth.current.lock().await;
        let ticket = match current.take() {
            Some(ticket) if ticket.obtained.elapsed() < auth.renew_after => ticket,
            Some(stale) => self.renew(auth, &stale).await?,
            None => self.login(&auth.user, &auth.password).await?,
        };
        let headers = ticket.headers();
        *current = Some(ticket);
        Ok(headers)
    }

    /// After PVE refused `rejected`: logs in with the password — unless a concurrent
    /// request already did since, in which case its new ticket is used. Requests
    /// that fail together thus cause one login, not one each.
    pub(crate) async fn relogin(&self, rejected: &AuthHeaders) -> Result<AuthHeaders> {
        let Credentials::Ticket(auth) = &self.credentials else {
            return self.auth_headers().await;
        };
        let mut current = auth.current.lock().await;
        if let (
            Some(ticket),
            AuthHeaders::Ticket {
                ticket: refused, ..
            },
        ) = (current.as_ref(), rejected)
            && ticket.ticket.expose() != refused.expose()
        {
            return Ok(ticket.headers());
        }
        let ticket = self.login(&auth.user, &auth.password).await?;
        let headers = ticket.headers();
        *current = Some(ticket);
        Ok(headers)
    }

    /// Renews like pvesh and proxmoxer do: the still-valid ticket is posted as the
    /// password. If PVE no longer accepts it, a fresh password login follows.
    async fn renew(&self, auth: &TicketAuth, stale: &Ticket) -> Result<Ticket> {
        match self.login(&auth.user, &stale.ticket).await {
            Ok(ticket) => {
                tracing::debug!(user = %auth.user, "renewed PVE ticket");
                Ok(ticket)
            }
            Err(PveError::Unauthorized { .. }) => {
                tracing::debug!(user = %auth.user, "ticket renewal refused; logging in again");
                self.login(&auth.user, &auth.password).await
            }
            Err(err) => Err(err),
        }
    }

    async fn login(&self, user: &str, password: &Secret) -> Result<Ticket> {
        let params = Params::new()
            .set("username", user)
            .set("password", password.expose());
        let envelope = self
            .send(Method::Post, TICKET_PATH, &params, &AuthHeaders::None)
            .await?;
        let response: TicketResponse = decode(Method::Post, TICKET_PATH, envelope.data)?;
        Ok(Ticket {
            ticket: Secret::new(response.ticket),
            csrf: Secret::new(response.csrf_prevention_token),
            obtained: Instant::now(),
        })
    }
}
