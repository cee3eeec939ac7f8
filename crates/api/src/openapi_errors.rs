//! The error responses every operation can give because of *how* it is declared,
//! added to the document in one place instead of on each route: a route's utoipa
//! declaration names its path parameters, query, headers, body and security, and the
//! extractors behind those (see `extract.rs`, `auth`, `security.rs`) reject in known
//! ways. A route lists only the errors of its own logic (404, 409, 429, …); a status
//! it lists itself keeps its own description.
//!
//! Also: a body declared `Option<T>` (read with `JsonOrEmpty`) may be left out, but
//! it is never `null`: the document says "not required", not "nullable".
//!
//! To add a rule: give it a line in [`add_common_errors`], with the extractor it
//! comes from.

use axum::http::Method;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Response};

use crate::openapi::operations_mut;

/// The component every error response refers to.
const ERROR_SCHEMA: &str = "ErrorResponse";

pub fn add_common_errors(spec: &mut OpenApi) {
    for (method, _, operation) in operations_mut(spec) {
        let authenticated = operation
            .security
            .as_ref()
            .is_none_or(|requirements| requirements.iter().any(|r| *r != Default::default()));
        let has = |place: ParameterIn| {
            operation
                .parameters
                .iter()
                .flatten()
                .any(|parameter| match parameter {
                    RefOr::T(parameter) => parameter.parameter_in == place,
                    RefOr::Ref(_) => false,
                })
        };
        let (path, query, header) = (
            has(ParameterIn::Path),
            has(ParameterIn::Query),
            has(ParameterIn::Header),
        );
        let body = operation.request_body.is_some();
        let mut add = |status: u16, description: &str| add_error(operation, status, description);
        if authenticated {
            add(401, "Not authenticated (`unauthenticated`)");
            if method != Method::GET {
                // Cookie-authenticated writes need the CSRF header (`auth::cookies`).
                add(
                    403,
                    "Not allowed (`forbidden`), or a cookie write without `X-CSRF-Token` (`csrf_failed`)",
                );
            }
        }
        if path {
            add(400, "A malformed path parameter (`invalid_path_parameter`)");
        }
        if body {
            add(400, "Malformed JSON (`malformed_json`)");
            add(413, "The body is too large (`payload_too_large`)");
            add(
                415,
                "The body is not `application/json` (`unsupported_media_type`)",
            );
            add(422, "Invalid fields (`validation_failed`, with `fields`)");
        }
        if query || header {
            add(
                422,
                "Invalid parameters (`validation_failed`, with `fields`)",
            );
        }
        if body {
            optional_body_is_not_null(operation);
        }
    }
}

fn add_error(operation: &mut Operation, status: u16, description: &str) {
    let responses = &mut operation.responses.responses;
    let key = status.to_string();
    if let Some(RefOr::T(existing)) = responses.get_mut(&key) {
        // Listed by the route with its own meaning: keep it, and make sure it says
        // its body is the error shape.
        if existing.content.is_empty() {
            existing
                .content
                .insert("application/json".to_owned(), error_content());
        }
        return;
    }
    let mut response = Response::new(description);
    response
        .content
        .insert("application/json".to_owned(), error_content());
    responses.insert(key, RefOr::T(response));
}

fn error_content() -> RefOr<Content> {
    RefOr::T(Content::new(Some(Ref::from_schema_name(ERROR_SCHEMA))))
}

/// `request_body(content = Option<T>)` comes out as `oneOf: [T, null]`; the body may be
/// absent (`required: false`), but `null` is not an object and is refused.
fn optional_body_is_not_null(operation: &mut Operation) {
    let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
        return;
    };
    let mut optional = false;
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
            continue;
        };
        let not_null: Vec<&RefOr<Schema>> =
            one_of.items.iter().filter(|item| !is_null(item)).collect();
        if not_null.len() + 1 == one_of.items.len() && not_null.len() == 1 {
            content.schema = Some(not_null[0].clone());
            optional = true;
        }
    }
    if optional {
        body.required = Some(Required::False);
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    serde_json::to_value(schema).is_ok_and(|value| value == serde_json::json!({ "type": "null" }))
}
