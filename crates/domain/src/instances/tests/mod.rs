//! Instance services and jobs against a fake Proxmox VE.

mod addresses;
mod create;
mod dry_run;
mod lifecycle;
mod root_password;
mod validation;
pub(crate) mod world;
