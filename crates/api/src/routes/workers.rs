//! `/api/v1/system/workers`: the background workers of the answering replica (admin
//! only). With several replicas, ask each one (e.g. through its own address): a
//! deployment worker shows `running` and `leader` on exactly one of them.

use axum::Json;
use axum::extract::State;
use proxicloud_types::api::workers::WorkerList;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workers))
}

/// Every background worker: its state, whether this replica leads it, its last run,
/// last error, next run and restarts.
#[utoipa::path(get, path = "/api/v1/system/workers", tag = "system",
    responses((status = 200, body = WorkerList), (status = 403, body = ErrorResponse)))]
async fn list_workers(auth: Auth, State(state): State<AppState>) -> ApiResult<Json<WorkerList>> {
    auth.principal.require_admin()?;
    let workers = state.services.worker_states();
    Ok(Json(WorkerList {
        items: workers.into_dto(),
    }))
}
