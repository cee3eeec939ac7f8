use std::sync::Arc;

use proxicloud_store::{
    Cursor, Guest, GuestFilter, GuestQuery, GuestSort, OwnerFilter, PageRequest, Role, Store,
    StoreError,
};
use proxicloud_types::GuestType;
use uuid::Uuid;

use crate::fixtures::{cluster, guest, snapshot, user};

async fn list_all(store: &dyn Store, query: &GuestQuery) -> Vec<Guest> {
    store
        .guests()
        .list(query, PageRequest::first(1000))
        .await
        .unwrap()
        .items
}

fn names(guests: &[Guest]) -> Vec<String> {
    guests.iter().map(|g| g.observed.name.clone()).collect()
}

pub async fn filters_select_guests_by_every_criterion(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let edge = cluster(&*store, "edge").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let mut on_pve2 = guest(102, GuestType::Qemu, "Web_1%", "stopped");
    on_pve2.node = "pve2".into();
    let lab_guests = vec![
        guest(100, GuestType::Qemu, "web-frontend", "running"),
        guest(101, GuestType::Lxc, "db", "running"),
        on_pve2,
    ];
    let lab_ids = store
        .inventory()
        .sync(lab.id, &snapshot(lab_guests))
        .await
        .unwrap()
        .appeared;
    store
        .inventory()
        .sync(
            edge.id,
            &snapshot(vec![guest(100, GuestType::Lxc, "edge-WEB", "running")]),
        )
        .await
        .unwrap();
    store
        .guests()
        .set_owner(lab_ids[1], Some(olga.id))
        .await
        .unwrap();
    store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![
                guest(100, GuestType::Qemu, "web-frontend", "running"),
                guest(101, GuestType::Lxc, "db", "running"),
            ]),
        )
        .await
        .unwrap();

    let query = |filter: GuestFilter| GuestQuery {
        filter,
        ..Default::default()
    };
    let all = list_all(&*store, &GuestQuery::default()).await;
    assert_eq!(
        names(&all),
        ["db", "edge-WEB", "web-frontend"],
        "removed guests are hidden by default"
    );
    let with_removed = list_all(
        &*store,
        &query(GuestFilter {
            include_removed: true,
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(
        names(&with_removed),
        ["Web_1%", "db", "edge-WEB", "web-frontend"],
        "byte order: upper case first"
    );

    let check = |filter: GuestFilter, expected: &'static [&'static str]| {
        let store = store.clone();
        async move {
            let found = list_all(&*store, &query(filter.clone())).await;
            assert_eq!(names(&found), expected, "filter {filter:?}");
        }
    };
    check(
        GuestFilter {
            status: Some("running".into()),
            ..Default::default()
        },
        &["db", "edge-WEB", "web-frontend"],
    )
    .await;
    check(
        GuestFilter {
            kind: Some(GuestType::Lxc),
            ..Default::default()
        },
        &["db", "edge-WEB"],
    )
    .await;
    check(
        GuestFilter {
            cluster_id: Some(edge.id),
            ..Default::default()
        },
        &["edge-WEB"],
    )
    .await;
    check(
        GuestFilter {
            node: Some("pve2".into()),
            include_removed: true,
            ..Default::default()
        },
        &["Web_1%"],
    )
    .await;
    check(
        GuestFilter {
            owner: OwnerFilter::Owner(olga.id),
            ..Default::default()
        },
        &["db"],
    )
    .await;
    check(
        GuestFilter {
            owner: OwnerFilter::Unowned,
            ..Default::default()
        },
        &["edge-WEB", "web-frontend"],
    )
    .await;
    check(
        GuestFilter {
            name_contains: Some("WEB".into()),
            ..Default::default()
        },
        &["edge-WEB", "web-frontend"],
    )
    .await;
    check(
        GuestFilter {
            name_contains: Some("_1%".into()),
            include_removed: true,
            ..Default::default()
        },
        &["Web_1%"],
    )
    .await;
    check(
        GuestFilter {
            name_contains: Some("b_".into()),
            ..Default::default()
        },
        &[],
    )
    .await;
    check(
        GuestFilter {
            cluster_id: Some(lab.id),
            kind: Some(GuestType::Qemu),
            status: Some("running".into()),
            ..Default::default()
        },
        &["web-frontend"],
    )
    .await;
}

pub async fn pagination_is_stable_for_every_sort_and_direction(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let statuses = ["running", "stopped", "paused"];
    let guests: Vec<_> = (0..23u32)
        .map(|i| {
            // Repeated names, statuses and nodes: ties must be broken by id.
            let mut g = guest(
                200 + i,
                GuestType::Lxc,
                &format!("g{}", i % 7),
                statuses[i as usize % 3],
            );
            g.node = format!("pve{}", i % 4);
            g.activity.cpu = f64::from(i % 5) / 8.0;
            g
        })
        .collect();
    store
        .inventory()
        .sync(lab.id, &snapshot(guests))
        .await
        .unwrap();

    for sort in [
        GuestSort::Name,
        GuestSort::Created,
        GuestSort::Status,
        GuestSort::Node,
        GuestSort::VmId,
        GuestSort::Cpu,
    ] {
        for descending in [false, true] {
            let query = GuestQuery {
                sort,
                descending,
                ..Default::default()
            };
            let expected: Vec<Uuid> = list_all(&*store, &query)
                .await
                .iter()
                .map(|g| g.id)
                .collect();
            assert_eq!(expected.len(), 23);
            let mut seen = Vec::new();
            let mut page = store
                .guests()
                .list(&query, PageRequest::first(4))
                .await
                .unwrap();
            loop {
                seen.extend(page.items.iter().map(|g| g.id));
                let Some(next) = page.next.take() else { break };
                page = store
                    .guests()
                    .list(&query, PageRequest::after(next, 4))
                    .await
                    .unwrap();
            }
            assert_eq!(seen, expected, "{sort:?} descending={descending}");
        }
    }

    let by_vmid = list_all(
        &*store,
        &GuestQuery {
            sort: GuestSort::VmId,
            ..Default::default()
        },
    )
    .await;
    assert!(
        by_vmid
            .windows(2)
            .all(|w| w[0].observed.vmid < w[1].observed.vmid)
    );
    let by_name = list_all(
        &*store,
        &GuestQuery {
            sort: GuestSort::Name,
            descending: true,
            ..Default::default()
        },
    )
    .await;
    assert!(
        by_name
            .windows(2)
            .all(|w| (&w[0].observed.name, w[0].id) > (&w[1].observed.name, w[1].id))
    );
}

pub async fn cursors_only_work_for_the_query_that_issued_them(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let guests = (0..5)
        .map(|i| guest(300 + i, GuestType::Qemu, &format!("vm{i}"), "running"))
        .collect();
    store
        .inventory()
        .sync(lab.id, &snapshot(guests))
        .await
        .unwrap();
    let by_name = GuestQuery::default();
    let cursor = store
        .guests()
        .list(&by_name, PageRequest::first(2))
        .await
        .unwrap()
        .next
        .unwrap();
    for other in [
        GuestQuery {
            sort: GuestSort::VmId,
            ..Default::default()
        },
        GuestQuery {
            descending: true,
            ..Default::default()
        },
    ] {
        let result = store
            .guests()
            .list(&other, PageRequest::after(cursor.clone(), 2))
            .await;
        assert!(
            matches!(result, Err(StoreError::InvalidCursor)),
            "{result:?}"
        );
    }
    let garbage = store
        .guests()
        .list(&by_name, PageRequest::after(Cursor::new("not-hex"), 2))
        .await;
    assert!(
        matches!(garbage, Err(StoreError::InvalidCursor)),
        "{garbage:?}"
    );
    let rest = store
        .guests()
        .list(&by_name, PageRequest::after(cursor, 10))
        .await
        .unwrap();
    assert_eq!(names(&rest.items), ["vm2", "vm3", "vm4"]);
    assert_eq!(rest.next, None);
}

/// `tag` matches one whole entry of PVE's tag list, case-insensitively, whichever
/// separator (`;`, `,`, space) the list uses; `_` and `%` are taken literally.
pub async fn the_tag_filter_matches_whole_tags(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let tagged = |vmid: u32, name: &str, tags: Option<&str>| {
        let mut g = guest(vmid, GuestType::Lxc, name, "running");
        g.tags = tags.map(str::to_owned);
        g
    };
    store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![
                tagged(100, "semi", Some("web;prod")),
                tagged(101, "comma", Some("Web-2,db")),
                tagged(102, "space", Some("a_b c")),
                tagged(103, "none", None),
            ]),
        )
        .await
        .unwrap();
    for (tag, expected) in [
        ("web", vec!["semi"]),
        ("WEB", vec!["semi"]),
        ("prod", vec!["semi"]),
        ("db", vec!["comma"]),
        ("web-2", vec!["comma"]),
        ("a_b", vec!["space"]),
        ("c", vec!["space"]),
        ("a%b", vec![]),
        ("we", vec![]),
    ] {
        let query = GuestQuery {
            filter: GuestFilter {
                tag: Some(tag.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            names(&list_all(&*store, &query).await),
            expected,
            "tag {tag}"
        );
    }
}
