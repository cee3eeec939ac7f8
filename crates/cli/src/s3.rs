//! The S3 endpoint of `proxicloud serve`: the object store under
//! `<data_dir>/objects` (swept of leftovers of interrupted writes at start), served
//! by `proxicloud_s3` on its own address (`[s3] listen`, `--s3-listen`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use proxicloud_domain::app::Services;
use proxicloud_domain::buckets::S3Endpoint;
use proxicloud_domain::objects::ObjectsConfig;
use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_objects::{BlobStore, FsBlobStore, ObjectStore};
use proxicloud_s3::S3Config;
use proxicloud_store::{Backend, Store};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3Settings {
    /// Serve the S3 endpoint at all.
    pub enabled: bool,
    /// Its address (the console and API have their own, `listen`).
    pub listen: String,
    /// What clients sign for and GetBucketLocation answers.
    pub region: String,
    /// With a domain, `<bucket>.s3.<domain>` reaches a bucket too (virtual-host style).
    pub domain: String,
    /// Multipart uploads that received no part for this many hours (and were neither
    /// completed nor aborted) are aborted and their parts deleted; 0 turns this off
    /// (unfinished uploads are kept until a client aborts them).
    pub abandoned_upload_hours: u32,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: DEFAULT_LISTEN.into(),
            region: "us-east-1".into(),
            domain: String::new(),
            abandoned_upload_hours: 24,
        }
    }
}

pub struct RunningS3 {
    pub url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningS3 {
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The object store's part of the services' configuration: its blobs under
/// `<data_dir>/objects`, opened (and created) here.
pub async fn objects_config(
    settings: &S3Settings,
    data_dir: &std::path::Path,
) -> anyhow::Result<ObjectsConfig> {
    let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::open(&data_dir.join("objects")).await?);
    Ok(ObjectsConfig {
        blobs: Some(blobs),
        // 0 is "off", not "at once" (which would abort uploads in progress).
        abandoned_after: (settings.abandoned_upload_hours > 0)
            .then(|| Duration::from_secs(u64::from(settings.abandoned_upload_hours) * 3600)),
    })
}

/// Binds the S3 endpoint's address before the application is built, so presigned
/// URLs name the port actually bound. A taken *default* address is only a warning
/// (several servers on one machine: tests, demos); an address the operator chose
/// must be free. `None`: S3 is off, or its default address was taken.
pub async fn bind(settings: &S3Settings) -> anyhow::Result<Option<TcpListener>> {
    if !settings.enabled {
        return Ok(None);
    }
    let address: SocketAddr = settings
        .listen
        .parse()
        .with_context(|| format!("[s3] listen = {:?} is not an address", settings.listen))?;
    match TcpListener::bind(address).await {
        Ok(listener) => Ok(Some(listener)),
        Err(error) if settings.listen == DEFAULT_LISTEN => {
            tracing::warn!(%error, "S3 endpoint not started: {DEFAULT_LISTEN} is taken (set [s3] listen)");
            Ok(None)
        }
        Err(error) => Err(error).with_context(|| format!("binding S3 to {address}")),
    }
}

/// Where clients reach the bound endpoint, for presigned URLs (an unspecified
/// listen address is reached on loopback; behind another name, clients rewrite it).
pub fn endpoint(settings: &S3Settings, listener: Option<&TcpListener>) -> S3Endpoint {
    let url = listener
        .and_then(|l| l.local_addr().ok())
        .map(|mut address| {
            if address.ip().is_unspecified() {
                address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{address}")
        });
    S3Endpoint {
        url,
        region: settings.region.clone(),
    }
}

/// Sweeps the object store (whether S3 is served or not: the API stores objects
/// too), then serves S3 on `listener` (see [`bind`]).
pub async fn start(
    listener: Option<TcpListener>,
    settings: &S3Settings,
    store: Arc<dyn Store>,
    services: &Services,
) -> anyhow::Result<Option<RunningS3>> {
    let objects = services.get::<ObjectStore>();
    // Alone with SQLite, everything older than this start is a leftover; replicas on
    // PostgreSQL may be between writing a blob and committing it, so give them time.
    let before = match store.backend() {
        Backend::Sqlite => SystemTime::now(),
        Backend::Postgres => SystemTime::now() - Duration::from_secs(3600),
    };
    proxicloud_objects::sweep(store.as_ref(), objects.blobs().as_ref(), before).await?;
    let Some(listener) = listener else {
        return Ok(None);
    };
    let config = S3Config {
        region: settings.region.clone(),
        domain: (!settings.domain.is_empty()).then(|| settings.domain.clone()),
    };
    let service = proxicloud_s3::build(objects, services.get::<AccessKeyService>(), &config);
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(proxicloud_s3::serve(listener, service, async {
        let _ = stopped.await;
    }));
    Ok(Some(RunningS3 { url, stop, task }))
}
