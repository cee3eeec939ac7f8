//! Instance reads — `GET /api/v1/instances`, `GET /api/v1/instances/{id}` — answered
//! from the inventory mirror only, never by calling Proxmox. `X-Cache-Status` says
//! `HIT` when the data is current and `STALE` (with `stale_since` in the body) while
//! the cluster is unreachable.
//!
//! Someone else's instance is 404 for operators and readonly users, never 403.

use axum::response::Response;
use bytes::Bytes;
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_domain::inventory::{Freshness, IndexedGuest, InstanceView};
use proxicloud_types::api::instances::{InstanceDto, InstanceListDto, InstanceListParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::dto::instances::{instance_dto, list_query};
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use crate::respond::{json_body, page_json, with_cache_status};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_instances))
        .routes(routes!(get_instance))
}

/// List instances you may see (admins: all, including unmanaged ones).
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances", params(InstanceListParams),
    responses((status = 200, body = InstanceListDto,
        headers(("X-Cache-Status" = String, description = "`HIT`, or `STALE` while a cluster is unreachable")))))]
async fn list_instances(
    auth: Auth,
    Domain(instances): Domain<InstanceDirectory>,
    ApiQuery(params): ApiQuery<InstanceListParams>,
) -> ApiResult<Response> {
    let list = instances.list(&auth.principal, list_query(params)?).await?;
    let rows = list.items.iter().map(|guest| {
        let freshness = list
            .clusters
            .get(&guest.cluster_id)
            .copied()
            .unwrap_or(Freshness::Fresh);
        instance_json(guest, freshness)
    });
    let mut body = page_json(rows, list.next.as_ref());
    body.extend_from_slice(b",\"stale_since\":");
    serde_json::to_writer(&mut body, &list.freshness.stale_since())
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    body.push(b'}');
    Ok(with_cache_status(list.freshness, json_body(body.into())))
}

fn instance_response(view: InstanceView) -> Response {
    let body = instance_json(&view.guest, view.freshness);
    with_cache_status(view.freshness, json_body(body))
}

/// The [`InstanceDto`] JSON of `guest`. Serialised once per copy of the guest in the
/// mirror's index, with `stale_since` (its last field) `null`; a stale cluster's rows
/// get their `stale_since` written in place of that `null`.
fn instance_json(guest: &IndexedGuest, freshness: Freshness) -> Bytes {
    let fresh = guest.rendered(|g| {
        serde_json::to_vec(&instance_dto(g, Freshness::Fresh))
            .expect("an instance serialises")
            .into()
    });
    match freshness.stale_since() {
        None => fresh,
        Some(since) => {
            let head = fresh
                .strip_suffix(FRESH_TAIL)
                .expect("stale_since is the last field of InstanceDto");
            let mut out = Vec::with_capacity(fresh.len() + 32);
            out.extend_from_slice(head);
            out.extend_from_slice(b"\"stale_since\":");
            serde_json::to_writer(&mut out, &since).expect("a timestamp serialises");
            out.push(b'}');
            out.into()
        }
    }
}

const FRESH_TAIL: &[u8] = b"\"stale_since\":null}";

/// Get an instance.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "instances", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceDto,
        headers(("X-Cache-Status" = String, description = "`HIT`, or `STALE` while its cluster is unreachable"))),
        (status = 404, body = ErrorResponse)))]
async fn get_instance(
    auth: Auth,
    Domain(instances): Domain<InstanceDirectory>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(instance_response(instances.get(&auth.principal, id).await?))
}

#[cfg(test)]
mod tests {
    use proxicloud_domain::inventory::GuestIndex;
    use proxicloud_store::{Guest, GuestObservation, STATUS_CREATING, Timestamp};
    use proxicloud_types::{GuestType, VmId};

    use super::*;

    fn guest() -> Guest {
        Guest {
            id: Uuid::now_v7(),
            cluster_id: Uuid::now_v7(),
            observed: GuestObservation {
                vmid: VmId::new(123).unwrap(),
                node: "pve1".into(),
                kind: GuestType::Lxc,
                name: "quiet-otter-07".into(),
                status: STATUS_CREATING.into(),
                cpus: 2.0,
                maxmem: 1 << 30,
                mem: 0,
                maxdisk: 8 << 30,
                disk: 0,
                uptime: 0,
                template: false,
                lock: Some("create".into()),
                tags: Some("web;prod".into()),
                activity: Default::default(),
            },
            owner_id: Some(Uuid::now_v7()),
            managed: true,
            created_by_job: None,
            created_at: Timestamp::now(),
            seen_at: None,
            removed_at: None,
            addresses: None,
            addresses_at: None,
        }
    }

    /// The pre-rendered rows must be byte for byte what serialising the DTO gives,
    /// fresh or stale (the stale form is spliced into the cached fresh one).
    #[test]
    fn rendered_rows_are_the_serialised_dto() {
        let guest = guest();
        let index = GuestIndex::build(vec![guest.clone()]);
        let indexed = index.get(guest.id).unwrap();
        let stale = Freshness::Stale {
            since: Timestamp::now(),
        };
        for freshness in [Freshness::Fresh, stale, Freshness::Fresh] {
            let rendered = instance_json(indexed, freshness);
            let expected = serde_json::to_vec(&instance_dto(&guest, freshness)).unwrap();
            assert_eq!(
                String::from_utf8(rendered.to_vec()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
