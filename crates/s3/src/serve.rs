//! Building the s3s service and serving it: every accepted socket gets TCP_NODELAY
//! (without it a small GET's response waits ~40 ms on delayed ACKs), HTTP/1.1 and h2.

use std::future::Future;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_objects::ObjectStore;
use s3s::host::{S3Host, VirtualHost};
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

use crate::auth::{KeyAuth, KeyOwners, OwnerAccess};
use crate::service::ProxiS3;

#[derive(Debug, Clone)]
pub struct S3Config {
    /// What GetBucketLocation answers and clients sign for (`us-east-1` by default).
    pub region: String,
    /// With a domain, `<bucket>.s3.<domain>` also reaches a bucket (virtual-host
    /// style); path style works always.
    pub domain: Option<String>,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            domain: None,
        }
    }
}

/// Virtual-host style under `s3.<domain>`, path style for every other host.
struct Hosts {
    suffix: String,
}

impl S3Host for Hosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> s3s::S3Result<VirtualHost<'a>> {
        let name = host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        });
        match name.strip_suffix(self.suffix.as_str()) {
            Some(bucket) if !bucket.is_empty() => Ok(VirtualHost::new(host).with_bucket(bucket)),
            _ => Ok(VirtualHost::new(host)),
        }
    }
}

pub fn build(
    objects: Arc<ObjectStore>,
    keys: Arc<AccessKeyService>,
    config: &S3Config,
) -> S3Service {
    let owners = KeyOwners::default();
    let mut builder = S3ServiceBuilder::new(ProxiS3::new(objects, config.region.clone()));
    builder.set_auth(KeyAuth::new(keys, owners.clone()));
    builder.set_access(OwnerAccess::new(owners));
    if let Some(domain) = &config.domain {
        builder.set_host(Hosts {
            suffix: format!(".s3.{domain}"),
        });
    }
    builder.build()
}

/// Serves until `shutdown` completes, then lets open requests finish (10 s at most).
pub async fn serve(listener: TcpListener, service: S3Service, shutdown: impl Future<Output = ()>) {
    let http = ConnBuilder::new(TokioExecutor::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accepting an S3 connection failed");
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY");
        }
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "S3 connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("S3 connections still open after 10 s; closing them");
        }
    }
}
