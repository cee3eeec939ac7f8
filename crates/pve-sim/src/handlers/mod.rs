//! PVE endpoints, one module per API area. Each module exposes `routes()`; the
//! dispatcher looks a request's (method, schema template) up in their union.

pub mod access;
pub mod firewall;
pub mod metrics;
pub mod network;
pub mod sdn;

use std::collections::HashMap;

use crate::api::{Handler, Method, Route};

/// Every implemented endpoint, keyed by method and schema template.
pub fn route_table() -> HashMap<(Method, &'static str), Handler> {
    let groups: [Vec<Route>; 5] = [
        access::routes(),
        firewall::routes(),
        metrics::routes(),
        network::routes(),
        sdn::routes(),
    ];
    groups
        .into_iter()
        .flatten()
        .map(|r| ((r.method, r.template), r.handler))
        .collect()
}
