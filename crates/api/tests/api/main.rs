//! Integration tests of the HTTP API: one binary, one module per topic, each test
//! against its own server and database (`support::spawn_app`).

mod audit;
mod errors;
mod iam;
mod logs;
mod matrix;
mod sessions;
mod support;
mod tokens;
