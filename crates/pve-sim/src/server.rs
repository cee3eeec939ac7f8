//! Starting and stopping the simulator: load or seed the cluster, bind the listener,
//! serve HTTPS (or HTTP) with axum-server, persist the cluster, shut down cleanly.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::{HeaderMap, Request, Uri};
use axum::response::Response;
use axum::routing::any;
use tokio::task::JoinHandle;

use crate::dispatch::{self, API_PREFIX, Incoming};
use crate::record::{RecordEntry, Recorder};
use crate::schema::{RecordedRequest, Schema};
use crate::tls::NodeCertificate;
use crate::wire::Reply;
use crate::{Cluster, Sim, SimConfig, SimParts, control, persist, seed};

/// How often `--state` is written while running (and once more at shutdown).
const SAVE_INTERVAL: Duration = Duration::from_secs(5);

/// A simulator serving on its own port.
pub struct RunningSim {
    pub addr: SocketAddr,
    /// `https://127.0.0.1:PORT` (or `http://` without TLS), no trailing slash.
    pub base_url: String,
    /// SHA-256 of the certificate, `AB:CD:…` as PVE shows it; `None` without TLS.
    pub fingerprint: Option<String>,
    /// PEM of the node certificate, for clients that want to trust it explicitly.
    pub certificate_pem: Option<String>,
    /// PEM of the cluster CA that signed it (PVE's `pve-root-ca.pem`).
    pub ca_pem: Option<String>,
    pub sim: Sim,
    handle: axum_server::Handle<SocketAddr>,
    server: JoinHandle<std::io::Result<()>>,
    saver: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// Requests that passed authentication and schema validation — what a schema check
    /// over the suite's traffic must find valid.
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.sim
            .recorder
            .entries()
            .into_iter()
            .filter(|e| e.accepted)
            .map(|e| e.request)
            .collect()
    }

    /// Every request received, rejected ones included, with status and flags.
    pub fn recorded_entries(&self) -> Vec<RecordEntry> {
        self.sim.recorder.entries()
    }

    /// Stops accepting, lets in-flight requests finish briefly, saves `--state`.
    pub async fn shutdown(self) {
        if let Some(saver) = self.saver {
            saver.abort();
        }
        self.handle.graceful_shutdown(Some(Duration::from_secs(2)));
        if let Err(e) = self.server.await {
            tracing::warn!("simulator server task ended abnormally: {e}");
        }
        if let Some(path) = &self.sim.config.state_file {
            match persist::save(&self.sim, path) {
                Ok(()) => tracing::info!("cluster state saved to {}", path.display()),
                Err(e) => tracing::error!("cannot save cluster state: {e:#}"),
            }
        }
    }
}

/// Build (or load) the cluster and serve it on `config.listen` (port 0 picks one).
pub async fn start(config: SimConfig) -> anyhow::Result<RunningSim> {
    let schema = load_schema(&config)?;
    let cluster = initial_cluster(&config)?;
    let node_names: Vec<String> = cluster.nodes.keys().cloned().collect();
    let certificate = if config.tls {
        Some(NodeCertificate::generate(&node_names)?)
    } else {
        None
    };
    let parts = SimParts {
        schema,
        recorder: Recorder::new(config.record_file.as_deref())?,
        fingerprint: certificate.as_ref().map(NodeCertificate::fingerprint),
        certificate_pem: certificate.as_ref().map(|c| c.cert_pem.clone()),
    };
    let sim = Sim::with_parts(config, cluster, parts);
    dispatch::warm_up();

    let listener = std::net::TcpListener::bind(sim.config.listen)
        .with_context(|| format!("binding {}", sim.config.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let make_service = MakeApp {
        app: router(sim.clone()),
        sim: sim.clone(),
    };

    let ca_pem = certificate.as_ref().map(|cert| cert.ca_pem.clone());
    let (scheme, fingerprint, certificate_pem, server) = if let Some(cert) = certificate {
        let tls = axum_server::tls_rustls::RustlsConfig::from_config(cert.server_config()?);
        let mut server = axum_server::from_tcp_rustls(listener, tls)?.handle(handle.clone());
        http1_with_upgrades(server.http_builder());
        let task = tokio::spawn(server.serve(make_service));
        ("https", Some(cert.fingerprint()), Some(cert.cert_pem), task)
    } else {
        let mut server = axum_server::from_tcp(listener)?.handle(handle.clone());
        http1_with_upgrades(server.http_builder());
        ("http", None, None, tokio::spawn(server.serve(make_service)))
    };

    let saver = sim.config.state_file.clone().map(|path| {
        let sim = sim.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(SAVE_INTERVAL);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let (sim, path) = (sim.clone(), path.clone());
                let saved = tokio::task::spawn_blocking(move || persist::save(&sim, &path)).await;
                if let Ok(Err(e)) = saved {
                    tracing::error!("cannot save cluster state: {e:#}");
                }
            }
        })
    });

    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    Ok(RunningSim {
        addr,
        base_url: format!("{scheme}://{host}:{}", addr.port()),
        fingerprint,
        certificate_pem,
        ca_pem,
        sim,
        handle,
        server,
        saver,
    })
}

/// HTTP/1.1 only, as pveproxy — but with upgrades, which axum-server's own
/// `http1_only()` turns off (it serves connections without upgrade support then), and
/// `vncwebsocket` needs them.
fn http1_with_upgrades<E: Clone>(builder: &mut hyper_util::server::conn::auto::Builder<E>) {
    *builder = builder.clone().http1_only();
}

/// Start, print the URL and fingerprint, serve until Ctrl-C or SIGTERM, then shut down
/// (saving `--state`).
pub async fn serve_forever(config: SimConfig) -> anyhow::Result<()> {
    let running = start(config).await?;
    println!("pve-sim listening on {}", running.base_url);
    if let Some(fingerprint) = &running.fingerprint {
        println!("pve-sim certificate fingerprint (SHA-256) {fingerprint}");
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    running.shutdown().await;
    Ok(())
}

fn load_schema(config: &SimConfig) -> anyhow::Result<Option<Arc<Schema>>> {
    match &config.schema_path {
        Some(path) => {
            let schema = Schema::load(path)
                .with_context(|| format!("loading the PVE API schema {}", path.display()))?;
            tracing::info!("validating requests against {}", path.display());
            Ok(Some(Arc::new(schema)))
        }
        None if config.warn_without_schema => {
            tracing::warn!(
                "NO PVE API SCHEMA FOUND: requests are NOT validated. Pass --schema or set {} \
                 to shared/pve-api/pve-api-schema.json; passing tests without it proves little.",
                crate::schema::SCHEMA_ENV
            );
            Ok(None)
        }
        None => {
            tracing::debug!("no PVE API schema found; requests are not validated");
            Ok(None)
        }
    }
}

fn initial_cluster(config: &SimConfig) -> anyhow::Result<Cluster> {
    if let Some(path) = &config.state_file
        && path.exists()
    {
        let mut cluster = persist::load(path)?;
        // The command line's --token/--password log in even if the saved state predates
        // them (an existing token's secret is replaced by the configured one).
        crate::handlers::access::seed_access(
            &mut cluster.access,
            &config.tokens,
            &config.passwords,
        );
        tracing::info!(
            "loaded cluster state from {} ({} nodes, {} guests)",
            path.display(),
            cluster.nodes.len(),
            cluster.guests.len()
        );
        return Ok(cluster);
    }
    Ok(seed::seed_cluster(config))
}

/// pveproxy streams an upload into a temporary file whatever its size; the simulator
/// holds a request's body in memory, so it bounds it (axum's default, 2 MiB, would
/// refuse an ordinary ISO upload with a 413 PVE never sends).
const MAX_BODY_BYTES: usize = 1024 * 1024 * 1024;

fn router(sim: Sim) -> Router {
    Router::new()
        .nest("/sim", control::router())
        .route(API_PREFIX, any(api))
        .route(
            &format!("{API_PREFIX}/nodes/{{node}}/{{kind}}/{{vmid}}/vncwebsocket"),
            any(vncwebsocket),
        )
        .route(&format!("{API_PREFIX}/{{*rest}}"), any(api))
        .fallback(no_such_uri)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sim)
}

async fn api(
    State(sim): State<Sim>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = sim.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let incoming = Incoming {
        method: method.as_str(),
        uri: &uri,
        headers: &headers,
        body,
    };
    dispatch::handle(&sim, incoming).into_response()
}

/// `vncwebsocket`: a plain GET is an ordinary API call; a websocket upgrade goes through
/// the same pipeline (authentication, schema, the ticket check of the handler) and, as
/// pveproxy's websocket proxy does, then connects to the console behind the port —
/// which serves one client only.
async fn vncwebsocket(
    State(sim): State<Sim>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return api(State(sim), method, uri, headers, body).await;
    };
    let incoming = Incoming {
        method: method.as_str(),
        uri: &uri,
        headers: &headers,
        body,
    };
    let reply = dispatch::handle(&sim, incoming);
    if !matches!(reply, Reply::Data(_)) {
        return reply.into_response();
    }
    let target = console_target(&uri);
    let Some(console) = target.and_then(|(vmid, port)| sim.consoles.claim(vmid, port)) else {
        // Nothing listens on the port any more: pveproxy's connect fails.
        return Reply::bare(502, "websocket proxy: connection refused").into_response();
    };
    // noVNC asks for the `binary` subprotocol; PVE's proxy accepts it.
    upgrade
        .protocols(["binary"])
        .on_upgrade(move |socket| crate::console::run(socket, console))
}

/// The vmid (from the path) and port (from the query) of a `vncwebsocket` request.
fn console_target(uri: &Uri) -> Option<(u32, u16)> {
    let mut segments = uri.path().rsplit('/');
    segments.next();
    let vmid = segments.next()?.parse().ok()?;
    let port = form_urlencoded_value(uri.query()?, "port")?.parse().ok()?;
    Some((vmid, port))
}

fn form_urlencoded_value(query: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == key).then_some(v))
}

/// pveproxy answers unknown formats and paths outside the API with 501.
async fn no_such_uri() -> Response {
    Reply::bare(501, "no such uri").into_response()
}

/// Hands every connection the router, except while the API is "down": then `/api2`
/// requests fail at the connection level (hyper closes the connection without a
/// response) — what a client sees of a dead pveproxy, short of a refused connect, which a
/// listener that must keep serving `/sim` cannot fake.
#[derive(Clone)]
struct MakeApp {
    app: Router,
    sim: Sim,
}

impl tower::Service<SocketAddr> for MakeApp {
    type Response = OutageAware;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<OutageAware, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: SocketAddr) -> Self::Future {
        std::future::ready(Ok(OutageAware {
            app: self.app.clone(),
            sim: self.sim.clone(),
        }))
    }
}

#[derive(Clone)]
struct OutageAware {
    app: Router,
    sim: Sim,
}

impl tower::Service<Request<hyper::body::Incoming>> for OutageAware {
    type Response = Response;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<hyper::body::Incoming>) -> Self::Future {
        if self.sim.faults.api_down() && request.uri().path().starts_with("/api2") {
            return Box::pin(std::future::ready(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "simulated API outage",
            ))));
        }
        let mut app = self.app.clone();
        let request = request.map(Body::new);
        Box::pin(async move {
            match tower::Service::call(&mut app, request).await {
                Ok(response) => Ok(response),
                Err(never) => match never {},
            }
        })
    }
}
