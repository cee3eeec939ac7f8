use std::collections::HashSet;

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{
    Attachment, Storage, StorageObservation, Timestamp, Uuid, Volume, VolumeFilter,
};

use super::{VolumeIndex, VolumeSort};
use crate::volumes::service::StorageTypes;

fn volume(n: u64, owner: Uuid, attached: bool, state: &str) -> Volume {
    Volume {
        id: Uuid::now_v7(),
        cluster_id: Uuid::nil(),
        node: format!("pve{}", n % 3),
        storage: if n.is_multiple_of(2) {
            "local-lvm"
        } else {
            "tank"
        }
        .into(),
        class: n.is_multiple_of(2).then(|| "ssd".to_owned()),
        name: format!("vol-{:02}", (n * 7) % 20),
        size_bytes: (n % 5 + 1) << 30,
        status: state.into(),
        holder_vmid: None,
        volid: None,
        error: None,
        owner_id: Some(owner),
        attachment: attached.then(|| Attachment {
            guest_id: Uuid::nil(),
            key: "mp0".into(),
            mount_path: Some("/data".into()),
        }),
        created_at: Timestamp::from_unix_micros(1_700_000_000_000_000 + n as i64 * 1_000_000)
            .unwrap(),
        updated_at: Timestamp::now(),
    }
}

fn lvm_thin(node: &str) -> Storage {
    Storage {
        cluster_id: Uuid::nil(),
        observed: StorageObservation {
            node: node.into(),
            storage: "local-lvm".into(),
            storage_type: "lvmthin".into(),
            content: "rootdir,images".into(),
            total: 0,
            used: 0,
            avail: 0,
            shared: false,
            status: "available".into(),
        },
        seen_at: Timestamp::now(),
    }
}

fn index(volumes: Vec<Volume>) -> VolumeIndex {
    VolumeIndex::build(
        volumes,
        &StorageTypes::new(vec![lvm_thin("pve0"), lvm_thin("pve1")]),
    )
}

/// Every page of a sort, following the cursors: the names in order.
fn walk(
    index: &VolumeIndex,
    filter: &VolumeFilter,
    sort: VolumeSort,
    descending: bool,
) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = index
            .page(filter, sort, descending, after.as_ref(), 3)
            .unwrap();
        seen.extend(page.items.iter().map(|row| row.view.volume.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return seen,
        }
    }
}

#[test]
fn every_sort_pages_through_every_volume_once_in_order() {
    let owner = Uuid::now_v7();
    let volumes: Vec<Volume> = (0..20)
        .map(|n| volume(n, owner, n % 4 == 0, status::AVAILABLE))
        .collect();
    let index = index(volumes.clone());
    assert_eq!(index.len(), 20);
    let filter = VolumeFilter::default();
    for sort in [
        VolumeSort::Created,
        VolumeSort::Name,
        VolumeSort::Size,
        VolumeSort::Status,
        VolumeSort::Node,
    ] {
        for descending in [false, true] {
            let ids = walk(&index, &filter, sort, descending);
            assert_eq!(
                ids.len(),
                20,
                "{sort:?} {descending}: no row skipped or repeated"
            );
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 20);
            let rows: Vec<&Volume> = ids
                .iter()
                .map(|id| volumes.iter().find(|v| v.id == *id).unwrap())
                .collect();
            for pair in rows.windows(2) {
                let (a, b) = if descending {
                    (pair[1], pair[0])
                } else {
                    (pair[0], pair[1])
                };
                let ordered = match sort {
                    VolumeSort::Created => a.created_at <= b.created_at,
                    VolumeSort::Name => a.name.to_lowercase() <= b.name.to_lowercase(),
                    VolumeSort::Size => a.size_bytes <= b.size_bytes,
                    VolumeSort::Status => super::listed_status(a) <= super::listed_status(b),
                    VolumeSort::Node => (&a.node, &a.storage) <= (&b.node, &b.storage),
                };
                assert!(
                    ordered,
                    "{sort:?} {descending}: {} before {}",
                    a.name, b.name
                );
            }
        }
    }
    // Sizes sort as numbers, not text: 5 GiB after 1 GiB whatever their digits.
    let by_size = walk(&index, &filter, VolumeSort::Size, false);
    let first = volumes.iter().find(|v| v.id == by_size[0]).unwrap();
    assert_eq!(first.size_bytes, 1 << 30);
}

#[test]
fn filters_match_what_the_store_query_matches() {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let mut volumes: Vec<Volume> = (0..10)
        .map(|n| volume(n, alice, n < 3, status::AVAILABLE))
        .collect();
    volumes.push(volume(10, bob, false, status::AVAILABLE));
    volumes.push(volume(11, alice, false, status::CREATING));
    let index = index(volumes.clone());
    let count = |filter: VolumeFilter| walk(&index, &filter, VolumeSort::Created, false).len();

    assert_eq!(
        count(VolumeFilter {
            owner_id: Some(bob),
            ..VolumeFilter::default()
        }),
        1
    );
    // `in-use` is available and attached; `available` is available and detached.
    assert_eq!(
        count(VolumeFilter {
            status: Some("in-use".into()),
            ..VolumeFilter::default()
        }),
        3
    );
    assert_eq!(
        count(VolumeFilter {
            status: Some("available".into()),
            ..VolumeFilter::default()
        }),
        8
    );
    assert_eq!(
        count(VolumeFilter {
            status: Some("creating".into()),
            ..VolumeFilter::default()
        }),
        1
    );
    assert_eq!(
        count(VolumeFilter {
            class: Some("ssd".into()),
            ..VolumeFilter::default()
        }),
        6
    );
    assert_eq!(
        count(VolumeFilter {
            attached_to: Some(Uuid::nil()),
            ..VolumeFilter::default()
        }),
        3
    );
    // Part of the name, whatever its case.
    let named = volumes[4].name.to_uppercase();
    let expected = volumes.iter().filter(|v| v.name == volumes[4].name).count();
    assert_eq!(
        count(VolumeFilter {
            name_contains: Some(named),
            ..VolumeFilter::default()
        }),
        expected
    );
}

#[test]
fn the_storage_type_decides_whether_snapshots_are_offered() {
    let owner = Uuid::now_v7();
    // pve0/pve1 local-lvm are lvm-thin (snapshots); `tank` is unseen.
    let index = index(vec![
        volume(0, owner, false, status::AVAILABLE),
        volume(1, owner, false, status::AVAILABLE),
    ]);
    let page = index
        .page(
            &VolumeFilter::default(),
            VolumeSort::Created,
            false,
            None,
            10,
        )
        .unwrap();
    let supported: Vec<bool> = page
        .items
        .iter()
        .map(|row| row.view.snapshots_supported)
        .collect();
    assert_eq!(supported, vec![true, false]);
}

#[test]
fn a_cursor_of_another_sort_is_refused() {
    let owner = Uuid::now_v7();
    let index = index(
        (0..5)
            .map(|n| volume(n, owner, false, status::AVAILABLE))
            .collect(),
    );
    let filter = VolumeFilter::default();
    let page = index
        .page(&filter, VolumeSort::Name, false, None, 2)
        .unwrap();
    let cursor = page.next.unwrap();
    assert!(
        index
            .page(&filter, VolumeSort::Size, false, Some(&cursor), 2)
            .is_err()
    );
    assert!(
        index
            .page(&filter, VolumeSort::Name, true, Some(&cursor), 2)
            .is_err()
    );
    assert!(
        index
            .page(&filter, VolumeSort::Name, false, Some(&cursor), 2)
            .is_ok()
    );
}

#[test]
fn names_sort_as_people_number_things_across_pages() {
    let owner = Uuid::now_v7();
    let names = [
        "vol-10", "Vol-2", "vol-1", "data", "vol-02", "vol-100", "vol-9b",
    ];
    let volumes: Vec<Volume> = names
        .iter()
        .enumerate()
        .map(|(n, name)| Volume {
            name: (*name).into(),
            ..volume(n as u64, owner, false, status::AVAILABLE)
        })
        .collect();
    let index = index(volumes.clone());
    let name_of = |id: &Uuid| volumes.iter().find(|v| v.id == *id).unwrap().name.clone();
    let walked = |descending| -> Vec<String> {
        walk(
            &index,
            &VolumeFilter::default(),
            VolumeSort::Name,
            descending,
        )
        .iter()
        .map(name_of)
        .collect()
    };
    // Numbers by value, case ignored; of `vol-2` and `vol-02` (both two) the one
    // without leading zeros first — a fixed order, so a cursor between them holds.
    let ascending = walked(false);
    assert_eq!(
        ascending,
        [
            "data", "vol-1", "Vol-2", "vol-02", "vol-9b", "vol-10", "vol-100"
        ]
    );
    let mut descending = walked(true);
    descending.reverse();
    assert_eq!(descending, ascending);
}
