use proxicloud_pve::{ConfigUpdate, GuestType, PowerAction, Pve, PveError, VmId};
use reqwest::Method;

use crate::common::{control, finish, node, start_default, token_client, wait};
use crate::lxc::container;

#[tokio::test]
async fn pve_failures_arrive_as_typed_errors() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");

    let missing = VmId::new(999_999).unwrap();
    let err = pve
        .guest_config(&pve1, GuestType::Qemu, missing)
        .await
        .expect_err("missing");
    assert!(matches!(err, PveError::NotFound { .. }), "{err:?}");

    let mut bad = container("bad-params");
    bad.extra
        .insert("no-such-option".to_string(), "1".to_string());
    bad.extra.insert("tty".to_string(), "99".to_string());
    let err = pve
        .create_lxc(&pve1, &bad)
        .await
        .expect_err("schema rejects");
    let PveError::ParameterVerification { fields, .. } = &err else {
        panic!("expected ParameterVerification, got {err:?}");
    };
    assert!(fields.contains_key("no-such-option"), "{fields:?}");
    assert!(fields.contains_key("tty"), "{fields:?}");

    let ct = pve.create_lxc(&pve1, &container("locked")).await.unwrap();
    pve.wait_task(&ct.upid, &wait()).await.unwrap();
    control(
        &sim,
        Method::POST,
        &format!("guests/{}/lock?lock=backup", ct.vmid),
    )
    .await;
    let update = ConfigUpdate {
        description: Some("while locked".to_string()),
        ..ConfigUpdate::default()
    };
    let err = pve
        .update_guest_config(&pve1, GuestType::Lxc, ct.vmid, &update)
        .await
        .expect_err("locked");
    assert!(
        matches!(&err, PveError::Locked { message } if message.contains("backup")),
        "{err:?}"
    );
    // PVE checks the lock of a start inside the worker, so it is the task that fails.
    let upid = pve
        .power(&pve1, GuestType::Lxc, ct.vmid, PowerAction::Start)
        .await
        .expect("start task is created");
    let err = pve
        .wait_task(&upid, &wait())
        .await
        .expect_err("locked start fails");
    assert!(
        matches!(&err, PveError::TaskFailed { exitstatus, .. } if exitstatus.contains("locked")),
        "{err:?}"
    );
    control(&sim, Method::DELETE, &format!("guests/{}/lock", ct.vmid)).await;

    let upid = pve
        .power(&pve1, GuestType::Lxc, ct.vmid, PowerAction::Start)
        .await
        .unwrap();
    pve.wait_task(&upid, &wait()).await.unwrap();
    let err = pve
        .power(&pve1, GuestType::Lxc, ct.vmid, PowerAction::Start)
        .await
        .expect_err("already running");
    assert!(matches!(err, PveError::Conflict { .. }), "{err:?}");

    // An offline node: pveproxy cannot reach it and answers 595 with its reason.
    control(&sim, Method::POST, "nodes/pve2/offline").await;
    let err = pve.node_status(&node("pve2")).await.expect_err("offline");
    assert!(
        matches!(&err, PveError::Server { status: 595, message } if message.contains("No route to host")),
        "{err:?}"
    );
    assert!(err.is_transient());
    finish(sim).await;
}
