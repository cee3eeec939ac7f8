//! Benchmark of the Proxmox VE simulator at homelab-and-beyond scale.
//!
//! Starts the simulator in a child process (so its memory is measured alone),
//! then times `GET /cluster/resources` — the call the inventory mirror makes
//! every cycle — and prints start-up time, latency percentiles, throughput and
//! the simulator's resident memory. Run with:
//!
//! ```sh
//! cargo run --release -p proxicloud-bench --bin bench-pve-sim -- --nodes 50 --guests 10000
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use proxicloud_bench::{percentile, rss_kib};

const TOKEN_ID: &str = "root@pam!bench";
const TOKEN_SECRET: &str = "bench-secret";

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 50)]
    nodes: usize,
    #[arg(long, default_value_t = 10_000)]
    guests: usize,
    /// Timed requests (after a warm-up of 5).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Internal: run as the simulator child process.
    #[arg(long, hide = true)]
    serve_sim: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    if args.serve_sim {
        return runtime.block_on(serve_sim(&args));
    }
    runtime.block_on(bench(&args))
}

async fn serve_sim(args: &Args) -> anyhow::Result<()> {
    let config = proxicloud_pve_sim::SimConfig {
        listen: "127.0.0.1:0".parse()?,
        nodes: args.nodes,
        guests: args.guests,
        tokens: vec![(TOKEN_ID.to_string(), TOKEN_SECRET.to_string())],
        time_scale: 0.0,
        ..Default::default()
    };
    let running = proxicloud_pve_sim::start(config).await?;
    println!("URL {}", running.base_url);
    // Serve until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin()
            .read_line(&mut sink)
            .map(|n| n > 0)
            .unwrap_or(false)
        {}
    })
    .await?;
    running.shutdown().await;
    Ok(())
}

#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    endpoint: String,
    auth: String,
}

impl Target {
    /// One authenticated `/cluster/resources` call: its latency and body.
    async fn fetch(&self) -> anyhow::Result<(Duration, bytes::Bytes)> {
        let t = Instant::now();
        let resp = self
            .client
            .get(&self.endpoint)
            .header("Authorization", &self.auth)
            .send()
            .await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        if !status.is_success() {
            bail!("/cluster/resources answered {status}");
        }
        Ok((t.elapsed(), body))
    }
}

async fn bench(args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve-sim", "--nodes", &args.nodes.to_string()])
        .args(["--guests", &args.guests.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let url = loop {
        match lines.next() {
            Some(line) => {
                if let Some(url) = line?.strip_prefix("URL ") {
                    break url.to_string();
                }
            }
            None => bail!("simulator exited before listening"),
        }
    };
    let startup = started.elapsed();

    let target = Target {
        client: reqwest::Client::builder()
            .danger_accept_invalid_certs(true) // the simulator's self-signed certificate
            .build()?,
        endpoint: format!("{url}/api2/json/cluster/resources"),
        auth: format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"),
    };
    let first: serde_json::Value = serde_json::from_slice(&target.fetch().await?.1)?;
    let entries = first["data"].as_array().map_or(0, Vec::len);
    let mut body_len = 0;
    for _ in 0..4 {
        body_len = target.fetch().await?.1.len();
    }

    let per_worker = args.requests.div_ceil(args.concurrency.max(1));
    let wall = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_worker);
            for _ in 0..per_worker {
                times.push(target.fetch().await?.0);
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut times = Vec::new();
    for worker in workers {
        times.extend(worker.await??);
    }
    let wall = wall.elapsed();
    times.sort();
    let rss = rss_kib(child.id())?;
    drop(child.stdin.take());
    let _ = child.wait();

    println!(
        "pve-sim benchmark: {} nodes x {} guests",
        args.nodes, args.guests
    );
    println!(
        "  start-up to listening:      {:>9.1} ms",
        startup.as_secs_f64() * 1e3
    );
    println!(
        "  /cluster/resources entries: {entries:>9}  ({:.1} KiB per response)",
        body_len as f64 / 1024.0
    );
    println!(
        "  requests x concurrency:     {:>9} x {}",
        times.len(),
        args.concurrency
    );
    println!(
        "  latency p50:                {:>9.2} ms",
        percentile(&times, 0.50).as_secs_f64() * 1e3
    );
    println!(
        "  latency p99:                {:>9.2} ms",
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "  throughput:                 {:>9.1} req/s",
        times.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "  simulator RSS:              {:>9.1} MiB",
        rss as f64 / 1024.0
    );
    Ok(())
}
