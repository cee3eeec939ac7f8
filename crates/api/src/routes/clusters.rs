//! `/api/v1/clusters`: the Proxmox VE clusters ProxiCloud manages (admin only).
//! Secrets go in and never come out: responses say `secret_set`.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::clusters::ClusterService;
use proxicloud_types::api::clusters::{ClusterDto, ClusterRequest, ConnectionTestDto};
use proxicloud_types::api::common::{ConfirmDeletion, Paginated};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::dto::clusters::cluster_input;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, JsonOrEmpty};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters, create_cluster))
        .routes(routes!(get_cluster, update_cluster, delete_cluster))
        .routes(routes!(test_cluster))
        .routes(routes!(test_unsaved_cluster))
}

fn cluster_resource(id: Uuid) -> String {
    format!("clusters/{id}")
}

/// List clusters with their health.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters",
    responses((status = 200, body = Paginated<ClusterDto>), (status = 403, body = ErrorResponse)))]
async fn list_clusters(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
) -> ApiResult<Json<Paginated<ClusterDto>>> {
    let clusters = clusters.list(&auth.principal).await?;
    Ok(Json(Paginated::all(clusters.into_dto())))
}

/// Register a cluster. Its inventory is mirrored from the next poll on.
#[utoipa::path(post, path = "/api/v1/clusters", tag = "clusters", request_body = ClusterRequest,
    responses((status = 201, body = ClusterDto), (status = 409, body = ErrorResponse)))]
async fn create_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<ClusterRequest>,
) -> ApiResult<(StatusCode, Json<ClusterDto>)> {
    let created = clusters
        .create(&auth.principal, cluster_input(request))
        .await?;
    trail.resource(cluster_resource(created.id));
    Ok((StatusCode::CREATED, Json(created.into_dto())))
}

/// Get a cluster.
#[utoipa::path(get, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = Uuid, Path)),
    responses((status = 200, body = ClusterDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn get_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ClusterDto>> {
    Ok(Json(clusters.get(&auth.principal, id).await?.into_dto()))
}

/// Replace a cluster's configuration (leave the secret out to keep it).
#[utoipa::path(put, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = Uuid, Path)),
    request_body = ClusterRequest,
    responses((status = 200, body = ClusterDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse)))]
async fn update_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ClusterRequest>,
) -> ApiResult<Json<ClusterDto>> {
    Ok(Json(
        clusters
            .update(&auth.principal, id, cluster_input(request))
            .await?
            .into_dto(),
    ))
}

/// Forget a cluster and its mirrored inventory; `confirm` repeats its name. Proxmox
/// itself is not touched; jobs and the audit log keep their history.
#[utoipa::path(delete, path = "/api/v1/clusters/{id}", tag = "clusters",
    params(("id" = Uuid, Path), ConfirmDeletion), request_body(content = Option<ConfirmDeletion>),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
async fn delete_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ConfirmDeletion>,
    JsonOrEmpty(body): JsonOrEmpty<ConfirmDeletion>,
) -> ApiResult<StatusCode> {
    let confirm = body.confirm.or(query.confirm);
    clusters
        .delete(&auth.principal, id, confirm.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test connection settings before saving them (nothing is stored): the same answer
/// as testing a saved cluster. A failed test is a `200` saying why; saving anyway is
/// allowed.
#[utoipa::path(post, path = "/api/v1/clusters/test", tag = "clusters", request_body = ClusterRequest,
    responses((status = 200, body = ConnectionTestDto)))]
async fn test_unsaved_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<ClusterRequest>,
) -> ApiResult<Json<ConnectionTestDto>> {
    trail.detail("name", request.name.clone());
    let outcome = clusters
        .test_unsaved(&auth.principal, cluster_input(request))
        .await?
        .into_dto();
    connection_in_trail(&trail, &outcome);
    Ok(Json(outcome))
}

/// How a connection test went, in the request's audit entry: `ok` or the error's category.
fn connection_in_trail(trail: &AuditTrail, outcome: &ConnectionTestDto) {
    let result = outcome.error.as_ref().map_or("ok", |e| e.category.as_str());
    trail.detail("connection", result.to_owned());
}

/// Test the stored connection settings against the cluster now.
#[utoipa::path(post, path = "/api/v1/clusters/{id}/test", tag = "clusters", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConnectionTestDto), (status = 404, body = ErrorResponse)))]
async fn test_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ConnectionTestDto>> {
    let outcome = clusters.test(&auth.principal, id).await?.into_dto();
    connection_in_trail(&trail, &outcome);
    Ok(Json(outcome))
}
