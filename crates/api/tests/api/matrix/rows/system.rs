//! Health, readiness and the API's own documentation: public.

use super::common::*;

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/healthz", Nothing, no_body, PUBLIC),
        row("GET", "/readyz", Nothing, no_body, PUBLIC),
        row("GET", "/api/v1/openapi.json", Nothing, no_body, PUBLIC),
        row("GET", "/api/docs", Nothing, no_body, PUBLIC),
    ]
}
