//! Executes API calls: picks a node address (failing over on connection errors),
//! attaches credentials, retries idempotent GETs, and turns PVE's envelopes and
//! error responses into values or typed errors.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::auth::{AuthHeaders, Credentials};
use crate::config::{ClusterConfig, RetryPolicy};
use crate::error::{PveError, Result};
use crate::params::Params;
use crate::tls::{build_http_client, tls_failure};

/// The HTTP methods PVE's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }

    /// PVE reads GET and DELETE parameters from the query string, POST and PUT
    /// parameters from a form body.
    fn params_in_query(self) -> bool {
        matches!(self, Method::Get | Method::Delete)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_reqwest().as_str())
    }
}

/// PVE's response envelope: `{"data": …, "total": n, "changes": "…"}`.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub data: Value,
    /// Present on paged endpoints such as task logs.
    pub total: Option<u64>,
    /// The node network list's staged changes, as a unified diff.
    pub changes: Option<String>,
}

pub(crate) struct Transport {
    http: reqwest::Client,
    addresses: Vec<Url>,
    /// Index of the address that answered last; calls start there.
    preferred: AtomicUsize,
    pub(crate) credentials: Credentials,
    retry: RetryPolicy,
    pub(crate) timeouts: crate::config::Timeouts,
    /// TLS for console websockets, which bypass reqwest (same trust as API calls).
    pub(crate) websocket_tls: std::sync::Arc<rustls::ClientConfig>,
}

impl Transport {
    pub(crate) fn new(config: &ClusterConfig) -> Result<Self> {
        Ok(Self {
            http: build_http_client(config)?,
            addresses: config.addresses.clone(),
            preferred: AtomicUsize::new(0),
            credentials: Credentials::new(&config.auth, config.ticket_renew_after),
            retry: config.retry,
            timeouts: config.timeouts,
            websocket_tls: crate::tls::websocket_tls_config(&config.tls)?,
        })
    }

    /// The address calls currently go to first.
    pub(crate) fn current_address(&self) -> &Url {
        &self.addresses[self.preferred.load(Ordering::Relaxed) % self.addresses.len()]
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, params: Params) -> Result<T> {
        self.call(Method::Get, path, params).await
    }

    pub(crate) async fn post<T: DeserializeOwned>(&self, path: &str, params: Params) -> Result<T> {
        self.call(Method::Post, path, params).await
    }

    pub(crate) async fn put<T: DeserializeOwned>(&self, path: &str, params: Params) -> Result<T> {
        self.call(Method::Put, path, params).await
    }

    pub(crate) async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        params: Params,
    ) -> Result<T> {
        self.call(Method::Delete, path, params).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: Params,
    ) -> Result<T> {
        let envelope = self.call_raw(method, path, &params).await?;
        decode(method, path, envelope.data)
    }

    /// One API call with retries: only GETs are repeated, and only for errors that
    /// may go away (5xx other than 501, timeouts, unreachable or dropped connections).
    pub(crate) async fn call_raw(
        &self,
        method: Method,
        path: &str,
        params: &Params,
    ) -> Result<Envelope> {
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 1;
        loop {
            match self.call_authenticated(method, path, params).await {
                Err(err)
                    if method == Method::Get
                        && attempt < self.retry.max_attempts
                        && err.is_transient() =>
                {
                    tracing::debug!(%path, attempt, error = %err, "retrying GET after backoff");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.retry.max_backoff);
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn call_authenticated(
        &self,
        method: Method,
        path: &str,
        params: &Params,
    ) -> Result<Envelope> {
        let auth = self.auth_headers().await?;
        match self.send(method, path, params, &auth).await {
            // A ticket can die before its age says so (revoked, server key rotated).
            // PVE checks auth before running anything, so repeating is safe for writes.
            Err(PveError::Unauthorized { .. }) if auth.is_ticket() => {
                let auth = self.relogin(&auth).await?;
                self.send(method, path, params, &auth).await
            }
            result => result,
        }
    }

    /// Sends one request, trying each node address in turn while connections fail.
    /// A refused connection means nothing reached PVE, so failing over is safe for
    /// every method; a connection dropped mid-request fails over only for GETs. Any
    /// answer, even an error status, ends the search.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        params: &Params,
        auth: &AuthHeaders,
    ) -> Result<Envelope> {
        let count = self.addresses.len();
        let first = self.preferred.load(Ordering::Relaxed) % count;
        let mut failures = Vec::with_capacity(count);
        let mut tls_errors = Vec::new();
        for offset in 0..count {
            let index = (first + offset) % count;
            let base = &self.addresses[index];
            let request = self.build_request(method, base, path, params, auth)?;
            match request.send().await {
                Ok(response) => {
                    if index != first {
                        tracing::info!(address = %base, "failed over to another node address");
                        self.preferred.store(index, Ordering::Relaxed);
                    }
                    return read_response(method, path, response).await;
                }
                Err(err) if err.is_connect() => {
                    let detail = match tls_failure(&err) {
                        Some(tls) => {
                            tls_errors.push(format!("{base}: {tls}"));
                            tls
                        }
                        None => error_chain(&err),
                    };
                    tracing::warn!(address = %base, error = %detail, "node address unreachable");
                    failures.push(format!("{base}: {detail}"));
                }
                Err(err) if err.is_timeout() => {
                    return Err(PveError::Timeout {
                        what: format!("{method} {path} on {base}"),
                    });
                }
                // The connection broke after the request went out. A GET can safely go
                // to the next node; a write may have run, so it must not be repeated.
                Err(err) if method == Method::Get => {
                    let detail = error_chain(&err);
                    tracing::warn!(address = %base, error = %detail, "connection dropped");
                    failures.push(format!("{base}: {detail}"));
                }
                Err(err) => {
                    return Err(PveError::Connection {
                        message: format!("{method} {path} on {base}: {}", error_chain(&err)),
                    });
                }
            }
        }
        if !tls_errors.is_empty() {
            return Err(PveError::Tls {
                message: tls_errors.join("; "),
            });
        }
        Err(PveError::Unreachable { attempts: failures })
    }

    /// A `multipart/form-data` POST (a file upload) to the preferred node address
    /// only: its body is a stream that cannot be sent twice, so there is no failover
    /// and no retry, and the credentials are made fresh first.
    pub(crate) async fn send_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
        timeout: std::time::Duration,
    ) -> Result<Envelope> {
        let auth = self.auth_headers().await?;
        let base = self.current_address();
        let url = Url::parse(&format!("{base}api2/json{path}"))
            .map_err(|e| PveError::InvalidRequest(format!("bad URL for {path}: {e}")))?;
        let request = auth
            .apply(self.http.post(url), true)
            .multipart(form)
            .timeout(timeout);
        match request.send().await {
            Ok(response) => read_response(Method::Post, path, response).await,
            Err(err) if err.is_timeout() => Err(PveError::Timeout {
                what: format!("POST {path} on {base}"),
            }),
            Err(err) if err.is_connect() => Err(PveError::Unreachable {
                attempts: vec![format!("{base}: {}", error_chain(&err))],
            }),
            Err(err) => Err(PveError::Connection {
                message: format!("POST {path} on {base}: {}", error_chain(&err)),
            }),
        }
    }

    fn build_request(
        &self,
        method: Method,
        base: &Url,
        path: &str,
        params: &Params,
        auth: &AuthHeaders,
    ) -> Result<reqwest::RequestBuilder> {
        let mut url = format!("{base}api2/json{path}");
        if method.params_in_query() && !params.is_empty() {
            url.push('?');
            url.push_str(&params.to_form());
        }
        let url = Url::parse(&url)
            .map_err(|e| PveError::InvalidRequest(format!("bad URL for {path}: {e}")))?;
        let mut request = self.http.request(method.as_reqwest(), url);
        request = auth.apply(request, method != Method::Get);
        if !method.params_in_query() {
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(params.to_form());
        }
        Ok(request)
    }
}

async fn read_response(
    method: Method,
    path: &str,
    response: reqwest::Response,
) -> Result<Envelope> {
    let status = response.status();
    // PVE puts its error message in the HTTP/1 reason phrase; hyper keeps a
    // non-standard phrase in the response extensions.
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or_default().to_string());
    let body = response.bytes().await.map_err(|err| {
        if err.is_timeout() {
            PveError::Timeout {
                what: format!("reading the response of {method} {path}"),
            }
        } else {
            PveError::Connection {
                message: format!(
                    "reading the response of {method} {path}: {}",
                    error_chain(&err)
                ),
            }
        }
    })?;
    if !status.is_success() {
        return Err(PveError::from_response(status.as_u16(), &reason, &body));
    }
    let mut parsed: Value = serde_json::from_slice(&body).map_err(|e| PveError::Decode {
        context: format!("{method} {path}"),
        message: format!("body is not JSON: {e}"),
    })?;
    let total = parsed.get("total").and_then(|t| match t {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let changes = parsed
        .get("changes")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let data = parsed
        .get_mut("data")
        .map(Value::take)
        .unwrap_or(Value::Null);
    Ok(Envelope {
        data,
        total,
        changes,
    })
}

pub(crate) fn decode<T: DeserializeOwned>(method: Method, path: &str, data: Value) -> Result<T> {
    serde_json::from_value(data).map_err(|e| PveError::Decode {
        context: format!("{method} {path}"),
        message: e.to_string(),
    })
}

/// "a: b: c" from an error and its sources, skipping repeats.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
