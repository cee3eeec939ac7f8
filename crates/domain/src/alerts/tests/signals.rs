//! Signals other features raise (failed jobs, backups) and what disabling or deleting
//! a rule does to its alerts, with the fixtures of `super`.

use super::*;

#[tokio::test]
async fn failed_jobs_and_backups_are_signalled_once() {
    let f = Fixture::new().await;
    f.only(&[Builtin::JobFailed, Builtin::BackupFailed]).await;
    let ids = f.mirror(vec![guest(100, "web", "running")], "online").await;
    let job = f.job_on(ids[0], "instance.start").await;
    f.finish_next(
        JobOutcome::Failed {
            error: "TASK ERROR: no space".into(),
        },
        f.at(0),
    )
    .await;
    assert_eq!(f.evaluator.evaluate(f.at(1)).await.unwrap().fired, 1);
    let open = f.store.alerts().open_alerts().await.unwrap();
    assert_eq!(open[0].resource.id, job.to_string());
    assert_eq!(
        open[0].message,
        "instance.start failed: TASK ERROR: no space"
    );
    assert_eq!(
        f.evaluator.evaluate(f.at(2)).await.unwrap().fired,
        0,
        "once"
    );
    // A day later it resolves, and is not raised again.
    assert_eq!(
        f.evaluator
            .evaluate(f.at(1 + 24 * 60))
            .await
            .unwrap()
            .resolved,
        1
    );
    assert_eq!(
        f.evaluator.evaluate(f.at(2 + 24 * 60)).await.unwrap().fired,
        0
    );

    // The backup feature's seam: raise, raise again (one alert), clear.
    let resource = AlertResource {
        kind: "instance".into(),
        id: ids[0].to_string(),
    };
    let signal = |message: &str| Signal {
        builtin: Builtin::BackupFailed,
        resource: resource.clone(),
        resource_name: "web".into(),
        owner_id: None,
        message: message.into(),
    };
    let first = f
        .signals
        .raise(signal("disk full"), f.at(0))
        .await
        .unwrap()
        .unwrap();
    let again = f
        .signals
        .raise(signal("still full"), f.at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, again.message.as_str()), (again.id, "still full"));
    assert!(
        f.signals
            .clear(Builtin::BackupFailed, &resource, f.at(2))
            .await
            .unwrap()
    );
    assert!(
        !f.signals
            .clear(Builtin::BackupFailed, &resource, f.at(3))
            .await
            .unwrap()
    );
    f.set_enabled(Builtin::BackupFailed, false).await;
    assert_eq!(f.signals.raise(signal("x"), f.at(4)).await.unwrap(), None);
}

#[tokio::test]
async fn disabling_or_deleting_a_rule_resolves_its_alerts() {
    let f = Fixture::new().await;
    f.only(&[Builtin::NodeOffline]).await;
    let admin = f.user("root", Role::Admin).await;
    let mut fields = cpu_rule("all", None);
    fields.for_seconds = 0;
    let custom = f
        .store
        .alerts()
        .insert_rule(admin, &fields, f.t0)
        .await
        .unwrap();
    f.mirror(vec![busy(guest(100, "web", "running"), 0.99)], "offline")
        .await;
    f.evaluator.evaluate(f.at(0)).await.unwrap();
    assert_eq!(
        f.evaluator.evaluate(f.at(1)).await.unwrap().fired,
        1,
        "the node"
    );
    f.set_enabled(Builtin::NodeOffline, false).await;
    f.store.alerts().delete_rule(custom.id).await.unwrap();
    assert_eq!(f.evaluator.evaluate(f.at(2)).await.unwrap().resolved, 2);
    assert!(f.store.alerts().open_alerts().await.unwrap().is_empty());
}
