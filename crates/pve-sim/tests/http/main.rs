//! The simulator over real HTTPS, as clients see it: envelopes and errors, auth,
//! schema enforcement, fault injection, persistence, scale, and the endpoints this
//! crate's core serves (cluster, nodes, storage, aplinfo, tasks).

mod auth;
mod common;
mod content;
mod endpoints;
mod errors;
mod faults;
mod persistence;
mod recording;
mod scale;
mod upload;
