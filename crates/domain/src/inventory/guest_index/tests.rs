//! The index must page exactly like the store: same rows, same order, same page
//! boundaries, for every sort, direction and filter. Each case pages through both
//! with a small limit and compares the ids.

use std::sync::Arc;

use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{
    GuestFilter, GuestObservation, GuestQuery, GuestSort, InventorySnapshot, NewUser, OwnerFilter,
    PageRequest, Role, Store, StoreError, Timestamp, Uuid,
};

use super::{GuestIndex, IndexedGuest};
use crate::jobs::tests::support::lab_cluster;
use crate::read_index::IndexRow;

const NAMES: [&str; 6] = ["web", "Web", "db-1", "db-10", "cache", "zeta"];
const STATUSES: [&str; 3] = ["running", "stopped", "paused"];
/// Every separator PVE's tag lists use, and tags that are substrings of others.
const TAGS: [Option<&str>; 5] = [
    None,
    Some("web;prod"),
    Some("Prod,db"),
    Some("web-2 a_b"),
    Some(""),
];

struct Mirror {
    store: Arc<dyn Store>,
    cluster: Uuid,
    owner: Uuid,
}

async fn mirror() -> Mirror {
    let store = proxicloud_store::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    let cluster = lab_cluster(store.as_ref()).await;
    let owner = store
        .users()
        .create(NewUser {
            username: "olga".into(),
            password_hash: "x".into(),
            role: Role::Operator,
            disabled: false,
        })
        .await
        .unwrap()
        .id;
    // Many duplicate keys, so ties (broken by id) are everywhere.
    let guests: Vec<GuestObservation> = (0..120u32)
        .map(|n| GuestObservation {
            vmid: VmId::new(100 + (n * 37) % 400).unwrap(),
            node: format!("pve{}", n % 3),
            kind: if n % 4 == 0 {
                GuestType::Qemu
            } else {
                GuestType::Lxc
            },
            name: NAMES[n as usize % NAMES.len()].to_owned(),
            status: STATUSES[n as usize % STATUSES.len()].to_owned(),
            cpus: 1.0,
            maxmem: 1 << 30,
            mem: 0,
            maxdisk: 1 << 33,
            disk: 0,
            uptime: 0,
            template: false,
            lock: None,
            tags: TAGS[n as usize % TAGS.len()].map(str::to_owned),
            // Ties here too, and values whose text differs from their order.
            activity: proxicloud_store::GuestActivity {
                cpu: f64::from(n % 9) / 16.0,
                ..Default::default()
            },
        })
        .collect();
    let snapshot = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: Vec::new(),
        storages: Vec::new(),
        guests,
    };
    let report = store.inventory().sync(cluster, &snapshot).await.unwrap();
    for id in report.appeared.iter().step_by(3) {
        store.guests().set_owner(*id, Some(owner)).await.unwrap();
    }
    // A removed guest must not be listed by either.
    let mut fewer = snapshot.clone();
    fewer.guests.pop();
    store.inventory().sync(cluster, &fewer).await.unwrap();
    Mirror {
        store,
        cluster,
        owner,
    }
}

async fn index_of(store: &dyn Store) -> GuestIndex {
    GuestIndex::build(store.guests().list_live().await.unwrap())
}

async fn store_ids(store: &dyn Store, query: &GuestQuery, limit: u32) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .guests()
            .list(query, PageRequest { after, limit })
            .await
            .unwrap();
        pages.push(page.items.iter().map(|g| g.id).collect());
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
    }
}

fn index_ids(index: &GuestIndex, query: &GuestQuery, limit: usize) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = index
            .page(
                &query.filter,
                query.sort,
                query.descending,
                after.as_ref(),
                limit,
            )
            .unwrap();
        pages.push(page.items.iter().map(|g| g.id).collect());
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
    }
}

fn filters(mirror: &Mirror) -> Vec<GuestFilter> {
    vec![
        GuestFilter::default(),
        GuestFilter {
            status: Some("running".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            kind: Some(GuestType::Qemu),
            node: Some("pve1".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            owner: OwnerFilter::Owner(mirror.owner),
            ..GuestFilter::default()
        },
        GuestFilter {
            owner: OwnerFilter::Unowned,
            cluster_id: Some(mirror.cluster),
            ..GuestFilter::default()
        },
        GuestFilter {
            name_contains: Some("WE".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            name_contains: Some("db-1".into()),
            status: Some("paused".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            cluster_id: Some(Uuid::now_v7()),
            ..GuestFilter::default()
        },
        GuestFilter {
            tag: Some("PROD".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            tag: Some("web".into()),
            status: Some("running".into()),
            ..GuestFilter::default()
        },
        GuestFilter {
            tag: Some("a_b".into()),
            ..GuestFilter::default()
        },
    ]
}

#[tokio::test]
async fn pages_match_the_store_for_every_sort_direction_and_filter() {
    let mirror = mirror().await;
    let index = index_of(mirror.store.as_ref()).await;
    assert_eq!(index.len(), 119, "the removed guest is not indexed");
    let mut cases = 0;
    for filter in filters(&mirror) {
        for &sort in IndexedGuest::SORTS {
            for descending in [false, true] {
                let query = GuestQuery {
                    filter: filter.clone(),
                    sort,
                    descending,
                };
                for limit in [1u32, 7, 500] {
                    let expected = store_ids(mirror.store.as_ref(), &query, limit).await;
                    let actual = index_ids(&index, &query, limit as usize);
                    assert_eq!(actual, expected, "{query:?} limit {limit}");
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, filters(&mirror).len() * 6 * 2 * 3);
}

#[tokio::test]
async fn a_cursor_stays_valid_when_rows_change_between_pages() {
    let mirror = mirror().await;
    let query = GuestQuery {
        sort: GuestSort::Status,
        ..GuestQuery::default()
    };
    let first = index_of(mirror.store.as_ref())
        .await
        .page(&query.filter, query.sort, false, None, 10)
        .unwrap();
    // Another sync moves every row; the next page continues after the same key.
    let mut snapshot_guests: Vec<GuestObservation> = Vec::new();
    for guest in mirror.store.guests().list_live().await.unwrap() {
        let mut observed = guest.observed;
        observed.status = "stopped".into();
        snapshot_guests.push(observed);
    }
    let snapshot = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: Vec::new(),
        storages: Vec::new(),
        guests: snapshot_guests,
    };
    mirror
        .store
        .inventory()
        .sync(mirror.cluster, &snapshot)
        .await
        .unwrap();
    let index = index_of(mirror.store.as_ref()).await;
    let cursor = first.next.expect("more than one page");
    let next_page: Vec<Uuid> = index
        .page(&query.filter, query.sort, false, Some(&cursor), 10)
        .unwrap()
        .items
        .iter()
        .map(|g| g.id)
        .collect();
    // The first page ended on a "paused" row; every row is now "stopped", which
    // sorts after it: the next page starts at the new first row, skipping none.
    let everything = index_ids(&index, &query, 500).concat();
    assert_eq!(next_page, everything[..10]);
    assert_eq!(
        everything,
        store_ids(mirror.store.as_ref(), &query, 500).await.concat()
    );
}

#[tokio::test]
async fn foreign_and_malformed_cursors_are_refused() {
    let mirror = mirror().await;
    let index = index_of(mirror.store.as_ref()).await;
    let filter = GuestFilter::default();
    let by_name = index
        .page(&filter, GuestSort::Name, false, None, 5)
        .unwrap()
        .next
        .unwrap();
    for (sort, descending) in [(GuestSort::Name, true), (GuestSort::VmId, false)] {
        assert!(matches!(
            index.page(&filter, sort, descending, Some(&by_name), 5),
            Err(StoreError::InvalidCursor)
        ));
    }
    let garbage = proxicloud_store::Cursor::new("not-a-cursor");
    assert!(matches!(
        index.page(&filter, GuestSort::Name, false, Some(&garbage), 5),
        Err(StoreError::InvalidCursor)
    ));
}

#[tokio::test]
async fn guests_are_found_by_id_and_rendered_once() {
    let mirror = mirror().await;
    let index = index_of(mirror.store.as_ref()).await;
    let some = mirror.store.guests().list_live().await.unwrap()[5].clone();
    let found = index.get(some.id).expect("indexed");
    assert_eq!(found.guest(), &some);
    assert!(index.get(Uuid::now_v7()).is_none());
    let first = found.rendered(|g| bytes::Bytes::from(g.observed.name.clone()));
    let again = found.rendered(|_| panic!("rendered twice"));
    assert_eq!(first, again);
}
