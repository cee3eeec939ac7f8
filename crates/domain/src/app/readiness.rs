//! What `/readyz` checks: each feature may register a dependency it needs.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_store::Store;

/// One dependency `/readyz` checks. Errors are logged, not shown: the response only
/// names the failing check.
#[async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// Short, stable name shown in the response (`database`, `clusters`).
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<(), String>;
}

/// The database answers a trivial query.
pub struct DatabaseReady(pub Arc<dyn Store>);

#[async_trait]
impl ReadinessCheck for DatabaseReady {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}
