//! The class rules on hand-made mirror rows: what an admin may save, which storage a
//! volume lands on.

use proxicloud_store::{Storage, StorageObservation, Timestamp, Uuid};

use super::{ClassStorage, Placement, PlannedSpace, VolumeClass, choose_storage, validate};
use crate::error::DomainError;
use crate::volumes::rules::GIB;

fn storage(cluster_id: Uuid, node: &str, name: &str, content: &str, avail_gib: u64) -> Storage {
    Storage {
        cluster_id,
        observed: StorageObservation {
            node: node.into(),
            storage: name.into(),
            storage_type: "lvmthin".into(),
            content: content.into(),
            total: 1000 * GIB,
            used: 0,
            avail: avail_gib * GIB,
            shared: false,
            status: "available".into(),
        },
        seen_at: Timestamp::now(),
    }
}

fn class(name: &str, cluster_id: Uuid, storages: &[&str]) -> VolumeClass {
    VolumeClass {
        name: name.into(),
        storages: storages
            .iter()
            .map(|s| ClassStorage {
                cluster_id,
                storage: (*s).into(),
            })
            .collect(),
    }
}

fn fields(error: DomainError) -> Vec<String> {
    match error {
        DomainError::Validation(fields) => fields.into_keys().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_class_names_storages_that_exist_and_hold_container_volumes() {
    let c = Uuid::now_v7();
    let inventory = [
        storage(c, "pve1", "fast", "images,rootdir", 100),
        storage(c, "pve1", "local", "iso,vztmpl,backup", 100),
    ];
    let saved = validate(vec![class(" ssd ", c, &["fast", "fast"])], &inventory).unwrap();
    assert_eq!(
        saved,
        vec![class("ssd", c, &["fast"])],
        "trimmed, repeats dropped"
    );

    let error = validate(
        vec![
            class("ssd", c, &["local", "missing"]),
            class("ssd", c, &["fast"]),
            class("Bad Name", c, &[]),
            class("hdd", Uuid::now_v7(), &["fast"]),
        ],
        &inventory,
    )
    .unwrap_err();
    assert_eq!(
        fields(error),
        [
            "classes[0].storages[0]", // no rootdir
            "classes[0].storages[1]", // unknown
            "classes[1].name",        // repeated
            "classes[2].name",
            "classes[2].storages",    // empty
            "classes[3].storages[0]", // another cluster's
        ]
    );
}

#[test]
fn a_class_places_the_volume_on_its_roomiest_storage_of_the_node() {
    let c = Uuid::now_v7();
    let inventory = [
        storage(c, "pve1", "ssd-a", "rootdir", 20),
        storage(c, "pve1", "ssd-b", "rootdir,images", 50),
        storage(c, "pve1", "big-hdd", "rootdir", 900),
        storage(c, "pve2", "ssd-c", "rootdir", 500),
    ];
    let pve1: Vec<&Storage> = inventory
        .iter()
        .filter(|s| s.observed.node == "pve1")
        .collect();
    let ssd = class("ssd", c, &["ssd-a", "ssd-b", "ssd-c"]);
    let chosen = choose_storage(&pve1, Placement::Class(&ssd), 10, &PlannedSpace::new()).unwrap();
    assert_eq!(chosen.observed.storage, "ssd-b");
    let any = choose_storage(&pve1, Placement::Any, 10, &PlannedSpace::new()).unwrap();
    assert_eq!(any.observed.storage, "big-hdd");
    let named = choose_storage(&pve1, Placement::Named("ssd-a"), 10, &PlannedSpace::new()).unwrap();
    assert_eq!(named.observed.storage, "ssd-a");

    // Too big for every storage of the class on this node: 409 naming the class.
    match choose_storage(&pve1, Placement::Class(&ssd), 100, &PlannedSpace::new()).unwrap_err() {
        DomainError::Conflict { code, message } => {
            assert_eq!(code, "insufficient_storage");
            assert!(
                message.contains("class 'ssd'") && message.contains("50 GiB"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A class none of whose storages is on the node.
    let elsewhere = class("nvme", c, &["ssd-c"]);
    match choose_storage(&pve1, Placement::Class(&elsewhere), 1, &PlannedSpace::new()).unwrap_err()
    {
        DomainError::Conflict { code, .. } => assert_eq!(code, "no_storage_in_class"),
        other => panic!("{other:?}"),
    }
}

/// A launch that brings several new volumes places each after the ones before it: two
/// that fit a storage one at a time but not together go elsewhere or are refused.
#[test]
fn space_planned_for_earlier_volumes_of_a_request_is_not_offered_again() {
    let c = Uuid::now_v7();
    let inventory = [
        storage(c, "pve1", "ssd-a", "rootdir", 20),
        storage(c, "pve1", "ssd-b", "rootdir", 30),
    ];
    let pve1: Vec<&Storage> = inventory.iter().collect();
    let ssd = class("ssd", c, &["ssd-a", "ssd-b"]);
    let needed = |gib: u64| (gib + crate::volumes::rules::HOLDER_ROOTFS_GIB) * GIB;
    let mut planned = PlannedSpace::new();
    planned.insert("ssd-b".into(), needed(15));
    // ssd-b has 30 GiB but 15 + holder are planned: ssd-a is now the roomiest.
    let chosen = choose_storage(&pve1, Placement::Class(&ssd), 10, &planned).unwrap();
    assert_eq!(chosen.observed.storage, "ssd-a");
    // Named, it is refused for what is left, and the message says why.
    match choose_storage(&pve1, Placement::Named("ssd-b"), 15, &planned).unwrap_err() {
        DomainError::Conflict { code, message } => {
            assert_eq!(code, "insufficient_storage");
            assert!(
                message.contains("the other new volumes of this request"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing planned: the same volume fits.
    let alone = choose_storage(&pve1, Placement::Named("ssd-b"), 15, &PlannedSpace::new());
    assert_eq!(alone.unwrap().observed.storage, "ssd-b");
}
