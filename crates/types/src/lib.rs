//! Types shared by every ProxiCloud crate: identifiers that are parsed once and
//! then trusted. No I/O lives here.

mod ids;

pub use ids::{GuestType, InvalidId, NodeName, VmId};
