//! Behaviour tests of the guest endpoints, driven through the handlers the way the
//! HTTP layer calls them, over the small cluster of `testutil`.

mod addresses;
mod backup;
mod backup_protection;
mod clone_migrate;
mod config;
mod console;
mod create;
mod destroy;
mod disks;
mod hotplug;
mod lifecycle;
mod mount_points;
mod snapshots;
