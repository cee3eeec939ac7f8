//! Email notifications: one plain-text message per alert change, over SMTP with
//! `lettre` — STARTTLS required (the default, port 587), implicit TLS (465), or plain
//! SMTP for a LAN relay (25, never with a login).
//!
//! The same guard as the HTTP notifiers: the server's name is resolved here, every
//! address checked against the blocked networks, and lettre connects to the checked
//! address (the name stays the TLS server name), so DNS rebinding cannot slip past
//! the check. A send is bounded by the notifier's time limit; errors name the stage
//! that failed and the server's answer, never the password.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};

use super::Notification;
use super::guard::{Blocked, Notifier};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    StartTls,
    Tls,
    None,
}

impl Security {
    fn parse(text: Option<&str>) -> Option<Self> {
        Some(match text {
            None | Some("starttls") => Security::StartTls,
            Some("tls") => Security::Tls,
            Some("none") => Security::None,
            Some(_) => return None,
        })
    }

    /// The submission port for STARTTLS, SMTPS for implicit TLS, SMTP otherwise.
    fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// A stored email channel, ready to send.
#[derive(Clone)]
pub struct EmailChannel {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub login: Option<(String, SecretString)>,
    /// PEM certificates trusted besides the system's roots.
    pub ca_certificate: Option<String>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl EmailChannel {
    /// From a stored channel's (validated) settings and opened secrets.
    pub fn from_stored(
        settings: &BTreeMap<String, String>,
        secrets: &BTreeMap<String, String>,
    ) -> Option<Self> {
        let security = Security::parse(settings.get("security").map(String::as_str))?;
        let port = match settings.get("port") {
            Some(port) => port.parse().ok()?,
            None => security.default_port(),
        };
        let login = match (settings.get("username"), secrets.get("password")) {
            (Some(user), Some(password)) => {
                Some((user.clone(), SecretString::from(password.clone())))
            }
            _ => None,
        };
        Some(Self {
            host: settings.get("host")?.clone(),
            port,
            security,
            from: parse_mailbox(settings.get("from")?).ok()?,
            to: parse_mailboxes(settings.get("to")?).ok()?,
            login,
            ca_certificate: settings.get("ca_certificate").cloned(),
        })
    }

    /// Delivers `note` to every recipient in one message.
    pub(super) async fn send(
        &self,
        notifier: &Notifier,
        note: &Notification,
    ) -> Result<(), String> {
        let policy = notifier.policy();
        let address = self.resolve(notifier).await?;
        let transport = self.transport(address, policy.timeout)?;
        let message = self.message(note)?;
        match tokio::time::timeout(policy.timeout, transport.send(message)).await {
            Err(_) => Err("email: the mail server did not answer in time".to_owned()),
            Ok(Err(error)) => Err(format!("email: {}", describe(&error))),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// The first address of the server that the policy allows.
    async fn resolve(&self, notifier: &Notifier) -> Result<SocketAddr, String> {
        let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
        let found: Vec<SocketAddr> =
            match tokio::time::timeout(notifier.policy().connect_timeout, lookup).await {
                Err(_) => {
                    return Err("email: the mail server's name did not resolve in time".into());
                }
                Ok(Err(error)) => {
                    return Err(format!("email: could not resolve the mail server: {error}"));
                }
                Ok(Ok(found)) => found.collect(),
            };
        let mut refused = None;
        for address in found {
            match notifier.policy().blocks(address.ip()) {
                None => return Ok(address),
                Some(network) => {
                    refused = Some(Blocked {
                        address: address.ip(),
                        network: *network,
                    })
                }
            }
        }
        Err(match refused {
            Some(blocked) => format!("email: {blocked}"),
            None => "email: the mail server's name has no address".to_owned(),
        })
    }

    fn transport(
        &self,
        address: SocketAddr,
        timeout: std::time::Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = match self.security {
            Security::StartTls => Tls::Required(self.tls_parameters()?),
            Security::Tls => Tls::Wrapper(self.tls_parameters()?),
            Security::None => Tls::None,
        };
        // `builder_dangerous` only means "no TLS preset": `tls` above sets it.
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
                .port(address.port())
                .tls(tls)
                .timeout(Some(timeout));
        if let Some((user, password)) = &self.login {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(builder.build())
    }

    /// Verifies the server's certificate for its name (not the address we connect to).
    fn tls_parameters(&self) -> Result<TlsParameters, String> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(pem) = &self.ca_certificate {
            builder = builder.add_root_certificate(parse_certificates(pem)?);
        }
        builder
            .build_rustls()
            .map_err(|error| format!("email: the TLS settings are not usable: {error}"))
    }

    fn message(&self, note: &Notification) -> Result<Message, String> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(note.title())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            message = message.to(to.clone());
        }
        message
            .body(text(note))
            .map_err(|error| format!("email: the message could not be built: {error}"))
    }
}

/// The message's text: what happened, to what, and when.
fn text(note: &Notification) -> String {
    let mut lines = vec![
        note.message.clone(),
        String::new(),
        format!("Status:   {}", note.status),
        format!("Severity: {}", note.severity),
        format!("Rule:     {}", note.rule_name),
        format!(
            "Resource: {} {} ({})",
            note.resource_kind, note.resource_name, note.resource_id
        ),
    ];
    if let Some(value) = note.value {
        lines.push(format!("Value:    {value}"));
    }
    lines.push(format!("At:       {}", note.at));
    lines.push(String::new());
    lines.push("-- ProxiCloud".to_owned());
    lines.join("\n")
}

/// An SMTP error in words: lettre's text names the stage (connection, TLS,
/// authentication) and its cause, with the server's answer; never the credentials.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    error.to_string()
}

pub(super) fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|_| "must be a mail address such as ops@example.com".to_owned())
}

pub(super) fn parse_mailboxes(text: &str) -> Result<Vec<Mailbox>, String> {
    let list: Mailboxes = text
        .parse()
        .map_err(|_| "must be mail addresses separated by commas".to_owned())?;
    let list: Vec<Mailbox> = list.into_iter().collect();
    if list.is_empty() {
        return Err("must name at least one mail address".to_owned());
    }
    Ok(list)
}

pub(super) fn parse_certificates(pem: &str) -> Result<Certificate, String> {
    let count = CertificateDer::pem_slice_iter(pem.as_bytes())
        .try_fold(0usize, |n, cert| cert.map(|_| n + 1))
        .map_err(|_| "must be PEM certificates (-----BEGIN CERTIFICATE-----)".to_owned())?;
    if count == 0 {
        return Err("must be PEM certificates (-----BEGIN CERTIFICATE-----)".to_owned());
    }
    Certificate::from_pem(pem.as_bytes())
        .map_err(|_| "must be PEM certificates (-----BEGIN CERTIFICATE-----)".to_owned())
}
