//! LXC containers and QEMU VMs: `/nodes/{node}/lxc/…` and `/nodes/{node}/qemu/…`.
//!
//! Both families share most handlers; a handler reads the family from the matched
//! schema template (`common::kind_of`) and uses PVE's per-family wording, task types
//! and check placement.

mod addresses;
mod clone;
pub(crate) mod common;
mod config;
mod config_disks;
mod console;
mod destroy;
mod hotplug;
pub(crate) mod listing;
pub(crate) mod lxc_create;
mod migrate;
mod move_disk;
mod power;
mod power_effects;
pub(crate) mod propstr;
mod provision;
mod qemu_create;
mod resize;
mod restore;
mod snapshots;
mod template;
pub(crate) mod volume_ops;
pub(crate) mod volumes;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use crate::api::{Method, Route, route};

/// A route both families have: the same handler under `/lxc` and `/qemu`.
macro_rules! both {
    ($method:expr, $suffix:literal, $handler:expr) => {
        [
            route($method, concat!("/nodes/{node}/lxc", $suffix), $handler),
            route($method, concat!("/nodes/{node}/qemu", $suffix), $handler),
        ]
    };
}

pub fn routes() -> Vec<Route> {
    use Method::{Delete, Get, Post, Put};
    let shared = [
        both!(Get, "", listing::list),
        both!(Get, "/{vmid}", listing::guest_index),
        both!(Delete, "/{vmid}", destroy::destroy),
        both!(Get, "/{vmid}/config", config::get),
        both!(Put, "/{vmid}/config", config::put),
        both!(Get, "/{vmid}/pending", config::pending),
        both!(Get, "/{vmid}/status", listing::status_index),
        both!(Get, "/{vmid}/status/current", listing::current),
        both!(Post, "/{vmid}/status/start", power::start),
        both!(Post, "/{vmid}/status/stop", power::stop),
        both!(Post, "/{vmid}/status/shutdown", power::shutdown),
        both!(Post, "/{vmid}/status/reboot", power::reboot),
        both!(Post, "/{vmid}/status/suspend", power::suspend),
        both!(Post, "/{vmid}/status/resume", power::resume),
        both!(Get, "/{vmid}/snapshot", snapshots::list),
        both!(Post, "/{vmid}/snapshot", snapshots::create),
        both!(Get, "/{vmid}/snapshot/{snapname}", snapshots::command_index),
        both!(Delete, "/{vmid}/snapshot/{snapname}", snapshots::delete),
        both!(
            Post,
            "/{vmid}/snapshot/{snapname}/rollback",
            snapshots::rollback
        ),
        both!(
            Get,
            "/{vmid}/snapshot/{snapname}/config",
            snapshots::get_config
        ),
        both!(
            Put,
            "/{vmid}/snapshot/{snapname}/config",
            snapshots::update_config
        ),
        both!(Post, "/{vmid}/clone", clone::clone),
        both!(Post, "/{vmid}/template", template::template),
        both!(Post, "/{vmid}/migrate", migrate::migrate),
        both!(Put, "/{vmid}/resize", resize::resize),
        both!(Post, "/{vmid}/vncproxy", console::vncproxy),
        both!(Post, "/{vmid}/termproxy", console::termproxy),
        both!(Get, "/{vmid}/vncwebsocket", console::vncwebsocket),
    ];
    let single = [
        route(Post, "/nodes/{node}/lxc", lxc_create::create),
        route(Post, "/nodes/{node}/qemu", qemu_create::create),
        route(Post, "/nodes/{node}/qemu/{vmid}/config", config::post),
        route(Post, "/nodes/{node}/qemu/{vmid}/status/reset", power::reset),
        route(
            Get,
            "/nodes/{node}/lxc/{vmid}/interfaces",
            addresses::lxc_interfaces,
        ),
        route(
            Get,
            "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
            addresses::qemu_network_interfaces,
        ),
        route(
            Post,
            "/nodes/{node}/lxc/{vmid}/move_volume",
            move_disk::move_disk,
        ),
        route(
            Post,
            "/nodes/{node}/qemu/{vmid}/move_disk",
            move_disk::move_disk,
        ),
    ];
    shared.into_iter().flatten().chain(single).collect()
}
