use std::time::Duration;

use proxicloud_pve::{GuestType, PowerAction, Pve, PveError, TaskFilter, WaitOptions};
use reqwest::Method;

use crate::common::{control, finish, node, sim_config, start, start_default, token_client, wait};
use crate::lxc::container;

#[tokio::test]
async fn task_status_log_and_lists() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let created = pve.create_lxc(&pve1, &container("ct-tasks")).await.unwrap();
    let success = pve.wait_task(&created.upid, &wait()).await.expect("create");
    assert_eq!(success.warnings, 0);

    let status = pve.task_status(&created.upid).await.expect("status");
    assert_eq!(status.status, "stopped");
    assert_eq!(status.exitstatus.as_deref(), Some("OK"));
    assert_eq!(status.kind, created.upid.task_type());

    let log = pve.task_log(&created.upid, 0, 0).await.expect("whole log");
    assert!(log.lines.len() >= 2, "{log:?}");
    assert_eq!(log.lines.last().map(|l| l.t.as_str()), Some("TASK OK"));
    assert_eq!(log.lines[0].n, Some(1));
    let second_line = pve.task_log(&created.upid, 1, 1).await.expect("paged log");
    assert_eq!(second_line.lines.len(), 1);
    assert_eq!(second_line.lines[0].t, log.lines[1].t);
    // PVE reports the log's line count beside every page.
    let lines = log.lines.len() as u64;
    assert_eq!((log.total, second_line.total), (Some(lines), Some(lines)));

    let filter = TaskFilter {
        vmid: Some(created.vmid),
        limit: Some(10),
        source: Some("all".to_string()),
        ..TaskFilter::default()
    };
    let tasks = pve.node_tasks(&pve1, &filter).await.expect("node tasks");
    assert!(tasks.iter().any(|t| t.upid == created.upid), "{tasks:?}");
    let recent = pve.cluster_tasks().await.expect("cluster tasks");
    assert!(recent.iter().any(|t| t.upid == created.upid));
    finish(sim).await;
}

#[tokio::test]
async fn failing_task_reports_exit_status_and_log_tail() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let vmid = pve.guests(&pve1, GuestType::Lxc).await.unwrap()[0].vmid;
    let stopped = !pve
        .guest_status(&pve1, GuestType::Lxc, vmid)
        .await
        .unwrap()
        .is_running();
    control(&sim, Method::POST, "tasks/fail-next?count=1").await;
    let action = if stopped {
        PowerAction::Start
    } else {
        PowerAction::Stop {
            overrule_shutdown: false,
        }
    };
    let upid = pve
        .power(&pve1, GuestType::Lxc, vmid, action)
        .await
        .expect("accepted");
    let err = pve
        .wait_task(&upid, &wait())
        .await
        .expect_err("injected failure");
    let PveError::TaskFailed {
        upid: failed,
        exitstatus,
        log_tail,
    } = err
    else {
        panic!("expected TaskFailed, got {err:?}");
    };
    assert_eq!(*failed, upid);
    assert_ne!(exitstatus, "OK");
    assert!(!log_tail.is_empty() && log_tail.len() <= 20);
    let last = log_tail.last().expect("log tail");
    assert!(last.starts_with("TASK ERROR:"), "{last}");
    assert!(last.contains(&exitstatus), "{last} vs {exitstatus}");
    finish(sim).await;
}

#[tokio::test]
async fn waiting_gives_up_after_the_timeout_and_tasks_can_be_stopped() {
    let mut config = sim_config();
    config.time_scale = 1.0; // a container start takes seconds, as on real PVE
    let sim = start(config).await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let created = pve.create_lxc(&pve1, &container("ct-slow")).await.unwrap();
    let impatient = WaitOptions {
        poll_interval: Duration::from_millis(20),
        timeout: Duration::from_millis(100),
        log_tail_lines: 20,
    };
    let err = pve
        .wait_task(&created.upid, &impatient)
        .await
        .expect_err("too slow");
    assert!(matches!(err, PveError::Timeout { .. }), "{err:?}");
    pve.stop_task(&created.upid).await.expect("stop task");
    let err = pve
        .wait_task(&created.upid, &wait())
        .await
        .expect_err("stopped task failed");
    assert!(matches!(err, PveError::TaskFailed { .. }), "{err:?}");
    finish(sim).await;
}
