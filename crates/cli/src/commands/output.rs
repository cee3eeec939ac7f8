//! How results are printed: human tables (comfy-table) by default, `--output json`
//! for scripts (the API's own JSON, one document per command).

use clap::{Args, ValueEnum};
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use proxicloud_types::api::instances::InstanceDto;
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::keypairs::KeyPairDto;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Args, Debug, Clone, Copy)]
pub struct OutputArgs {
    /// `table` for people, `json` for scripts.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints one line on stdout. A reader that went away (`proxicloud instances list |
/// head -3`) ends the program quietly, as a Unix tool stopped by SIGPIPE would:
/// Rust ignores SIGPIPE, so `println!` would panic on the failed write instead.
pub fn line(text: impl std::fmt::Display) {
    use std::io::Write;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{text}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {error}");
        std::process::exit(1);
    }
}

pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

fn gib(bytes: u64) -> String {
    format!("{} GiB", bytes / (1024 * 1024 * 1024))
}

pub fn instances(items: &[InstanceDto]) {
    let mut table = table(&[
        "ID",
        "NAME",
        "TYPE",
        "STATUS",
        "NODE",
        "VMID",
        "CPUS",
        "MEMORY",
        "ADDRESSES",
    ]);
    for i in items {
        table.add_row(vec![
            i.id.to_string(),
            i.name.clone(),
            i.kind.as_str().to_owned(),
            i.status.clone(),
            i.node.clone(),
            i.vmid.to_string(),
            i.cpus.to_string(),
            mib(i.memory_bytes),
            i.addresses.join(", "),
        ]);
    }
    line(table);
}

pub fn instance(i: &InstanceDto) {
    let mut table = table(&["FIELD", "VALUE"]);
    let rows = [
        ("id", i.id.to_string()),
        ("name", i.name.clone()),
        ("type", i.kind.as_str().to_owned()),
        ("status", i.status.clone()),
        ("cluster", i.cluster_id.to_string()),
        ("node", i.node.clone()),
        ("vmid", i.vmid.to_string()),
        ("cpus", i.cpus.to_string()),
        ("memory", mib(i.memory_bytes)),
        ("disk", gib(i.disk_bytes)),
        ("addresses", i.addresses.join(", ")),
        ("tags", i.tags.join(", ")),
        (
            "owner",
            i.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        ),
        ("created", i.created_at.to_string()),
        (
            "stale since",
            i.stale_since.map(|t| t.to_string()).unwrap_or_default(),
        ),
    ];
    for (field, value) in rows {
        table.add_row(vec![field.to_owned(), value]);
    }
    line(table);
}

pub fn jobs(items: &[JobDto]) {
    let mut table = table(&["ID", "KIND", "STATUS", "PROGRESS", "RESOURCE", "CREATED"]);
    for j in items {
        table.add_row(vec![
            j.id.to_string(),
            j.kind.clone(),
            j.status.as_str().to_owned(),
            format!("{}%", j.progress),
            j.resource_id.clone().unwrap_or_default(),
            j.created_at.to_string(),
        ]);
    }
    line(table);
}

/// A job as text: its outcome and its steps.
pub fn job(j: &JobDto) {
    line(format_args!(
        "job {} ({}): {} {}%",
        j.id,
        j.kind,
        j.status.as_str(),
        j.progress
    ));
    if let Some(resource) = &j.resource_id {
        line(format_args!(
            "resource: {} {resource}",
            j.resource_kind.as_deref().unwrap_or("")
        ));
    }
    if let Some(error) = &j.error {
        line(format_args!("error: {error}"));
    }
    let mut table = table(&["STEP", "STATUS", "DETAIL"]);
    for step in &j.steps {
        table.add_row(vec![
            step.name.clone(),
            step.status.as_str().to_owned(),
            step.detail.clone().unwrap_or_default(),
        ]);
    }
    line(table);
}

pub fn key_pairs(items: &[KeyPairDto]) {
    let mut table = table(&["ID", "NAME", "TYPE", "FINGERPRINT", "CREATED"]);
    for pair in items {
        table.add_row(vec![
            pair.id.to_string(),
            pair.name.clone(),
            pair.key_type.clone(),
            pair.fingerprint.clone(),
            pair.created_at.to_string(),
        ]);
    }
    line(table);
}
