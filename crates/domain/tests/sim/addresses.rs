//! Opening an instance's live config also learns its addresses from the simulator:
//! a running container's interfaces, a VM's guest agent — and a VM without an agent
//! still shows its config.

use proxicloud_domain::instances::InstanceDetails;
use proxicloud_pve::GuestType;
use proxicloud_pve_sim::model::GuestStatus;
use proxicloud_store::{Role, Uuid};
use serde_json::json;

use crate::common::{assert_schema_valid, guest, harness, prepare, register_and_mirror_once, user};

#[tokio::test]
async fn opening_the_config_learns_and_publishes_the_guests_addresses() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = register_and_mirror_once(&h, &admin).await;
    let details = h.services.get::<InstanceDetails>();

    let ct = prepare(
        &h,
        GuestType::Lxc,
        GuestStatus::Running,
        &[(
            "net0",
            Some("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:AA:00:01,ip=198.51.100.7/24,type=veth"),
        )],
    );
    let ct_id: Uuid = guest(&h, cluster, ct).await.expect("mirrored").id;
    let shown = details.config(&admin, ct_id).await.expect("config");
    assert!(shown.entries.iter().any(|e| e.key == "net0"));
    assert_eq!(shown.addresses, Some(vec!["198.51.100.7".to_owned()]));
    let stored = h.store.guests().get(ct_id).await.unwrap();
    assert_eq!(stored.addresses, shown.addresses);
    let (replay, _) = h.events.subscribe(Some(0));
    let published: Vec<_> = replay
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "instance.changed" && e.data["id"] == json!(ct_id))
        .collect();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].data["addresses"], json!(["198.51.100.7"]));
    assert_eq!(published[0].data["cluster_id"], json!(cluster));

    // A running VM without an agent: the config still opens; it is known to report none.
    let vm = prepare(
        &h,
        GuestType::Qemu,
        GuestStatus::Running,
        &[("agent", None)],
    );
    let vm_id = guest(&h, cluster, vm).await.expect("mirrored").id;
    let shown = details.config(&admin, vm_id).await.expect("config");
    assert!(!shown.entries.is_empty());
    assert_eq!(shown.addresses, Some(vec![]));

    // With its agent enabled, the agent's addresses.
    prepare(
        &h,
        GuestType::Qemu,
        GuestStatus::Running,
        &[
            ("agent", Some("1")),
            ("ipconfig0", Some("ip=203.0.113.5/24,gw=203.0.113.1")),
        ],
    );
    let shown = details.config(&admin, vm_id).await.expect("config");
    assert_eq!(shown.addresses, Some(vec!["203.0.113.5".to_owned()]));
    assert_schema_valid(&h.sim);
}
