//! `instance.appeared` / `instance.changed` / `instance.disappeared` events for what
//! one sync changed, each addressed to the guest's owner (admins see all).

use std::collections::HashMap;

use proxicloud_store::{
    Guest, GuestFilter, GuestQuery, MAX_PAGE_LIMIT, PageRequest, Result as StoreResult, SyncReport,
    Uuid,
};
use serde_json::json;

use super::Context;
use crate::events::Audience;

/// Up to this many changed guests are read one by one; beyond it (a first sync of a
/// big cluster) the cluster's guests are read page by page instead.
const READ_ONE_BY_ONE: usize = 100;

pub(super) async fn publish_sync_report(
    ctx: &Context,
    cluster_id: Uuid,
    report: &SyncReport,
) -> StoreResult<()> {
    let total = report.appeared.len() + report.changed.len() + report.disappeared.len();
    let guests = if total <= READ_ONE_BY_ONE {
        read_each(ctx, report).await?
    } else {
        read_cluster(ctx, cluster_id).await?
    };
    let batches = [
        ("instance.appeared", &report.appeared),
        ("instance.changed", &report.changed),
        ("instance.disappeared", &report.disappeared),
    ];
    for (kind, ids) in batches {
        for guest in ids.iter().filter_map(|id| guests.get(id)) {
            ctx.events.publish(
                kind,
                Audience::Owner(guest.owner_id.map(|owner| owner.to_string())),
                event_data(guest),
            );
        }
    }
    Ok(())
}

/// The changed row as the console patches it into its table. Every field a change
/// can be about must be here: a consumer merges the patch into the row it has, so a
/// field left out keeps its old value (a `lock` left out kept a finished create's
/// lock on screen and every action disabled).
fn event_data(guest: &Guest) -> serde_json::Value {
    let observed = &guest.observed;
    json!({
        "id": guest.id,
        "cluster_id": guest.cluster_id,
        "vmid": observed.vmid,
        "type": observed.kind.as_str(),
        "name": observed.name,
        "node": observed.node,
        "status": observed.status,
        "lock": observed.lock,
        "template": observed.template,
        "owner_id": guest.owner_id,
        "removed_at": guest.removed_at,
        "addresses": guest.addresses.as_deref().unwrap_or_default(),
    })
}

async fn read_each(ctx: &Context, report: &SyncReport) -> StoreResult<HashMap<Uuid, Guest>> {
    let ids = report
        .appeared
        .iter()
        .chain(&report.changed)
        .chain(&report.disappeared);
    let mut guests = HashMap::new();
    for id in ids {
        let guest = ctx.store.guests().get(*id).await?;
        guests.insert(*id, guest);
    }
    Ok(guests)
}

async fn read_cluster(ctx: &Context, cluster_id: Uuid) -> StoreResult<HashMap<Uuid, Guest>> {
    let query = GuestQuery {
        filter: GuestFilter {
            cluster_id: Some(cluster_id),
            include_removed: true,
            ..GuestFilter::default()
        },
        ..GuestQuery::default()
    };
    let mut guests = HashMap::new();
    let mut page = PageRequest::first(MAX_PAGE_LIMIT);
    loop {
        let result = ctx.store.guests().list(&query, page).await?;
        guests.extend(result.items.into_iter().map(|g| (g.id, g)));
        match result.next {
            Some(cursor) => page = PageRequest::after(cursor, MAX_PAGE_LIMIT),
            None => return Ok(guests),
        }
    }
}

#[cfg(test)]
mod tests {
    use proxicloud_pve::{GuestType, VmId};
    use proxicloud_store::{GuestObservation, Timestamp};

    use super::*;

    #[test]
    fn a_cleared_lock_is_sent_as_null_so_consumers_drop_the_old_one() {
        let mut guest = Guest {
            id: Uuid::now_v7(),
            cluster_id: Uuid::now_v7(),
            observed: GuestObservation {
                vmid: VmId::new(100).unwrap(),
                node: "pve1".into(),
                kind: GuestType::Lxc,
                name: "web".into(),
                status: "stopped".into(),
                cpus: 1.0,
                maxmem: 0,
                mem: 0,
                maxdisk: 0,
                disk: 0,
                uptime: 0,
                template: false,
                lock: Some("create".into()),
                tags: None,
                activity: Default::default(),
            },
            owner_id: None,
            managed: true,
            created_by_job: None,
            created_at: Timestamp::now(),
            seen_at: None,
            removed_at: None,
            addresses: None,
            addresses_at: None,
        };
        assert_eq!(event_data(&guest)["lock"], json!("create"));
        guest.observed.lock = None;
        let data = event_data(&guest);
        assert_eq!(
            (data["lock"].clone(), data["template"].clone()),
            (json!(null), json!(false))
        );
        assert!(data.as_object().unwrap().contains_key("lock"));
    }
}
