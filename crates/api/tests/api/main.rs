//! Integration tests of the HTTP API: one binary, one module per topic, each test
//! against its own server and database (`support::spawn_app`).

mod audit;
mod audit_names;
mod client;
mod clusters;
mod errors;
mod events;
mod hardening;
mod iam;
mod images;
mod images_create;
mod images_upload;
mod instance_addresses;
mod instance_detail;
mod instance_snapshots;
mod instances_read;
mod instances_vm;
mod instances_write;
mod job_controls;
mod job_support;
mod jobs;
mod keypairs;
mod launch_options;
mod logs;
mod matrix;
mod metrics;
mod metrics_collect;
mod root_password;
mod sessions;
mod settings;
mod sim_support;
mod support;
mod tokens;
mod volume_busy;
mod volumes;
mod workers;
