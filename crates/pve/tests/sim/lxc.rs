use std::collections::BTreeMap;

use proxicloud_pve::{
    CloneRequest, ConfigUpdate, Consolidation, DeleteOptions, GuestType, LxcCreate, MigrateRequest,
    MoveVolumeRequest, PowerAction, Pve, PveError, ResizeRequest, SnapshotRequest, Timeframe,
    VncProxyOptions,
};

use crate::common::{TOKEN_ID, TOKEN_SECRET, finish, node, start_default, token_client, wait};

const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub fn container(hostname: &str) -> LxcCreate {
    let mut nets = BTreeMap::new();
    nets.insert(0, "name=eth0,bridge=vmbr0,ip=dhcp".to_string());
    LxcCreate {
        ostemplate: TEMPLATE.to_string(),
        hostname: Some(hostname.to_string()),
        memory_mib: Some(512),
        cores: Some(1),
        rootfs: Some("local-lvm:4".to_string()),
        nets,
        unprivileged: Some(true),
        ..LxcCreate::default()
    }
}

#[tokio::test]
async fn container_lifecycle_end_to_end() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let (pve1, pve2) = (node("pve1"), node("pve2"));
    let lxc = GuestType::Lxc;

    let created = pve
        .create_lxc(&pve1, &container("ct-life"))
        .await
        .expect("create");
    pve.wait_task(&created.upid, &wait())
        .await
        .expect("create task succeeds");
    let vmid = created.vmid;
    let listed = pve.guests(&pve1, lxc).await.expect("list");
    assert!(listed.iter().any(|g| g.vmid == vmid));

    let config = pve.guest_config(&pve1, lxc, vmid).await.expect("config");
    assert_eq!(config.name.as_deref(), Some("ct-life"));
    assert_eq!(config.memory_mib, Some(512));
    assert!(config.indexed("net").contains_key(&0));

    let mut set = BTreeMap::new();
    set.insert(
        "net1".to_string(),
        "name=eth1,bridge=vmbr0,ip=dhcp".to_string(),
    );
    let update = ConfigUpdate {
        name: Some("ct-renamed".to_string()),
        memory_mib: Some(1024),
        description: Some("made by the client tests".to_string()),
        onboot: Some(true),
        set,
        digest: config.digest.clone(),
        ..ConfigUpdate::default()
    };
    pve.update_guest_config(&pve1, lxc, vmid, &update)
        .await
        .expect("update");
    let config = pve
        .guest_config(&pve1, lxc, vmid)
        .await
        .expect("config again");
    assert_eq!(config.name.as_deref(), Some("ct-renamed"));
    assert_eq!(config.memory_mib, Some(1024));
    assert_eq!(config.onboot, Some(true));
    assert!(config.indexed("net").contains_key(&1));
    let remove = ConfigUpdate {
        delete: vec!["net1".to_string(), "description".to_string()],
        ..ConfigUpdate::default()
    };
    pve.update_guest_config(&pve1, lxc, vmid, &remove)
        .await
        .expect("delete keys");
    let config = pve.guest_config(&pve1, lxc, vmid).await.unwrap();
    assert!(!config.indexed("net").contains_key(&1));
    assert_eq!(config.description, None);

    let start = pve
        .power(&pve1, lxc, vmid, PowerAction::Start)
        .await
        .expect("start");
    pve.wait_task(&start, &wait()).await.expect("started");
    let status = pve.guest_status(&pve1, lxc, vmid).await.expect("status");
    assert!(status.is_running(), "{status:?}");
    let again = pve.power(&pve1, lxc, vmid, PowerAction::Start).await;
    let refused = match again {
        Err(err) => Some(err),
        Ok(upid) => pve.wait_task(&upid, &wait()).await.err(),
    };
    assert!(refused.is_some(), "starting a running container must fail");

    for action in [
        PowerAction::Reboot { timeout: Some(10) },
        PowerAction::Suspend,
        PowerAction::Resume,
        PowerAction::Shutdown {
            timeout: Some(10),
            force_stop: true,
        },
        PowerAction::Start,
        PowerAction::Stop {
            overrule_shutdown: false,
        },
    ] {
        let upid = pve
            .power(&pve1, lxc, vmid, action)
            .await
            .expect("power action");
        pve.wait_task(&upid, &wait())
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
    }
    assert!(
        !pve.guest_status(&pve1, lxc, vmid)
            .await
            .unwrap()
            .is_running()
    );

    let snap = SnapshotRequest {
        name: "before".to_string(),
        description: Some("first".to_string()),
        vmstate: false,
    };
    let upid = pve
        .create_snapshot(&pve1, lxc, vmid, &snap)
        .await
        .expect("snapshot");
    pve.wait_task(&upid, &wait()).await.expect("snapshot task");
    let snapshots = pve.snapshots(&pve1, lxc, vmid).await.expect("snapshots");
    assert!(snapshots.iter().any(|s| s.name == "before" && s.is_real()));
    assert!(snapshots.iter().any(|s| !s.is_real()));
    let upid = pve
        .rollback_snapshot(&pve1, lxc, vmid, "before", false)
        .await
        .expect("rollback");
    pve.wait_task(&upid, &wait()).await.expect("rollback task");
    let upid = pve
        .delete_snapshot(&pve1, lxc, vmid, "before", false)
        .await
        .expect("delsnap");
    pve.wait_task(&upid, &wait())
        .await
        .expect("delete snapshot task");
    let snapshots = pve.snapshots(&pve1, lxc, vmid).await.unwrap();
    assert!(snapshots.iter().all(|s| s.name != "before"));

    let resize = ResizeRequest {
        disk: "rootfs".to_string(),
        size: "+1G".to_string(),
    };
    if let Some(upid) = pve
        .resize_disk(&pve1, lxc, vmid, &resize)
        .await
        .expect("resize")
    {
        pve.wait_task(&upid, &wait()).await.expect("resize task");
    }
    let rootfs = pve
        .guest_config(&pve1, lxc, vmid)
        .await
        .unwrap()
        .get("rootfs")
        .unwrap();
    assert!(rootfs.contains("size=5G"), "{rootfs}");

    let clone = CloneRequest {
        name: Some("ct-clone".to_string()),
        full: Some(true),
        storage: Some("local-lvm".to_string()),
        ..CloneRequest::default()
    };
    let cloned = pve
        .clone_guest(&pve1, lxc, vmid, &clone)
        .await
        .expect("clone");
    pve.wait_task(&cloned.upid, &wait())
        .await
        .expect("clone task");
    assert_ne!(cloned.vmid, vmid);

    // The seeded nodes have one storage for container volumes (local-lvm), so a
    // successful move cannot happen here; PVE's refusals still prove the request
    // shape (the schema check at the end covers it) and the error mapping.
    let mut moved = MoveVolumeRequest {
        volume: "rootfs".to_string(),
        storage: Some("local".to_string()),
        delete_source: true,
        ..MoveVolumeRequest::default()
    };
    let refused = pve.move_volume(&pve1, lxc, cloned.vmid, &moved).await;
    let refused = match refused {
        Err(err) => err,
        Ok(upid) => pve
            .wait_task(&upid, &wait())
            .await
            .expect_err("local has no rootdir"),
    };
    assert!(refused.to_string().contains("local"), "{refused}");
    moved.storage = None;
    moved.target_vmid = Some(vmid);
    moved.target_volume = Some("mp0".to_string());
    assert!(
        pve.move_volume(&pve1, lxc, cloned.vmid, &moved)
            .await
            .is_err()
    );

    let migrate = MigrateRequest::to(pve2.clone());
    let upid = pve
        .migrate_guest(&pve1, lxc, cloned.vmid, &migrate)
        .await
        .expect("migrate");
    pve.wait_task(&upid, &wait()).await.expect("migrate task");
    assert!(
        pve.guests(&pve2, lxc)
            .await
            .unwrap()
            .iter()
            .any(|g| g.vmid == cloned.vmid)
    );

    let rrd = pve
        .guest_rrddata(&pve1, lxc, vmid, Timeframe::Day, Consolidation::Max)
        .await
        .expect("rrd");
    assert!(!rrd.is_empty());

    let start = pve
        .power(&pve1, lxc, vmid, PowerAction::Start)
        .await
        .unwrap();
    pve.wait_task(&start, &wait()).await.unwrap();
    let term = pve.termproxy(&pve1, lxc, vmid).await.expect("termproxy");
    assert!(term.port.is_some() && !term.ticket.is_empty());
    let vnc = pve
        .vncproxy(
            &pve1,
            lxc,
            vmid,
            VncProxyOptions {
                websocket: true,
                generate_password: false,
            },
        )
        .await
        .expect("vncproxy");
    let url = pve
        .vnc_websocket_url(&pve1, lxc, vmid, &vnc)
        .expect("websocket url");
    assert_eq!(url.scheme(), "wss");
    assert!(url.path().ends_with(&format!("/lxc/{vmid}/vncwebsocket")));
    assert!(url.query().unwrap().contains("vncticket="));
    // The URL is what PVE expects: the simulator verifies the encoded ticket against
    // the user, the guest and the port (a websocket handshake is this GET plus upgrade).
    let mut https_url = url.clone();
    https_url.set_scheme("https").expect("wss maps to https");
    let answer: serde_json::Value = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .get(https_url)
        .header(
            "Authorization",
            format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"),
        )
        .send()
        .await
        .expect("vncwebsocket reachable")
        .error_for_status()
        .expect("the ticket in the URL is accepted")
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["port"], vnc.port.unwrap().to_string());

    let running_delete = pve
        .delete_guest(&pve1, lxc, vmid, DeleteOptions::default())
        .await;
    let refused = match running_delete {
        Err(err) => Some(err),
        Ok(upid) => pve.wait_task(&upid, &wait()).await.err(),
    };
    assert!(refused.is_some(), "deleting a running container must fail");
    let stop = PowerAction::Stop {
        overrule_shutdown: true,
    };
    let upid = pve.power(&pve1, lxc, vmid, stop).await.unwrap();
    pve.wait_task(&upid, &wait()).await.unwrap();
    let options = DeleteOptions {
        purge: true,
        destroy_unreferenced_disks: true,
    };
    let upid = pve
        .delete_guest(&pve1, lxc, vmid, options)
        .await
        .expect("delete");
    pve.wait_task(&upid, &wait()).await.expect("delete task");
    let gone = pve.guest_config(&pve1, lxc, vmid).await;
    assert!(matches!(gone, Err(PveError::NotFound { .. })), "{gone:?}");
    let upid = pve
        .delete_guest(&pve2, lxc, cloned.vmid, DeleteOptions::default())
        .await
        .unwrap();
    pve.wait_task(&upid, &wait()).await.unwrap();
    finish(sim).await;
}

#[tokio::test]
async fn concurrent_creations_get_distinct_ids() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let [a, b, c, d] = ["race0", "race1", "race2", "race3"].map(container);
    // All four ask /cluster/nextid at about the same time and get the same answer;
    // the losers must see "already exists" and move on to the next free id.
    let created = tokio::join!(
        pve.create_lxc(&pve1, &a),
        pve.create_lxc(&pve1, &b),
        pve.create_lxc(&pve1, &c),
        pve.create_lxc(&pve1, &d),
    );
    let mut ids: Vec<u32> = [created.0, created.1, created.2, created.3]
        .into_iter()
        .map(|c| c.expect("every racing creation succeeds").vmid.get())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{ids:?}");
    let creates: Vec<u16> = sim
        .recorded_entries()
        .iter()
        .filter(|e| e.request.path == "/nodes/pve1/lxc")
        .map(|e| e.status)
        .collect();
    let conflicts = creates.iter().filter(|status| **status == 500).count();
    assert!(
        conflicts >= 1,
        "the race happened and was retried: {creates:?}"
    );
    assert_eq!(creates.len() - conflicts, 4, "{creates:?}");
    finish(sim).await;
}
