//! Health, readiness and the API description.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use proxicloud_types::api::system::{HealthResponse, ReadinessResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::workers::summary;
use crate::error::{ApiError, ErrorResponse};
use crate::openapi::ApiDescription;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(liveness))
        .routes(routes!(readiness))
        .routes(routes!(openapi_document))
        .routes(routes!(api_reference))
}

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, body = HealthResponse)))]
async fn liveness() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// Readiness: every dependency (the database, …) answers. 200 also lists the background
/// workers and their states; 503 names the failing dependencies in `fields`.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, body = ReadinessResponse), (status = 503, body = ErrorResponse)))]
async fn readiness(State(state): State<AppState>) -> Response {
    let mut failing = proxicloud_domain::FieldErrors::new();
    for check in state.services.readiness() {
        if let Err(reason) = check.check().await {
            tracing::warn!(check = check.name(), %reason, "readiness check failed");
            failing.insert(check.name().to_owned(), "unavailable".to_owned());
        }
    }
    if failing.is_empty() {
        let workers = state
            .services
            .worker_states()
            .into_iter()
            .map(summary)
            .collect();
        return Json(ReadinessResponse {
            status: "ready".to_owned(),
            workers,
        })
        .into_response();
    }
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_ready",
        "a dependency is unavailable",
    )
    .with_fields(failing)
    .into_response()
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", security(()),
    responses((status = 200, content_type = "application/json", body = Object)))]
async fn openapi_document(Extension(description): Extension<Arc<ApiDescription>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        description.json.clone(),
    )
        .into_response()
}

/// A readable reference of every operation (HTML, no external assets).
#[utoipa::path(get, path = "/api/docs", tag = "system", security(()),
    responses((status = 200, content_type = "text/html", body = String)))]
async fn api_reference(Extension(description): Extension<Arc<ApiDescription>>) -> Html<String> {
    Html(description.html.clone())
}
