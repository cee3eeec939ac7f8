//! A small fake Proxmox for the launch options: three nodes (pve3 offline), a
//! local directory storage with templates, a thin pool, a shared NFS storage with an
//! ISO, two bridges per node; it can go down or lose pve2.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use proxicloud_pve::{
    ContentFilter, NetworkInterface, NodeName, NodeSummary, Pve, PveError, StorageFilter,
    StorageStatus, StorageVolume,
};
use proxicloud_store::Uuid;
use serde_json::{Value, json};

use crate::instances::PveConnector;

pub const GIB: u64 = 1 << 30;

#[derive(Default)]
pub struct FakePve {
    pub calls: AtomicUsize,
    pub down: AtomicBool,
    /// pve2 answers like a node Proxmox cannot reach (its storages fail).
    pub pve2_unreachable: AtomicBool,
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("fake data decodes")
}

impl FakePve {
    fn call(&self) -> Result<(), PveError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(PveError::Unreachable {
                attempts: vec!["10.0.0.1:8006: connection refused".into()],
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Pve for FakePve {
    async fn nodes(&self) -> Result<Vec<NodeSummary>, PveError> {
        self.call()?;
        Ok(decode(json!([
            {"node": "pve2", "status": "online", "maxcpu": 8, "maxmem": 32 * GIB, "mem": 4 * GIB},
            {"node": "pve1", "status": "online", "maxcpu": 16, "maxmem": 64 * GIB, "mem": 60 * GIB},
            {"node": "pve3", "status": "offline"},
        ])))
    }

    async fn storages(
        &self,
        node: &NodeName,
        filter: &StorageFilter,
    ) -> Result<Vec<StorageStatus>, PveError> {
        self.call()?;
        assert!(filter.enabled, "only enabled storages are offered");
        assert_ne!(node.as_str(), "pve3", "an offline node is not asked");
        if node.as_str() == "pve2" && self.pve2_unreachable.load(Ordering::SeqCst) {
            return Err(PveError::Server {
                status: 595,
                message: "No route to host".into(),
            });
        }
        Ok(decode(json!([
            {"storage": "local", "type": "dir", "content": "vztmpl,iso,backup", "active": 1, "enabled": 1},
            {"storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir", "active": 1, "enabled": 1, "avail": 100 * GIB, "total": 200 * GIB},
            {"storage": "nfs", "type": "nfs", "content": "iso,images", "active": 1, "enabled": 1, "shared": 1, "avail": 900 * GIB, "total": GIB << 10},
            {"storage": "broken", "type": "dir", "content": "rootdir", "active": 0, "enabled": 1},
        ])))
    }

    async fn storage_content(
        &self,
        node: &NodeName,
        storage: &str,
        filter: &ContentFilter,
    ) -> Result<Vec<StorageVolume>, PveError> {
        self.call()?;
        let content = filter.content.as_deref().expect("listed by content type");
        let volumes = match (storage, content) {
            ("local", "vztmpl") if node.as_str() == "pve1" => json!([
                {"volid": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "content": "vztmpl", "size": 120_000_000},
                {"volid": "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz", "content": "vztmpl", "size": 3_000_000},
            ]),
            ("local", "vztmpl") => json!([
                {"volid": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "content": "vztmpl", "size": 120_000_000},
            ]),
            ("nfs", "iso") => {
                json!([{"volid": "nfs:iso/debian-12.iso", "content": "iso", "size": 600_000_000}])
            }
            _ => json!([]),
        };
        Ok(decode(volumes))
    }

    async fn network_interfaces(
        &self,
        _node: &NodeName,
        kind: Option<&str>,
    ) -> Result<Vec<NetworkInterface>, PveError> {
        self.call()?;
        assert_eq!(kind, Some("any_bridge"));
        Ok(decode(json!([
            {"iface": "vmbr1", "type": "bridge"},
            {"iface": "vmbr0", "type": "bridge"},
        ])))
    }
}

pub struct Connector(pub Arc<FakePve>);

#[async_trait]
impl PveConnector for Connector {
    async fn pve(&self, _: Uuid) -> crate::DomainResult<Arc<dyn Pve>> {
        Ok(self.0.clone())
    }
}
