//! `proxicloud admin …`: maintenance tasks run directly against the database.

use anyhow::Context;
use clap::{Args, Subcommand};
use proxicloud_domain::audit::{AuditService, ChainVerification};
use proxicloud_domain::secrets::MasterKey;

use crate::serve::ConfigArgs;

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Check the audit log's hash chain: exits non-zero if any entry was edited,
    /// deleted or reordered.
    VerifyAudit,
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let (config, warnings) = args.config.load()?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    match args.command {
        AdminCommand::VerifyAudit => {
            // Never create a key here: a missing key means the wrong data directory.
            let key_path = config.master_key_path();
            anyhow::ensure!(
                key_path.exists(),
                "master key {} not found: is --data-dir right?",
                key_path.display()
            );
            let master_key = MasterKey::load_or_create(&key_path)?;
            let store = proxicloud_store::connect(&config.database_url())
                .await
                .context("opening the database")?;
            let verification = AuditService::new(store.clone(), &master_key).verify().await;
            store.close().await;
            match verification? {
                ChainVerification::Intact { entries } => {
                    println!("audit log intact: {entries} entries verified");
                    Ok(())
                }
                ChainVerification::Broken(broken) => anyhow::bail!("{broken}"),
            }
        }
    }
}
