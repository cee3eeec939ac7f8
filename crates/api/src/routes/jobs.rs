//! `/api/v1/jobs`: the durable jobs behind every long operation. Everyone reads their
//! own; admins read all (and may filter by owner); system jobs are for admins (and for
//! whoever may see the instance one acts on). Lists show top-level jobs (`?parent_id=`
//! lists one job's children); a job's `GET` nests its whole tree. Owners and admins
//! may cancel. The types are in
//! `proxicloud_types::api::jobs`, their conversions in `dto::jobs`.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::jobs::{JobListQuery, JobQueue, JobService};
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
        .routes(routes!(cancel_job))
}

/// List jobs, newest first: your own (admins: everyone's), top-level only unless
/// `parent_id` asks for one job's children.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListParams),
    responses((status = 200, body = Paginated<JobDto>), (status = 404, body = ErrorResponse,
        description = "`parent_id` names no job you may see")))]
async fn list_jobs(
    auth: Auth,
    Domain(jobs): Domain<JobService>,
    ApiQuery(params): ApiQuery<JobListParams>,
) -> ApiResult<Json<Paginated<JobDto>>> {
    let query = JobListQuery {
        status: params.status.map(job_status),
        owner_id: params.owner,
        parent_id: params.parent_id,
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

/// Get a job: its steps, progress and outcome, and its child jobs (nested).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobDto), (status = 404, body = ErrorResponse)))]
async fn get_job(
    auth: Auth,
    Domain(jobs): Domain<JobService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDto>> {
    Ok(Json(jobs.get(&auth.principal, id).await?.into_dto()))
}

/// Cancel a job and its unfinished children. One that has not started is `cancelled`
/// at once; a started one gets `cancel_requested_at`, stops at its next step
/// boundary, undoes what it did and ends `cancelled` (its `error` says who cancelled
/// it); a parent ends after its children. Follow it with `GET /api/v1/jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto, description = "Cancelled, or cancellation requested: \
        the job as it is now (`cancelled`, or still `running`/`queued`/`waiting` with \
        `cancel_requested_at` set)"),
        (status = 403, body = ErrorResponse, description = "Readonly callers, and operators on a \
            system job they may only see"),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "`job_finished`: it has already ended")))]
async fn cancel_job(
    auth: Auth,
    Domain(queue): Domain<JobQueue>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<JobDto>)> {
    let job = queue.cancel(&auth.principal, id).await?;
    Ok((StatusCode::ACCEPTED, Json(job.into_dto())))
}
