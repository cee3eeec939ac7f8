//! The writer's chunks and rollups, retention and reads, with a controlled clock on a
//! real (SQLite) store. Collection against the simulator is tested in the API's
//! integration tests (`crates/api/tests/api/metrics_collect.rs`).

use std::sync::Arc;

use proxicloud_store::{SeriesKey, Store};
use proxicloud_tsdb::chunk;

use super::writer::{RAW, ROLLUP, SeriesWriter};
use super::*;

/// 2026-01-01T00:00:00Z: a whole day, so spans and buckets line up with it.
const T0: i64 = 1_767_225_600;

async fn store() -> Arc<dyn Store> {
    proxicloud_store::connect("sqlite::memory:").await.unwrap()
}

async fn series(store: &dyn Store, resource: &str, name: &str) -> i64 {
    store
        .metrics()
        .ensure_series(&[SeriesKey::new(resource, name)])
        .await
        .unwrap()[0]
}

#[tokio::test]
async fn raw_chunks_span_two_hours_and_closed_buckets_roll_up() {
    let store = store().await;
    let id = series(&*store, "guest/a", "cpu").await;
    let mut writer = SeriesWriter::new(store.clone());
    writer.load(&[id]).await.unwrap();
    // Three hours of minutes, value = minute of the half hour (0..29).
    for m in 0..180 {
        let t = T0 + 60 * m;
        assert!(writer.append(id, t, (m % 30) as f64).unwrap());
    }
    assert!(
        !writer.append(id, T0, 1.0).unwrap(),
        "not after the last: refused"
    );
    writer.flush().await.unwrap();

    let raw = store
        .metrics()
        .chunks(&[id], RAW, T0, T0 + 86_400)
        .await
        .unwrap();
    assert_eq!(
        raw.iter().map(|c| (c.start, c.count)).collect::<Vec<_>>(),
        [(T0, 120), (T0 + 7200, 60)]
    );
    let rollups = store
        .metrics()
        .chunks(&[id], ROLLUP, T0, T0 + 86_400)
        .await
        .unwrap();
    assert_eq!(rollups.len(), 1);
    let avg = chunk::decode(&rollups[0].data).unwrap();
    let max = chunk::decode(rollups[0].data_max.as_deref().unwrap()).unwrap();
    // Five buckets closed; the sixth (the last half hour) is still open.
    assert_eq!(
        avg.iter().map(|s| s.t).collect::<Vec<_>>(),
        (0..5).map(|b| T0 + 1800 * b).collect::<Vec<_>>()
    );
    assert!(avg.iter().all(|s| s.v == 14.5), "{avg:?}");
    assert!(max.iter().all(|s| s.v == 29.0), "{max:?}");

    // A new process continues the open chunk and bucket where the stored ones end.
    let mut again = SeriesWriter::new(store.clone());
    again.load(&[id]).await.unwrap();
    assert_eq!(again.last_t(id), Some(T0 + 179 * 60));
    assert!(again.append(id, T0 + 180 * 60, 7.0).unwrap());
    again.flush().await.unwrap();
    let rollups = store
        .metrics()
        .chunks(&[id], ROLLUP, T0, T0 + 86_400)
        .await
        .unwrap();
    let avg = chunk::decode(&rollups[0].data).unwrap();
    assert_eq!(avg.len(), 6, "the sixth bucket closed in the new process");
    assert_eq!(avg[5].v, 14.5);
}

#[tokio::test]
async fn a_gap_leaves_missing_points_not_zeros() {
    let store = store().await;
    let id = series(&*store, "guest/b", "cpu").await;
    let mut writer = SeriesWriter::new(store.clone());
    writer.load(&[id]).await.unwrap();
    for m in (0..10).chain(40..60) {
        writer.append(id, T0 + 60 * m, 0.5).unwrap();
    }
    writer.flush().await.unwrap();
    let now = T0 + 3600;
    let data = read(
        &*store,
        &ResourceKey("guest/b".into()),
        &["cpu", "mem"],
        Period::Hour,
        now,
    )
    .await
    .unwrap();
    assert_eq!(data.resolution_s, 60);
    assert_eq!(data.timestamps.len(), 60);
    let cpu = &data.series["cpu"];
    let present: Vec<usize> = (0..60).filter(|i| cpu[*i].is_some()).collect();
    assert_eq!(present, (0..10).chain(40..60).collect::<Vec<_>>());
    assert!(
        data.series["mem"].iter().all(Option::is_none),
        "never collected: all gaps"
    );

    let month = read(
        &*store,
        &ResourceKey("guest/b".into()),
        &["cpu"],
        Period::Month,
        now,
    )
    .await
    .unwrap();
    assert!(month.timestamps.len() <= MAX_POINTS);
    assert_eq!(month.resolution_s % ROLLUP, 0);
}

#[tokio::test]
async fn retention_keeps_a_day_of_raw_data_and_the_configured_days_of_rollups() {
    let store = store().await;
    let id = series(&*store, "node/c/pve1", "cpu").await;
    let mut writer = SeriesWriter::new(store.clone());
    writer.load(&[id]).await.unwrap();
    // Ten days, one sample every ten minutes.
    for i in 0..(10 * 144) {
        writer.append(id, T0 + 600 * i, 1.0).unwrap();
    }
    writer.flush().await.unwrap();
    let now = T0 + 10 * 86_400;
    let deleted = prune(&*store, 3, now).await.unwrap();
    assert!(deleted > 0);
    let raw = store.metrics().chunks(&[id], RAW, 0, now).await.unwrap();
    assert!(raw.iter().all(|c| c.end >= now - RAW_RETENTION), "{raw:?}");
    assert!(
        raw.iter().any(|c| c.start <= now - RAW_RETENTION),
        "the last day is whole"
    );
    let rollups = store.metrics().chunks(&[id], ROLLUP, 0, now).await.unwrap();
    assert!(rollups.iter().all(|c| c.end >= now - 3 * 86_400));
    assert_eq!(rollups.len(), 3, "{rollups:?}");
    assert_eq!(
        prune(&*store, 3, now).await.unwrap(),
        0,
        "nothing left to prune"
    );
}

#[test]
fn unknown_periods_and_series_are_refused() {
    assert!(Period::parse("2h").is_err());
    assert_eq!(Period::parse("30d").unwrap(), Period::Month);
    assert!(select_series(ResourceKind::Instance, &["bogus".into()]).is_err());
    assert_eq!(
        select_series(ResourceKind::Storage, &[]).unwrap(),
        vec!["used", "total"]
    );
}
