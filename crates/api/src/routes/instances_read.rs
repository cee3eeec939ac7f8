//! Instance reads — `GET /api/v1/instances`, `GET /api/v1/instances/{id}` — answered
//! from the inventory mirror only, never by calling Proxmox. `X-Cache-Status` says
//! `HIT` when the data is current and `STALE` (with `stale_since` in the body) while
//! the cluster is unreachable.
//!
//! Someone else's instance is 404 for operators and readonly users, never 403.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use proxicloud_domain::FieldErrors;
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_domain::inventory::{
    Freshness, IndexedGuest, InstanceListQuery, InstanceView, OwnerSelector,
};
use proxicloud_store::{Cursor, Guest, GuestSort, Timestamp};
use proxicloud_types::GuestType;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use proxicloud_types::api::common::DEFAULT_PAGE_LIMIT;

use crate::respond::with_cache_status;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_instances))
        .routes(routes!(get_instance))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InstanceType {
    /// An LXC container.
    Lxc,
    /// A QEMU virtual machine.
    Vm,
}

impl From<GuestType> for InstanceType {
    fn from(kind: GuestType) -> Self {
        match kind {
            GuestType::Lxc => InstanceType::Lxc,
            GuestType::Qemu => InstanceType::Vm,
        }
    }
}

impl From<InstanceType> for GuestType {
    fn from(kind: InstanceType) -> Self {
        match kind {
            InstanceType::Lxc => GuestType::Lxc,
            InstanceType::Vm => GuestType::Qemu,
        }
    }
}

/// An LXC container or VM as last mirrored from Proxmox, with its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceDto {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub vmid: u32,
    pub node: String,
    #[serde(rename = "type")]
    pub kind: InstanceType,
    pub name: String,
    /// As Proxmox says: `running`, `stopped`, `paused`, … (`creating` while a create
    /// job has not seen it on Proxmox yet; `unknown` while its node is unreachable).
    pub status: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
    pub disk_bytes: u64,
    pub disk_used_bytes: u64,
    pub uptime_secs: u64,
    pub template: bool,
    /// Proxmox's lock (`backup`, `migrate`, …), if any.
    pub lock: Option<String>,
    pub tags: Vec<String>,
    /// `null`: unmanaged (found on Proxmox, visible to admins only).
    pub owner_id: Option<Uuid>,
    /// Created through ProxiCloud.
    pub managed: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When Proxmox last reported it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub seen_at: Option<Timestamp>,
    /// The IP addresses the guest last reported (`10.0.0.5`, `2001:db8::5`), loopback
    /// and link-local ones left out; empty while unknown. Learned when a job starts or
    /// reboots it and when its configuration is opened.
    pub addresses: Vec<String>,
    // Must stay the last field: the list endpoint splices it into pre-rendered rows.
    /// Set while its cluster is unreachable: the data is as of before this time.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stale_since: Option<Timestamp>,
}

impl InstanceDto {
    pub fn new(guest: &Guest, freshness: Freshness) -> Self {
        let observed = &guest.observed;
        Self {
            id: guest.id,
            cluster_id: guest.cluster_id,
            vmid: observed.vmid.get(),
            node: observed.node.clone(),
            kind: observed.kind.into(),
            name: observed.name.clone(),
            status: observed.status.clone(),
            cpus: observed.cpus,
            memory_bytes: observed.maxmem,
            memory_used_bytes: observed.mem,
            disk_bytes: observed.maxdisk,
            disk_used_bytes: observed.disk,
            uptime_secs: observed.uptime,
            template: observed.template,
            lock: observed.lock.clone(),
            tags: observed
                .tags
                .as_deref()
                .map(|t| {
                    t.split([';', ','])
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            owner_id: guest.owner_id,
            managed: guest.managed,
            created_at: guest.created_at,
            seen_at: guest.seen_at,
            addresses: guest.addresses.clone().unwrap_or_default(),
            stale_since: freshness.stale_since(),
        }
    }
}

/// A page of instances; pass `next_cursor` back as `cursor` for the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceListDto {
    pub items: Vec<InstanceDto>,
    pub next_cursor: Option<String>,
    /// Set when any listed instance's cluster is unreachable: the earliest outage.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stale_since: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum InstanceSort {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "-status")]
    StatusDesc,
    #[serde(rename = "node")]
    Node,
    #[serde(rename = "-node")]
    NodeDesc,
    #[serde(rename = "vmid")]
    VmId,
    #[serde(rename = "-vmid")]
    VmIdDesc,
}

impl InstanceSort {
    fn key_and_direction(self) -> (GuestSort, bool) {
        use InstanceSort as S;
        match self {
            S::Name => (GuestSort::Name, false),
            S::NameDesc => (GuestSort::Name, true),
            S::Created => (GuestSort::Created, false),
            S::CreatedDesc => (GuestSort::Created, true),
            S::Status => (GuestSort::Status, false),
            S::StatusDesc => (GuestSort::Status, true),
            S::Node => (GuestSort::Node, false),
            S::NodeDesc => (GuestSort::Node, true),
            S::VmId => (GuestSort::VmId, false),
            S::VmIdDesc => (GuestSort::VmId, true),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstanceListParams {
    /// `running`, `stopped`, …
    pub status: Option<String>,
    #[serde(rename = "type")]
    #[param(value_type = Option<InstanceType>)]
    pub kind: Option<InstanceType>,
    pub cluster: Option<Uuid>,
    pub node: Option<String>,
    /// A user id, or `none` for unmanaged instances (admins).
    pub owner: Option<String>,
    /// Part of the name, case-insensitive.
    pub q: Option<String>,
    /// `name` (default), `created`, `status`, `node` or `vmid`; `-` first for descending.
    #[param(value_type = Option<String>)]
    pub sort: Option<InstanceSort>,
    /// 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (same filters and sort).
    pub cursor: Option<String>,
}

impl InstanceListParams {
    fn into_query(self) -> Result<InstanceListQuery, ApiError> {
        let owner = match self.owner.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("none") => Some(OwnerSelector::Unowned),
            Some(text) => Some(OwnerSelector::User(text.parse().map_err(|_| {
                ApiError::validation(FieldErrors::from([(
                    "owner".to_owned(),
                    "must be a user id or `none`".to_owned(),
                )]))
            })?)),
        };
        let (sort, descending) = self.sort.unwrap_or(InstanceSort::Name).key_and_direction();
        Ok(InstanceListQuery {
            status: self.status.filter(|s| !s.is_empty()),
            kind: self.kind.map(GuestType::from),
            cluster_id: self.cluster,
            node: self.node.filter(|n| !n.is_empty()),
            owner,
            name_contains: self.q,
            sort,
            descending,
            cursor: self.cursor.map(Cursor::new),
            limit: self.limit.unwrap_or(DEFAULT_PAGE_LIMIT),
        })
    }
}

/// List instances you may see (admins: all, including unmanaged ones).
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances", params(InstanceListParams),
    responses((status = 200, body = InstanceListDto,
        headers(("X-Cache-Status" = String, description = "`HIT`, or `STALE` while a cluster is unreachable"))),
        (status = 422, body = ErrorResponse)))]
async fn list_instances(
    auth: Auth,
    Domain(instances): Domain<InstanceDirectory>,
    ApiQuery(params): ApiQuery<InstanceListParams>,
) -> ApiResult<Response> {
    let list = instances
        .list(&auth.principal, params.into_query()?)
        .await?;
    let mut body = Vec::with_capacity(64 + list.items.len() * 512);
    body.extend_from_slice(b"{\"items\":[");
    for (n, guest) in list.items.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        let freshness = list
            .clusters
            .get(&guest.cluster_id)
            .copied()
            .unwrap_or(Freshness::Fresh);
        write_instance_json(&mut body, guest, freshness);
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut body, &list.next.as_ref().map(Cursor::as_str))
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    body.extend_from_slice(b",\"stale_since\":");
    serde_json::to_writer(&mut body, &list.freshness.stale_since())
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    body.push(b'}');
    Ok(with_cache_status(list.freshness, json_body(body.into())))
}

fn instance_response(view: InstanceView) -> Response {
    let mut body = Vec::new();
    write_instance_json(&mut body, &view.guest, view.freshness);
    with_cache_status(view.freshness, json_body(body.into()))
}

fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Appends the [`InstanceDto`] JSON of `guest`. Serialised once per copy of the guest
/// in the mirror's index, with `stale_since` (its last field) `null`; a stale
/// cluster's rows get their `stale_since` written in place of that `null`.
fn write_instance_json(out: &mut Vec<u8>, guest: &IndexedGuest, freshness: Freshness) {
    let fresh = guest.rendered(|g| {
        serde_json::to_vec(&InstanceDto::new(g, Freshness::Fresh))
            .expect("an instance serialises")
            .into()
    });
    match freshness.stale_since() {
        None => out.extend_from_slice(&fresh),
        Some(since) => {
            let head = fresh
                .strip_suffix(FRESH_TAIL)
                .expect("stale_since is the last field of InstanceDto");
            out.extend_from_slice(head);
            out.extend_from_slice(b"\"stale_since\":");
            serde_json::to_writer(&mut *out, &since).expect("a timestamp serialises");
            out.push(b'}');
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
    use proxicloud_store::{GuestObservation, STATUS_CREATING};
    use proxicloud_types::VmId;

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
        let index = GuestIndex::build(vec![guest.clone()], 0);
        let indexed = index.get(guest.id).unwrap();
        let stale = Freshness::Stale {
            since: Timestamp::now(),
        };
        for freshness in [Freshness::Fresh, stale, Freshness::Fresh] {
            let mut rendered = Vec::new();
            write_instance_json(&mut rendered, indexed, freshness);
            let expected = serde_json::to_vec(&InstanceDto::new(&guest, freshness)).unwrap();
            assert_eq!(
                String::from_utf8(rendered).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
