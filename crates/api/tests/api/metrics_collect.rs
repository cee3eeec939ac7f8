//! Metrics collection against the simulator with a controlled clock: the first cycle
//! backfills a day of raw samples and a month of rollups from `rrddata` and reads the
//! export; a cluster without the export is sampled through `/cluster/resources`, where
//! a guest restart (its counters start again from zero) gives no rate for that minute
//! and an offline cluster leaves a gap and is retried after a back-off.

use proxicloud_domain::metrics::{MetricsCollector, Period, ResourceKey, read, unix_now};
use proxicloud_store::Uuid;
use reqwest::Method;

use crate::sim_support::{SIM_GUESTS, eventually, spawn_app_with_sim};

fn present(values: &[Option<f64>]) -> usize {
    values.iter().filter(|v| v.is_some()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_export_sampling_counter_reset_and_offline_gap() {
    let mut world = spawn_app_with_sim().await;
    let admin = world.app.admin().await;
    world.register(&admin).await;
    let instances = world.wait_for_inventory(&admin).await;
    // From here on nothing runs behind the test's back: it drives each cycle itself.
    world.stop_inventory().await;
    // The container that has run longest (the seed starts guests up to 30 days ago).
    let (vmid, started_at) = {
        let cluster = world.cluster();
        cluster
            .guests
            .values()
            .filter(|g| g.kind == proxicloud_types::GuestType::Lxc)
            .filter_map(|g| Some((g.vmid, g.started_at?)))
            .min_by_key(|(_, started)| *started)
            .expect("a running container in the simulated cluster")
    };
    let running = instances
        .iter()
        .find(|i| i["vmid"].as_u64() == Some(u64::from(vmid)))
        .unwrap();
    let guest: Uuid = running["id"].as_str().unwrap().parse().unwrap();
    let key = ResourceKey::instance(guest);
    let collector = world.app.services.get::<MetricsCollector>();
    let store = world.app.services.platform().store.clone();
    let t0 = unix_now();
    let minute = |t: i64| t - t.rem_euclid(60);

    // 1. First connect: history from rrddata, then the export.
    let reports = collector.cycle(t0).await.unwrap();
    assert_eq!(reports.len(), 1);
    let first = &reports[0].1;
    assert!(first.used_export, "{first:?}");
    assert_eq!(first.unknown_guests, 0, "the mirror knew every guest");
    assert!(
        first.backfilled >= SIM_GUESTS + 3,
        "every guest and node: {first:?}"
    );
    // History as far back as the guest ran (gaps before), one point a step.
    let ran = t0 - started_at;
    let day = read(&*store, &key, &["cpu", "netin", "mem"], Period::Day, t0)
        .await
        .unwrap();
    assert!(day.timestamps.len() <= 1000);
    let expected = (ran.min(86_400) / day.resolution_s) as usize;
    for (name, values) in &day.series {
        let n = present(values);
        assert!(
            n + 3 >= expected && n <= expected + 2,
            "{name}: {n} points, ran {ran} s"
        );
    }
    let month = read(&*store, &key, &["cpu", "netin"], Period::Month, t0)
        .await
        .unwrap();
    assert_eq!(month.resolution_s, 3600);
    let expected = (ran.min(30 * 86_400) / 3600) as usize;
    let n = present(&month.series["cpu"]);
    assert!(
        n + 3 >= expected && n <= expected + 2,
        "rollups: {n} points, ran {ran} s"
    );

    // 2. A cluster without the export (501 "not implemented") is sampled instead.
    world
        .sim_control(Method::POST, "api/errors?status=501&count=1")
        .await;
    let t1 = t0 + 60;
    let reports = collector.cycle(t1).await.unwrap();
    assert!(!reports[0].1.used_export, "{:?}", reports[0].1);
    let second = collector.cycle(t0 + 120).await.unwrap();
    let at = |data: &proxicloud_domain::metrics::SeriesData, name: &str, t: i64| {
        let i = data
            .timestamps
            .iter()
            .position(|ts| *ts == minute(t))
            .unwrap();
        data.series[name][i]
    };
    let hour = read(&*store, &key, &["cpu", "netin"], Period::Hour, t0 + 120)
        .await
        .unwrap();
    assert!(at(&hour, "cpu", t0 + 120).is_some());
    let rate = at(&hour, "netin", t0 + 120).unwrap_or_else(|| {
        panic!(
            "a rate between two samples: {reports:?} {second:?} {:?}",
            &hour.series["netin"][hour.series["netin"].len() - 5..]
        )
    });
    assert!(rate >= 0.0);

    // 3. The guest restarts: its counters start from zero, so that minute has no rate.
    {
        let mut cluster = world.cluster();
        let guest = cluster.guests.get_mut(&vmid).unwrap();
        guest.started_at = Some(unix_now());
    }
    collector.cycle(t0 + 180).await.unwrap();
    collector.cycle(t0 + 240).await.unwrap();
    let hour = read(&*store, &key, &["cpu", "netin"], Period::Hour, t0 + 240)
        .await
        .unwrap();
    assert!(at(&hour, "cpu", t0 + 180).is_some());
    assert_eq!(
        at(&hour, "netin", t0 + 180),
        None,
        "no rate across a counter reset"
    );
    assert!(
        at(&hour, "netin", t0 + 240).is_some(),
        "rates resume after it"
    );

    // 4. Offline: the cycle fails, the cluster waits out a back-off, and the outage
    // stays a gap (the first rate after it would span it, so there is none).
    world.sim_control(Method::POST, "api/down").await;
    assert!(collector.cycle(t0 + 300).await.is_err());
    world.sim_control(Method::POST, "api/up").await;
    let skipped = collector.cycle(t0 + 360).await.unwrap();
    assert!(skipped.is_empty(), "backing off: not asked again yet");
    collector.cycle(t0 + 900).await.unwrap();
    collector.cycle(t0 + 960).await.unwrap();
    let hour = read(&*store, &key, &["cpu", "netin"], Period::Hour, t0 + 960)
        .await
        .unwrap();
    for t in (300..900).step_by(60) {
        assert_eq!(at(&hour, "cpu", t0 + t), None, "gap at +{t}s");
    }
    assert!(at(&hour, "cpu", t0 + 900).is_some());
    assert_eq!(
        at(&hour, "netin", t0 + 900),
        None,
        "no rate spanning the outage"
    );
    assert!(at(&hour, "netin", t0 + 960).is_some());

    // Every request passed PVE's schema, but for the one answered by the injected 501
    // before the check; the export and every rrddata timeframe were among them.
    let entries = world.sim.recorded_entries();
    assert!(entries.iter().all(|e| e.accepted || e.status == 501));
    assert_eq!(entries.iter().filter(|e| !e.accepted).count(), 1);
    let asked = |path: &str| {
        entries
            .iter()
            .any(|e| e.accepted && e.request.path.ends_with(path))
    };
    assert!(asked("/cluster/metrics/export") && asked("/rrddata"));
    world.shutdown().await;
}

/// The export only brings what is newer than the last cycle. A guest the mirror learns
/// of after a cycle skipped it (a launch, the first seconds after start-up) still gets
/// its history at the very next cycle, though the export has nothing new about it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_the_mirror_learns_late_gets_its_history_at_the_next_cycle() {
    let mut world = spawn_app_with_sim().await;
    let admin = world.app.admin().await;
    world.register(&admin).await;
    world.wait_for_inventory(&admin).await;
    world.stop_inventory().await;
    // A container that ran for two days appears in Proxmox; the mirror is not polling.
    let late = 990;
    {
        let mut cluster = world.cluster();
        let mut guest = cluster
            .guests
            .values()
            .find(|g| g.kind == proxicloud_types::GuestType::Lxc && g.started_at.is_some())
            .expect("a running container in the simulated cluster")
            .clone();
        guest.vmid = late;
        guest.config.insert("hostname".into(), "late".into());
        guest.started_at = Some(unix_now() - 2 * 86_400);
        cluster.guests.insert(late, guest);
    }
    let collector = world.app.services.get::<MetricsCollector>();
    let store = world.app.services.platform().store.clone();
    let t0 = unix_now();
    let first = collector.cycle(t0).await.unwrap().remove(0).1;
    assert_eq!(first.unknown_guests, 1, "{first:?}");

    // The mirror catches up; the next cycle follows at once, within the same export
    // generation (pvestatd's are 10 s apart).
    world.resume_inventory().await;
    let id: Uuid = eventually("the mirror knows the late guest", || async {
        let body: serde_json::Value = world
            .app
            .get("/api/v1/instances?limit=500", &admin.access)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        body["items"]
            .as_array()?
            .iter()
            .find(|i| i["vmid"].as_u64() == Some(u64::from(late)))?["id"]
            .as_str()?
            .parse()
            .ok()
    })
    .await;
    world.stop_inventory().await;
    let second = collector.cycle(t0 + 1).await.unwrap().remove(0).1;
    assert_eq!(second.unknown_guests, 0, "{second:?}");
    assert_eq!(second.backfilled, 1, "{second:?}");
    let day = read(
        &*store,
        &ResourceKey::instance(id),
        &["cpu"],
        Period::Day,
        t0 + 1,
    )
    .await
    .unwrap();
    let points = present(&day.series["cpu"]);
    let expected = day.timestamps.len();
    assert!(
        points + 3 >= expected,
        "a day of history: {points} of {expected}"
    );
    world.shutdown().await;
}
