//! Protected backups (pve-storage's `.protected` file): vzdump's `protected` option,
//! the content listing, `PUT …/content/{volume}`, and the refusals that protection
//! brings — deleting (the `imgdel` task fails) and pruning (left out of the count).

use serde_json::Value;

use crate::handlers::guests::testutil::*;

/// Back up 101 to `local` with `extra` options; the archive's volid from the task log.
async fn backup(sim: &crate::Sim, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("vmid", "101"), ("storage", "local"), ("remove", "0")];
    params.extend_from_slice(extra);
    let task = run(sim, "POST", "/nodes/pve1/vzdump", &params).await;
    assert!(exit_ok(&task), "{task:?}");
    let line = task
        .log
        .iter()
        .find(|l| l.contains("creating vzdump archive"))
        .expect("archive line");
    let file = line.rsplit('/').next().unwrap().trim_end_matches('\'');
    format!("local:backup/{file}")
}

fn listed(sim: &crate::Sim, volid: &str) -> Value {
    let list = call(
        sim,
        "GET",
        "/nodes/pve1/storage/local/content",
        &[("content", "backup"), ("vmid", "101")],
    )
    .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["volid"] == volid)
        .cloned()
        .unwrap_or_else(|| panic!("{volid} not listed in {list}"))
}

fn content_path(volid: &str) -> String {
    format!("/nodes/pve1/storage/local/content/{volid}")
}

#[tokio::test]
async fn a_protected_backup_is_listed_so_and_cannot_be_deleted_until_unprotected() {
    let sim = sim();
    let volid = backup(&sim, &[("protected", "1"), ("compress", "zstd")]).await;
    let entry = listed(&sim, &volid);
    assert_eq!(entry["protected"], 1, "{entry}");
    assert_eq!(entry["subtype"], "lxc");
    assert_eq!(entry["format"], "tar.zst");
    let attributes = call(&sim, "GET", &content_path(&volid), &[]).unwrap();
    assert_eq!(attributes["protected"], 1);

    let refused = run(&sim, "DELETE", &content_path(&volid), &[]).await;
    let volname = volid.strip_prefix("local:").unwrap();
    assert_eq!(
        refused.exitstatus.as_deref(),
        Some(format!("cannot remove protected volume '{volname}' on 'local'").as_str())
    );
    assert!(has_volume(&sim, "pve1", &volid));

    call(
        &sim,
        "PUT",
        &content_path(&volid),
        &[("protected", "0"), ("notes", "keep me")],
    )
    .unwrap();
    let entry = listed(&sim, &volid);
    assert!(entry.get("protected").is_none(), "{entry}");
    assert_eq!(entry["notes"], "keep me");
    let deleted = run(&sim, "DELETE", &content_path(&volid), &[]).await;
    assert!(exit_ok(&deleted), "{deleted:?}");
    assert!(!has_volume(&sim, "pve1", &volid));
}

#[tokio::test]
async fn vzdump_logs_the_protection_and_pruning_passes_protected_archives_by() {
    let sim = sim();
    let kept = backup(&sim, &[("protected", "1")]).await;
    let pruning = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[
            ("vmid", "101"),
            ("storage", "local"),
            ("prune-backups", "keep-last=1"),
        ],
    ));
    let task = wait(&sim, &pruning).await;
    assert!(exit_ok(&task), "{task:?}");
    let log = log_text(&task);
    assert!(!log.contains("marking backup as protected"), "{log}");
    assert!(log.contains("INFO: pruned 0 backup(s)"), "{log}");
    assert!(
        has_volume(&sim, "pve1", &kept),
        "a protected archive is never pruned"
    );

    let protected_log = {
        let protecting = upid(call(
            &sim,
            "POST",
            "/nodes/pve1/vzdump",
            &[("vmid", "101"), ("storage", "local"), ("protected", "1")],
        ));
        log_text(&wait(&sim, &protecting).await)
    };
    assert!(
        protected_log.contains("INFO: marking backup as protected"),
        "{protected_log}"
    );
}

#[tokio::test]
async fn only_backups_take_the_protected_attribute() {
    let sim = sim();
    let iso = {
        let cluster = sim.cluster.lock();
        cluster.nodes["pve1"].storages["local"]
            .volumes
            .values()
            .find(|v| v.content != "backup")
            .map(|v| v.volid.clone())
            .expect("a non-backup volume on local")
    };
    let refused = call(&sim, "PUT", &content_path(&iso), &[("protected", "1")]);
    assert_eq!(
        error_message(refused),
        "only backups support attribute 'protected'"
    );
}
