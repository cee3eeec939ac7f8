//! `serve --demo`: a simulated Proxmox VE cluster for ProxiCloud to manage, so a
//! newcomer sees a living console with one command. Its state is kept in the data
//! directory, so guests created in the demo survive a restart.

use std::path::Path;

use anyhow::Context;
use proxicloud_domain::clusters::{AuthInput, ClusterInput, ClusterService};
use proxicloud_domain::secrets::MasterKey;
use proxicloud_pve_sim::{RunningSim, SimConfig};
use secrecy::SecretString;

pub const DEMO_TOKEN_ID: &str = "root@pam!proxicloud";
pub const DEMO_CLUSTER_NAME: &str = "demo";

pub struct DemoCluster {
    pub sim: RunningSim,
    pub token_id: String,
    /// Derived from the master key: stable across restarts, never written anywhere.
    pub token_secret: String,
}

pub async fn start(data_dir: &Path, master_key: &MasterKey) -> anyhow::Result<DemoCluster> {
    let dir = data_dir.join("demo");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let token_secret = hex_uuid(&master_key.derive("demo-simulator-token"));
    let config = SimConfig {
        listen: "127.0.0.1:0".parse().expect("static address"),
        nodes: 3,
        guests: 36,
        tokens: vec![(DEMO_TOKEN_ID.to_string(), token_secret.clone())],
        // Fast enough to feel responsive, slow enough to watch progress bars move.
        time_scale: 0.2,
        state_file: Some(dir.join("pve-sim.json")),
        // The schema is a development file: a user's demo normally runs without it.
        warn_without_schema: false,
        ..SimConfig::default()
    };
    let sim = proxicloud_pve_sim::start(config)
        .await
        .context("starting the demo Proxmox VE simulator")?;
    Ok(DemoCluster {
        sim,
        token_id: DEMO_TOKEN_ID.to_string(),
        token_secret,
    })
}

impl DemoCluster {
    /// Registers (or, after a restart, updates: new port, new certificate) the
    /// simulator as the cluster named `demo`, pinned to its certificate.
    pub async fn register(&self, clusters: &ClusterService) -> anyhow::Result<()> {
        let input = ClusterInput {
            name: DEMO_CLUSTER_NAME.to_string(),
            addresses: vec![self.sim.base_url.clone()],
            auth: AuthInput::ApiToken {
                token_id: self.token_id.clone(),
                secret: Some(SecretString::from(self.token_secret.clone())),
            },
            tls_fingerprint: self.sim.fingerprint.clone(),
            ca_pem: None,
            verify_tls: true,
        };
        clusters
            .register(input)
            .await
            .context("registering the demo cluster")?;
        Ok(())
    }
}

/// PVE token secrets are UUIDs; shape the derived bytes like one.
fn hex_uuid(bytes: &[u8; 32]) -> String {
    let h = hex::encode(&bytes[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
