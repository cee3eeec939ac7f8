//! One name per cluster. An instance's name becomes its hostname and
//! `<name>.<dns domain>`, so no two live guests of a cluster may share it — whoever
//! owns them, whether we created them or found them on Proxmox, in any letter case
//! (DNS names are case-insensitive). Launch checks it here; rename reuses
//! [`require_unique_name`] with the renamed instance as `except`.

use proxicloud_store::{Guest, GuestFilter, GuestQuery, PageRequest, Store, Uuid};

use crate::error::{DomainError, DomainResult};

const PAGE: u32 = 200;

/// The live guest of the cluster whose name equals `name` (ignoring case), other than
/// `except`.
pub async fn guest_named(
    store: &dyn Store,
    cluster_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> DomainResult<Option<Guest>> {
    Ok(guests_named(store, cluster_id, name)
        .await?
        .into_iter()
        .find(|guest| Some(guest.id) != except))
}

/// Every live guest of the cluster whose name equals `name` (ignoring case). Scans
/// the guests whose name contains it (usually a page or less).
pub async fn guests_named(
    store: &dyn Store,
    cluster_id: Uuid,
    name: &str,
) -> DomainResult<Vec<Guest>> {
    let query = GuestQuery {
        filter: GuestFilter {
            cluster_id: Some(cluster_id),
            name_contains: Some(name.to_owned()),
            ..GuestFilter::default()
        },
        ..GuestQuery::default()
    };
    let mut named = Vec::new();
    let mut page = PageRequest::first(PAGE);
    loop {
        let found = store.guests().list(&query, page).await?;
        named.extend(
            found
                .items
                .into_iter()
                .filter(|guest| guest.observed.name.eq_ignore_ascii_case(name)),
        );
        match found.next {
            Some(cursor) => page = PageRequest::after(cursor, PAGE),
            None => return Ok(named),
        }
    }
}

/// `422` on the field `name` when another live guest of the cluster has the name.
pub async fn require_unique_name(
    store: &dyn Store,
    cluster_id: Uuid,
    cluster_name: &str,
    name: &str,
    except: Option<Uuid>,
) -> DomainResult<()> {
    match guest_named(store, cluster_id, name, except).await? {
        None => Ok(()),
        Some(guest) => Err(DomainError::invalid(
            "name",
            format!(
                "an instance named '{}' already exists in cluster '{cluster_name}' (names become DNS names, so they are unique per cluster)",
                guest.observed.name
            ),
        )),
    }
}
