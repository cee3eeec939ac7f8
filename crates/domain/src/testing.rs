//! Support shared by the domain's unit tests.
//!
//! Proxmox VE in a test is `proxicloud_pve::fake::FakePve` (see its module header for
//! how to script it); [`FakeConnector`] hands it to the services that reach a cluster
//! through a `PveConnector`.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::Pve;
use proxicloud_pve::fake::FakePve;
use proxicloud_store::Uuid;

use crate::clusters::PveConnector;
use crate::error::DomainResult;

/// Every cluster reaches the same fake (the tests have one cluster each; a test that
/// needs two would map cluster ids to fakes here).
pub(crate) struct FakeConnector(pub Arc<FakePve>);

#[async_trait]
impl PveConnector for FakeConnector {
    async fn pve(&self, _cluster_id: Uuid) -> DomainResult<Arc<dyn Pve>> {
        Ok(self.0.clone())
    }
}
