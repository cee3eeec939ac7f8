//! `/api/v1/jobs`: the durable jobs behind every long operation. Everyone reads their
//! own; admins read all (and may filter by owner). The types are in
//! `proxicloud_types::api::jobs`, their conversions in `dto::jobs`.

use axum::Json;
use proxicloud_domain::jobs::{JobListQuery, JobService};
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::jobs::{JobDto, JobListParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::dto::jobs::job_status;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
}

/// List jobs, newest first: your own (admins: everyone's).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListParams),
    responses((status = 200, body = Paginated<JobDto>), (status = 422, body = ErrorResponse)))]
async fn list_jobs(
    auth: Auth,
    Domain(jobs): Domain<JobService>,
    ApiQuery(params): ApiQuery<JobListParams>,
) -> ApiResult<Json<Paginated<JobDto>>> {
    let query = JobListQuery {
        status: params.status.map(job_status),
        owner_id: params.owner,
    };
    let page = PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    };
    let jobs = jobs
        .list(&auth.principal, &query, page_request(&page))
        .await?;
    Ok(Json(paginated(jobs, IntoDto::into_dto)))
}

/// Get a job: its steps, progress and outcome.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobDto), (status = 404, body = ErrorResponse)))]
async fn get_job(
    auth: Auth,
    Domain(jobs): Domain<JobService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDto>> {
    Ok(Json(jobs.get(&auth.principal, id).await?.into_dto()))
}
