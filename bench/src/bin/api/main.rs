//! Benchmark of the control plane's read path at scale.
//!
//! Starts `proxicloud pve-sim` (10 nodes × 10,000 guests) and `proxicloud serve`
//! (SQLite) as child processes, registers the simulator as a cluster, waits for the
//! inventory mirror to hold every guest, then runs concurrent clients against
//! `GET /api/v1/instances?limit=100` and `GET /api/v1/instances/{id}` and prints
//! req/s, latency percentiles, the server's RSS and how many Proxmox calls the
//! simulator received per poll cycle. Then it writes `--volumes` volumes into the
//! server's database (`volumes`) and measures `GET /api/v1/volumes?limit=100` the
//! same way, and the health map's data endpoint. Build both binaries first:
//!
//! ```sh
//! cargo build --release -p proxicloud -p proxicloud-bench
//! target/release/bench-api --nodes 10 --guests 10000 --concurrency 64 --seconds 10
//! ```

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
mod volumes;

use proxicloud_bench::{Spawned, ms, percentile, rss_kib};
use serde_json::{Value, json};

const TOKEN_ID: &str = "root@pam!bench";
const TOKEN_SECRET: &str = "5b1f0a4e-bench-0000-0000-000000000000";
const ADMIN_PASSWORD: &str = "bench-admin-password";

#[derive(Parser, Debug, Clone)]
struct Args {
    #[arg(long, default_value_t = 10)]
    nodes: usize,
    #[arg(long, default_value_t = 10_000)]
    guests: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Inventory poll interval of the server, in seconds (the product's default; lower
    /// it to stress reads against frequent mirror syncs).
    #[arg(long, default_value_t = 10)]
    poll_interval: u64,
    /// Volumes written into the database for the volume list's measurement (0: none).
    #[arg(long, default_value_t = 10_000)]
    volumes: usize,
}

fn proxicloud_binary() -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?.with_file_name("proxicloud");
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it with `cargo build --release -p proxicloud`",
        path.display()
    );
    Ok(path)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = proxicloud_binary()?;
    let data = std::env::temp_dir().join(format!("proxicloud-bench-{}", std::process::id()));

    let mut sim = Command::new(&binary);
    sim.args(["pve-sim", "--listen", "127.0.0.1:0", "--time-scale", "0"])
        .args([
            "--nodes",
            &args.nodes.to_string(),
            "--guests",
            &args.guests.to_string(),
        ])
        .args(["--token", &format!("{TOKEN_ID}={TOKEN_SECRET}")]);
    let sim = Spawned::start(sim, "pve-sim certificate fingerprint")?;
    let sim_url = sim
        .value_after("pve-sim listening on ")
        .context("sim URL")?;
    let fingerprint = sim
        .value_after("pve-sim certificate fingerprint (SHA-256)")
        .context("sim fingerprint")?;

    let mut serve = Command::new(&binary);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("PROXICLOUD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env(
            "PROXICLOUD_INVENTORY__POLL_INTERVAL_SECS",
            args.poll_interval.to_string(),
        )
        .env("PROXICLOUD_LOG", "warn");
    let server = Spawned::start(serve, "ProxiCloud listening on ")?;
    let url = server
        .value_after("ProxiCloud listening on ")
        .context("server URL")?;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let api = Api {
        http: http.clone(),
        url: url.clone(),
    };
    let access = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await?["access_token"]
        .as_str()
        .context("access token")?
        .to_string();
    let token = api
        .post("/api/v1/tokens", Some(&access), json!({"name": "bench"}))
        .await?["secret"]
        .as_str()
        .context("api token secret")?
        .to_string();
    let registered = Instant::now();
    let cluster = api
        .post(
            "/api/v1/clusters",
            Some(&token),
            json!({"name": "bench", "addresses": [sim_url],
               "auth": {"type": "token", "token_id": TOKEN_ID, "secret": TOKEN_SECRET},
               "tls_fingerprint": fingerprint}),
        )
        .await?;
    let cluster_id: uuid::Uuid = cluster["id"].as_str().context("cluster id")?.parse()?;

    // Wait until the mirror holds every guest (the last page reaches the count).
    let ids = loop {
        let ids = api.all_instance_ids(&token).await?;
        if ids.len() >= args.guests {
            break ids;
        }
        if registered.elapsed() > Duration::from_secs(300) {
            bail!(
                "mirror holds only {} of {} guests after 5 minutes",
                ids.len(),
                args.guests
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mirrored = registered.elapsed();

    // Proxmox calls per poll cycle, measured over a few cycles while idle.
    let stats_before = sim_stats(&sim_url).await?;
    let window = Duration::from_secs(args.poll_interval * 3);
    tokio::time::sleep(window).await;
    let stats_after = sim_stats(&sim_url).await?;
    let calls = stats_after.0 - stats_before.0;
    let resources_calls = stats_after.1 - stats_before.1;

    // After a few poll cycles every running guest carries its utilization: CPU share
    // and I/O rates from the mirror's last two samples (the list serves them as is).
    let page = api
        .get("/api/v1/instances?status=running&limit=1000", &token)
        .await?;
    let rows = page["items"].as_array().context("instance items")?;
    let with_rates = rows
        .iter()
        .filter(|i| i["net_in_bytes_per_sec"].is_number() && i["cpu_usage"].is_number())
        .count();

    let ids = Arc::new(ids);
    let instance_paths = {
        let ids = ids.clone();
        move |n: usize| {
            if n.is_multiple_of(2) {
                "/api/v1/instances?limit=100".to_string()
            } else {
                format!("/api/v1/instances/{}", ids[n % ids.len()])
            }
        }
    };
    let (times, elapsed) = measure(&api, &token, &args, instance_paths).await?;
    let rss = rss_kib(server.child.id())?;

    println!(
        "control-plane read benchmark: {} nodes x {} guests, SQLite",
        args.nodes, args.guests
    );
    println!(
        "  mirror filled in:          {:>9.1} s",
        mirrored.as_secs_f64()
    );
    print_load(&args, &times, elapsed);
    println!(
        "  utilization:               {with_rates:>9} of {} running rows (first page) carry CPU and rates",
        rows.len()
    );
    println!(
        "  server RSS:                {:>9.1} MiB",
        rss as f64 / 1024.0
    );
    // Each poll cycle makes exactly one /cluster/resources call, so those calls count
    // the cycles; every other request to Proxmox in the window is extra.
    println!(
        "  Proxmox calls per cycle:   {:>9.2} ({calls} calls in {resources_calls} poll cycles over {} s, \
         every one /cluster/resources: {})",
        calls as f64 / resources_calls.max(1) as f64,
        window.as_secs(),
        if calls == resources_calls {
            "yes"
        } else {
            "no"
        },
    );

    // The health map's data endpoint: every cluster, node and guest in one answer,
    // what the console polls while the map is open.
    let health = api.get("/api/v1/monitoring/health", &token).await?;
    let bytes = serde_json::to_vec(&health)?.len();
    let health_args = Args {
        concurrency: 4,
        ..args.clone()
    };
    let (times, elapsed) = measure(&api, &token, &health_args, |_| {
        "/api/v1/monitoring/health".to_string()
    })
    .await?;
    println!(
        "health map data ({:.1} KiB per answer):",
        bytes as f64 / 1024.0
    );
    print_load(&health_args, &times, elapsed);

    if args.volumes > 0 {
        let me = api.get("/api/v1/auth/me", &token).await?;
        let owner = me["id"].as_str().and_then(|id| id.parse().ok());
        let guests: Vec<uuid::Uuid> = ids.iter().filter_map(|id| id.parse().ok()).collect();
        let database = format!("sqlite://{}?mode=rwc", data.join("proxicloud.db").display());
        let seeded = volumes::seed(&database, cluster_id, owner, &guests, args.volumes).await?;
        let listed = api.get("/api/v1/volumes?limit=1", &token).await?;
        anyhow::ensure!(
            listed["items"].as_array().is_some_and(|i| i.len() == 1),
            "{listed}"
        );
        let volume_paths = |_: usize| "/api/v1/volumes?limit=100".to_string();
        let (times, elapsed) = measure(&api, &token, &args, volume_paths).await?;
        println!(
            "volume list: {} volumes (written through the store in {:.1} s)",
            args.volumes,
            seeded.as_secs_f64()
        );
        print_load(&args, &times, elapsed);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// `args.concurrency` clients requesting `path(n)` for `args.seconds`; the sorted
/// latencies and the time it took.
async fn measure(
    api: &Api,
    token: &str,
    args: &Args,
    path: impl Fn(usize) -> String + Clone + Send + 'static,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let (api, token, path) = (api.clone(), token.to_owned(), path.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut n = worker;
            while Instant::now() < deadline {
                let path = path(n);
                let t = Instant::now();
                api.load(&path, &token).await?;
                times.push(t.elapsed());
                n += 7;
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut times = Vec::new();
    for worker in workers {
        times.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    times.sort();
    Ok((times, elapsed))
}

fn print_load(args: &Args, times: &[Duration], elapsed: Duration) {
    println!(
        "  requests (concurrency {:>3}): {:>9}",
        args.concurrency,
        times.len()
    );
    println!(
        "  throughput:                {:>9.0} req/s",
        times.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency p50:               {:>9.2} ms",
        ms(percentile(times, 0.50))
    );
    println!(
        "  latency p99:               {:>9.2} ms",
        ms(percentile(times, 0.99))
    );
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> anyhow::Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    async fn get(&self, path: &str, bearer: &str) -> anyhow::Result<Value> {
        let response = self.send_get(path, bearer).await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "GET {path}: {status} {body}");
        Ok(body)
    }

    async fn send_get(&self, path: &str, bearer: &str) -> reqwest::Result<reqwest::Response> {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(bearer)
            .send()
            .await
    }

    /// A request of the measured load: the status is checked and the body read, not
    /// parsed (parsing JSON would make the load generator, on the same cores, the
    /// bottleneck being measured).
    async fn load(&self, path: &str, bearer: &str) -> anyhow::Result<()> {
        let response = self.send_get(path, bearer).await?;
        let status = response.status();
        let body = response.bytes().await?;
        anyhow::ensure!(
            status.is_success() && !body.is_empty(),
            "GET {path}: {status}"
        );
        Ok(())
    }

    async fn all_instance_ids(&self, bearer: &str) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/instances?limit=500&cursor={c}"),
                None => "/api/v1/instances?limit=500".to_string(),
            };
            let page = self.get(&path, bearer).await?;
            for item in page["items"].as_array().into_iter().flatten() {
                ids.push(item["id"].as_str().unwrap_or_default().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return Ok(ids),
            }
        }
    }
}

/// (all API requests, `/cluster/resources` requests) the simulator has answered.
async fn sim_stats(sim_url: &str) -> anyhow::Result<(u64, u64)> {
    let insecure = reqwest::Client::builder()
        .danger_accept_invalid_certs(true) // the simulator's self-signed certificate
        .build()?;
    let stats: Value = insecure
        .get(format!("{sim_url}/sim/stats"))
        .send()
        .await?
        .json()
        .await?;
    let total = stats["data"]["total_requests"].as_u64().unwrap_or(0);
    let resources = stats["data"]["requests"]["GET /cluster/resources"]
        .as_u64()
        .unwrap_or(0);
    Ok((total, resources))
}
