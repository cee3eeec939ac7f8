use std::sync::Arc;

use proxicloud_store::{MetricChunk, SeriesKey, Store};

fn chunk(series_id: i64, resolution: i64, start: i64, end: i64, data: &[u8]) -> MetricChunk {
    MetricChunk {
        series_id,
        resolution,
        start,
        end,
        count: data.len() as i64,
        data: data.to_vec(),
        data_max: (resolution > 60).then(|| data.iter().rev().copied().collect()),
    }
}

pub async fn series_are_created_once_and_found_per_resource(store: Arc<dyn Store>) {
    let repo = store.metrics();
    let keys = [
        SeriesKey::new("guest/a", "cpu"),
        SeriesKey::new("guest/a", "mem"),
        SeriesKey::new("guest/b", "cpu"),
    ];
    let ids = repo.ensure_series(&keys).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    // Again, in another order and with a new one: the old ids come back.
    let again = repo
        .ensure_series(&[
            keys[2].clone(),
            SeriesKey::new("guest/a", "netin"),
            keys[0].clone(),
        ])
        .await
        .unwrap();
    assert_eq!((again[0], again[2]), (ids[2], ids[0]));
    assert!(!ids.contains(&again[1]));
    assert_eq!(
        repo.series_of("guest/a").await.unwrap(),
        vec![
            ("cpu".into(), ids[0]),
            ("mem".into(), ids[1]),
            ("netin".into(), again[1])
        ]
    );
    assert!(repo.series_of("guest/c").await.unwrap().is_empty());
    // More keys than one statement takes.
    let many: Vec<SeriesKey> = (0..1000)
        .map(|i| SeriesKey::new(format!("guest/{}", i / 9), format!("m{}", i % 9)))
        .collect();
    let many_ids = repo.ensure_series(&many).await.unwrap();
    assert_eq!(repo.ensure_series(&many).await.unwrap(), many_ids);
}

pub async fn chunks_are_replaced_by_key_and_read_by_overlap(store: Arc<dyn Store>) {
    let repo = store.metrics();
    let ids = repo
        .ensure_series(&[
            SeriesKey::new("node/c/pve1", "cpu"),
            SeriesKey::new("node/c/pve1", "mem"),
        ])
        .await
        .unwrap();
    let (cpu, mem) = (ids[0], ids[1]);
    repo.put_chunks(&[
        chunk(cpu, 60, 0, 7140, b"ab"),
        chunk(cpu, 60, 7200, 7260, b"c"),
        chunk(mem, 60, 0, 60, b"m"),
        chunk(cpu, 1800, 0, 84_600, b"r1"),
    ])
    .await
    .unwrap();
    // The open chunk grows: same key, new end and bytes.
    repo.put_chunks(&[chunk(cpu, 60, 7200, 7320, b"cd")])
        .await
        .unwrap();

    let raw = repo.chunks(&[cpu, mem], 60, 7000, 8000).await.unwrap();
    assert_eq!(
        raw,
        vec![
            chunk(cpu, 60, 0, 7140, b"ab"),
            chunk(cpu, 60, 7200, 7320, b"cd")
        ],
        "mem's chunk ends before 7000; the replaced chunk has its new end and bytes"
    );
    assert_eq!(repo.chunks(&[cpu], 60, 7321, 9000).await.unwrap(), vec![]);
    assert_eq!(
        repo.chunks(&[cpu], 1800, 0, 10).await.unwrap(),
        vec![chunk(cpu, 1800, 0, 84_600, b"r1")],
        "rollups keep their maxima apart"
    );
    assert_eq!(
        repo.latest_chunks(&[mem, cpu], 60).await.unwrap(),
        vec![
            chunk(cpu, 60, 7200, 7320, b"cd"),
            chunk(mem, 60, 0, 60, b"m")
        ]
    );
    let footprint = repo.footprint().await.unwrap();
    assert_eq!((footprint.chunks, footprint.samples), (4, 7));
    assert_eq!(footprint.bytes, 2 + 2 + 1 + 2 + 2);
}

pub async fn retention_deletes_old_chunks_of_one_resolution_in_bounded_steps(
    store: Arc<dyn Store>,
) {
    let repo = store.metrics();
    let ids = repo
        .ensure_series(&[SeriesKey::new("guest/a", "cpu")])
        .await
        .unwrap();
    let chunks: Vec<MetricChunk> = (0..5)
        .map(|i| chunk(ids[0], 60, i * 7200, i * 7200 + 7140, b"x"))
        .chain([chunk(ids[0], 1800, 0, 84_600, b"r")])
        .collect();
    repo.put_chunks(&chunks).await.unwrap();

    // Everything ending before 30,000 (four raw chunks), two at a time, oldest first.
    assert_eq!(repo.delete_chunks_before(60, 30_000, 2).await.unwrap(), 2);
    let left = repo.chunks(&ids, 60, 0, i64::MAX).await.unwrap();
    assert_eq!(
        left.iter().map(|c| c.start).collect::<Vec<_>>(),
        [14_400, 21_600, 28_800]
    );
    assert_eq!(repo.delete_chunks_before(60, 30_000, 2).await.unwrap(), 2);
    assert_eq!(repo.delete_chunks_before(60, 30_000, 2).await.unwrap(), 0);
    assert_eq!(repo.chunks(&ids, 60, 0, i64::MAX).await.unwrap().len(), 1);
    assert_eq!(
        repo.chunks(&ids, 1800, 0, i64::MAX).await.unwrap().len(),
        1,
        "other resolutions are untouched"
    );
    assert_eq!(
        repo.series_of("guest/a").await.unwrap().len(),
        1,
        "series stay"
    );
}
