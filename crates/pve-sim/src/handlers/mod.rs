//! PVE endpoints, one module per API area. Each module exposes `routes()`; the
//! dispatcher looks a request's (method, schema template) up in their union.

pub mod access;
pub mod aplinfo;
pub mod cluster;
pub mod firewall;
pub mod guests;
pub mod metrics;
pub mod network;
pub mod nodes;
pub mod sdn;
pub mod storage;
pub mod tasks;
pub mod vzdump;

use std::collections::HashMap;

use crate::api::{Handler, Method, Route};

/// Every implemented endpoint, keyed by method and schema template.
pub fn route_table() -> HashMap<(Method, &'static str), Handler> {
    let groups: [Vec<Route>; 12] = [
        access::routes(),
        aplinfo::routes(),
        cluster::routes(),
        firewall::routes(),
        guests::routes(),
        metrics::routes(),
        network::routes(),
        nodes::routes(),
        sdn::routes(),
        storage::routes(),
        tasks::routes(),
        vzdump::routes(),
    ];
    groups
        .into_iter()
        .flatten()
        .map(|r| ((r.method, r.template), r.handler))
        .collect()
}
