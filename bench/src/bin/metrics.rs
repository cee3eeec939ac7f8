//! Benchmark of metrics storage at scale: 10,000 guests × 9 series, fast-forwarded to
//! the state after 30 days of collection, then timed collection cycles and 30-day
//! queries. Prints bytes per sample at rest, ingest CPU per cycle and query latency
//! percentiles (target: p99 ≤ 20 ms for one guest, 4 series, 30 days).
//!
//! ```sh
//! cargo build --release -p proxicloud-bench
//! target/release/bench-metrics --guests 10000 --days 30
//! target/release/bench-metrics --database postgres://…   # instead of a fresh SQLite file
//! ```
//!
//! How the 30 days are fast-forwarded: what a store holds after 30 days is the last
//! 24 hours of raw samples (one a minute: the collector keeps the first of pvestatd's
//! 10-second readings in each minute) and 30 days of 30-minute rollups (average and
//! maximum). Both are generated from a deterministic diurnal-plus-noise model per
//! guest, quantized and packed exactly as the collector packs them (`pack`), and
//! written with the store's own `put_chunks`. Then `--cycles` real collection cycles
//! go through the collector's `SeriesWriter` (append one minute of every series, close
//! rollup buckets, flush), and `--queries` reads go through the API's `read`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use proxicloud_bench::{ms, percentile};
use proxicloud_domain::metrics::{
    Period, RAW, RAW_SPAN, ROLLUP, ROLLUP_SPAN, ResourceKey, ResourceKind, SeriesWriter, pack, read,
};
use proxicloud_store::{MetricChunk, SeriesKey, Uuid};
use proxicloud_tsdb::Sample;

/// 2026-01-01T00:00:00Z, the simulated start.
const START: i64 = 1_767_225_600;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    guests: usize,
    /// Simulated days of history.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Timed collection cycles (one minute of every series each) after the history.
    #[arg(long, default_value_t = 10)]
    cycles: i64,
    /// Timed 30-day (and 24-hour) queries of one guest's four series.
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// A database URL; default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    database: Option<String>,
}

/// splitmix64: deterministic noise.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn unit(seed: u64, key: i64) -> f64 {
    (mix(seed ^ mix(key as u64)) >> 11) as f64 / (1u64 << 53) as f64
}

/// One guest's value of one series at `t`, and the maximum over the `width` seconds
/// from `t` (for rollups): a diurnal curve with noise, like real load.
fn value(guest: usize, series: usize, t: i64, width: i64) -> (f64, f64) {
    let seed = mix(guest as u64 * 16 + series as u64);
    let level = unit(seed, -1);
    let day = (std::f64::consts::TAU * (t.rem_euclid(86_400) as f64 / 86_400.0 + level)).sin();
    let noise = unit(seed, t / 60) - 0.5;
    let spike = unit(seed, t / width.max(60) + 7).powi(4);
    let maxmem = (1.0 + 3.0 * level).round() * GIB;
    let (v, peak) = match series {
        0 => {
            let cpu = 0.02 + 0.3 * level * level * (1.0 + 0.5 * day) + 0.02 * noise;
            (cpu.max(0.0), (cpu + 0.3 * spike).min(1.0))
        }
        1 => {
            let mem = maxmem * (0.4 + 0.05 * day + 0.01 * noise);
            (mem, mem * (1.0 + 0.05 * spike))
        }
        2 => (maxmem, maxmem),
        3 => {
            let disk = 8.0 * GIB * (0.3 + 0.4 * level) + (t - START) as f64 * 10.0;
            (disk, disk)
        }
        4 => (32.0 * GIB, 32.0 * GIB),
        _ => {
            let base = 1e3 * (1e3f64).powf(level);
            let rate = base * (1.0 + 0.5 * day + 0.3 * noise);
            (rate.max(0.0), rate * (1.0 + 3.0 * spike))
        }
    };
    (v, peak.max(v))
}

fn cpu_seconds() -> f64 {
    // utime and stime of /proc/self/stat, in clock ticks of 1/100 s (Linux's USER_HZ).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args.database.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("metrics.db").display()
        )
    });
    let store = proxicloud_store::connect(&url)
        .await
        .context("open the store")?;
    let names = ResourceKind::Instance.series();
    let guests: Vec<Uuid> = (0..args.guests).map(|_| Uuid::now_v7()).collect();
    let keys: Vec<SeriesKey> = guests
        .iter()
        .flat_map(|g| {
            names
                .iter()
                .map(move |n| SeriesKey::new(ResourceKey::instance(*g).0, *n))
        })
        .collect();
    let started = Instant::now();
    let ids = store.metrics().ensure_series(&keys).await?;
    println!(
        "{} series ({} guests × {}) created in {:.1} s",
        ids.len(),
        args.guests,
        names.len(),
        started.elapsed().as_secs_f64()
    );

    // 1. Fast-forward: 30 days of rollups and the last day of raw samples.
    let end = START + args.days * 86_400;
    let started = Instant::now();
    let cpu0 = cpu_seconds();
    let mut batch: Vec<MetricChunk> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (guest, series) = (i / names.len(), i % names.len());
        let rollup_ts = (START..end).step_by(ROLLUP as usize);
        let (avg, max): (Vec<Sample>, Vec<Sample>) = rollup_ts
            .map(|t| {
                let (v, peak) = value(guest, series, t, ROLLUP);
                (Sample::new(t, v), Sample::new(t, peak))
            })
            .unzip();
        batch.extend(pack(*id, ROLLUP, ROLLUP_SPAN, &avg, Some(&max))?);
        let raw: Vec<Sample> = (end - 86_400..end)
            .step_by(RAW as usize)
            .map(|t| Sample::new(t, value(guest, series, t, RAW).0))
            .collect();
        batch.extend(pack(*id, RAW, RAW_SPAN, &raw, None)?);
        if batch.len() >= 20_000 {
            store.metrics().put_chunks(&batch).await?;
            batch.clear();
        }
    }
    store.metrics().put_chunks(&batch).await?;
    let footprint = store.metrics().footprint().await?;
    println!(
        "history written in {:.1} s ({:.1} s CPU): {} chunks, {} samples",
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0,
        footprint.chunks,
        footprint.samples
    );
    println!(
        "at rest: {:.2} bytes/sample of chunk data ({} MiB)",
        footprint.bytes as f64 / footprint.samples as f64,
        footprint.bytes >> 20
    );
    if args.database.is_none() {
        let on_disk = dir_bytes(dir.path());
        println!(
            "  SQLite files incl. rows and indexes: {:.2} bytes/sample ({} MiB)",
            on_disk as f64 / footprint.samples as f64,
            on_disk >> 20
        );
    }

    // 2. Collection cycles: one minute of every series through the collector's writer.
    let mut writer = SeriesWriter::new(store.clone());
    let started = Instant::now();
    writer.load(&ids).await?;
    println!(
        "collector start-up (open chunks of {} series loaded): {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for cycle in 0..args.cycles {
        let t = end + RAW * cycle;
        let (w0, c0) = (Instant::now(), cpu_seconds());
        for (i, id) in ids.iter().enumerate() {
            let (guest, series) = (i / names.len(), i % names.len());
            writer.append(*id, t, value(guest, series, t, RAW).0)?;
        }
        writer.flush().await?;
        wall.push(w0.elapsed());
        cpu.push(cpu_seconds() - c0);
    }
    wall.sort();
    let mean_cpu = cpu.iter().sum::<f64>() / cpu.len().max(1) as f64;
    println!(
        "ingest per cycle ({} samples): wall p50 {:.0} ms, max {:.0} ms; CPU {:.2} s on average",
        ids.len(),
        ms(percentile(&wall, 0.5)),
        ms(*wall.last().unwrap_or(&Duration::ZERO)),
        mean_cpu
    );

    // 3. Queries: one guest, four series.
    let now = end + RAW * args.cycles;
    let series = ["cpu", "mem", "netin", "netout"];
    for (label, period) in [("30 days", Period::Month), ("24 hours", Period::Day)] {
        let mut times = Vec::with_capacity(args.queries);
        let mut points: HashMap<&str, usize> = HashMap::new();
        for q in 0..args.queries {
            let guest = guests[(mix(q as u64) % guests.len() as u64) as usize];
            let started = Instant::now();
            let data = read(&*store, &ResourceKey::instance(guest), &series, period, now).await?;
            times.push(started.elapsed());
            for (name, values) in &data.series {
                *points
                    .entry(if name == "cpu" { "cpu" } else { "other" })
                    .or_default() += values.iter().filter(|v| v.is_some()).count();
            }
        }
        times.sort();
        println!(
            "query {label}, 4 series: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} points of cpu per query)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
            points.get("cpu").copied().unwrap_or(0) / args.queries.max(1)
        );
    }
    store.close().await;
    Ok(())
}
