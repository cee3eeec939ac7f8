//! Benchmark of the S3 endpoint: throughput of large and medium objects, ops/s of
//! small ones, and the server's memory while one very large object streams through.
//!
//! Starts `proxicloud serve` (SQLite, local object store in `--data-dir`) as a child
//! process, makes an access key through the API and drives the S3 endpoint with the
//! AWS SDK (the client most users' tools are built on). First it measures the disk's
//! own durable write rate in the same directory — what a PUT that is acknowledged
//! only after `fdatasync` can at best reach — and prints every figure next to it.
//!
//! ```sh
//! cargo build --release -p proxicloud -p proxicloud-bench
//! target/release/bench-s3 --data-dir /var/tmp/s3bench --stream-gib 5
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use clap::Parser;
use futures_util::StreamExt;
use proxicloud_bench::{Spawned, ms, percentile, rss_kib};
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const BUCKET: &str = "bench";
const MIB: usize = 1024 * 1024;

#[derive(Parser, Debug)]
struct Args {
    /// Where the server keeps its database and objects (the disk being measured).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Size in GiB of the object streamed through while the server's RSS is sampled
    /// (0: skip).
    #[arg(long, default_value_t = 5)]
    stream_gib: u64,
    /// Number of 4 KiB objects for the ops/s figures.
    #[arg(long, default_value_t = 2_000)]
    small: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = std::env::current_exe()?.with_file_name("proxicloud");
    anyhow::ensure!(
        binary.exists(),
        "{} not found: build it with `cargo build --release -p proxicloud`",
        binary.display()
    );
    let data = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("proxicloud-bench-s3-{}", std::process::id()))
    });
    std::fs::create_dir_all(&data)?;

    let disk = disk_reference(&data)?;
    println!("S3 benchmark, data directory {}", data.display());
    println!(
        "  disk reference: {:>8.1} MiB/s sequential write + fdatasync (256 MiB); \
         {:>6.0} fdatasync'd 4 KiB files/s",
        disk.sequential_mib_s, disk.small_files_per_s
    );

    let s3_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut serve = Command::new(&binary);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(["--s3-listen", &format!("127.0.0.1:{s3_port}")])
        .env("PROXICLOUD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("PROXICLOUD_LOG", "warn");
    let server = Spawned::start(serve, "S3 endpoint at ")?;
    let url = server
        .value_after("ProxiCloud listening on ")
        .context("server URL")?;
    let endpoint = format!("http://127.0.0.1:{s3_port}");
    let pid = server.child.id();

    let s3 = client(&endpoint, &access_key(&url).await?);
    s3.create_bucket().bucket(BUCKET).send().await?;

    let c = args.concurrency;
    for (label, size, count) in [("64 MiB", 64 * MIB, 4), ("1 MiB", MIB, 200)] {
        let body = Bytes::from(pattern(size));
        let keys: Vec<String> = (0..count).map(|i| format!("large/{size}/{i}")).collect();
        let put = run(c, &keys, |key| put(&s3, key, body.clone())).await?;
        let get = run(c, &keys, |key| get(&s3, key, size)).await?;
        let mib = (size * count) as f64 / MIB as f64;
        println!(
            "  {label} x {count} (concurrency {c}): PUT {:>7.1} MiB/s ({:>3.0} % of disk), \
             GET {:>7.1} MiB/s",
            mib / put.elapsed.as_secs_f64(),
            100.0 * mib / put.elapsed.as_secs_f64() / disk.sequential_mib_s,
            mib / get.elapsed.as_secs_f64(),
        );
    }

    let small = Bytes::from(pattern(4096));
    let keys: Vec<String> = (0..args.small).map(|i| format!("small/{i:05}")).collect();
    let puts = run(c, &keys, |key| put(&s3, key, small.clone())).await?;
    let gets = run(c, &keys, |key| get(&s3, key, 4096)).await?;
    let deletes = run(c, &keys, |key| delete(&s3, key)).await?;
    println!("  4 KiB x {} (concurrency {c}):", args.small);
    for (op, result) in [("PUT", &puts), ("GET", &gets), ("DELETE", &deletes)] {
        println!(
            "    {op:<6} {:>7.0} ops/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
            args.small as f64 / result.elapsed.as_secs_f64(),
            ms(percentile(&result.latencies, 0.5)),
            ms(percentile(&result.latencies, 0.99)),
        );
    }

    if args.stream_gib > 0 {
        stream_large(&s3, pid, args.stream_gib << 30).await?;
    }
    drop(server);
    if args.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}

struct DiskReference {
    sequential_mib_s: f64,
    small_files_per_s: f64,
}

/// The disk's durable write rates in `dir`: one 256 MiB file written in 1 MiB chunks
/// and `fdatasync`ed (what a large PUT must do), and 200 small files each
/// `fdatasync`ed (the floor under small PUTs).
fn disk_reference(dir: &Path) -> anyhow::Result<DiskReference> {
    let path = dir.join("disk-reference.tmp");
    let chunk = pattern(MIB);
    let started = Instant::now();
    let mut file = std::fs::File::create(&path)?;
    for _ in 0..256 {
        file.write_all(&chunk)?;
    }
    file.sync_data()?;
    let sequential_mib_s = 256.0 / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;

    let started = Instant::now();
    for i in 0..200 {
        let path = dir.join(format!("disk-reference-{i}.tmp"));
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&chunk[..4096])?;
        file.sync_data()?;
        std::fs::remove_file(&path)?;
    }
    let small_files_per_s = 200.0 / started.elapsed().as_secs_f64();
    Ok(DiskReference {
        sequential_mib_s,
        small_files_per_s,
    })
}

/// Non-repeating bytes, so no layer can compress or deduplicate them away.
fn pattern(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Logs in as the admin and makes an S3 access key: (id, secret).
async fn access_key(url: &str) -> anyhow::Result<(String, String)> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"].as_str().context("access token")?;
    let key: Value = http
        .post(format!("{url}/api/v1/s3/access-keys"))
        .bearer_auth(token)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((
        key["access_key_id"].as_str().context("key id")?.to_owned(),
        key["secret_access_key"]
            .as_str()
            .context("secret")?
            .to_owned(),
    ))
}

fn client(endpoint: &str, key: &(String, String)) -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .http_client(http)
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(&key.0, &key.1, None, None, "bench"))
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

async fn put(s3: &Client, key: String, body: Bytes) -> anyhow::Result<()> {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await?;
    Ok(())
}

async fn get(s3: &Client, key: String, size: usize) -> anyhow::Result<()> {
    let object = s3.get_object().bucket(BUCKET).key(&key).send().await?;
    let body = object.body.collect().await?.into_bytes();
    anyhow::ensure!(body.len() == size, "{key}: {} bytes", body.len());
    Ok(())
}

async fn delete(s3: &Client, key: String) -> anyhow::Result<()> {
    s3.delete_object().bucket(BUCKET).key(key).send().await?;
    Ok(())
}

struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Runs `op` once per key with `concurrency` in flight; wall time and sorted latencies.
async fn run<F, Fut>(concurrency: usize, keys: &[String], op: F) -> anyhow::Result<Run>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(keys.iter().cloned())
        .map(|key| {
            let op = op(key);
            async move {
                let t = Instant::now();
                op.await.map(|()| t.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    latencies.sort();
    Ok(Run {
        elapsed: started.elapsed(),
        latencies,
    })
}

/// PUTs one `size`-byte object as a single streamed request (presigned, so the body
/// never sits in this process's memory either) and GETs it back, sampling the
/// server's RSS every 100 ms: a server that buffers objects grows by the object.
async fn stream_large(s3: &Client, pid: u32, size: u64) -> anyhow::Result<()> {
    let key = "stream/large";
    let presign = PresigningConfig::expires_in(Duration::from_secs(3600))?;
    let put_url = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .content_length(size as i64)
        .presigned(presign.clone())
        .await?;
    let get_url = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .presigned(presign)
        .await?;
    let http = reqwest::Client::new();
    let chunk = Bytes::from(pattern(MIB));

    let idle = rss_kib(pid)?;
    let sampler = RssSampler::start(pid);
    let body = futures_util::stream::iter(
        (0..size.div_ceil(MIB as u64))
            .map(move |i| {
                let left = size - i * MIB as u64;
                Ok::<_, std::io::Error>(chunk.slice(..left.min(MIB as u64) as usize))
            })
            .collect::<Vec<_>>(),
    );
    let started = Instant::now();
    http.put(put_url.uri())
        .header("content-length", size)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await?
        .error_for_status()?;
    let put_time = started.elapsed();
    let put_peak = sampler.stop().await;

    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let mut stream = http
        .get(get_url.uri())
        .send()
        .await?
        .error_for_status()?
        .bytes_stream();
    let mut received = 0u64;
    while let Some(piece) = stream.next().await {
        received += piece?.len() as u64;
    }
    anyhow::ensure!(received == size, "GET returned {received} of {size} bytes");
    let get_time = started.elapsed();
    let get_peak = sampler.stop().await;

    let gib = size as f64 / (1u64 << 30) as f64;
    let mib_s = |t: Duration| size as f64 / MIB as f64 / t.as_secs_f64();
    println!("  {gib:.0} GiB object streamed (one PUT, one GET):");
    println!(
        "    PUT {:>7.1} MiB/s, GET {:>7.1} MiB/s",
        mib_s(put_time),
        mib_s(get_time)
    );
    println!(
        "    server RSS: {:.1} MiB idle, peak {:.1} MiB during PUT, {:.1} MiB during GET",
        idle as f64 / 1024.0,
        put_peak as f64 / 1024.0,
        get_peak as f64 / 1024.0
    );
    s3.delete_object().bucket(BUCKET).key(key).send().await?;
    Ok(())
}

/// Samples a process's RSS in the background; `stop` returns the peak (KiB).
struct RssSampler {
    running: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let peak = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let (running, peak) = (running.clone(), peak.clone());
            async move {
                while running.load(Ordering::Relaxed) {
                    if let Ok(rss) = rss_kib(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Self {
            running,
            peak,
            task,
        }
    }

    async fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}
