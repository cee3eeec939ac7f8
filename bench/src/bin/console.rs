//! Benchmark of instance consoles: N concurrent sessions (50 by default) through one
//! server, the server's memory before, while they are open and after they closed, and
//! what each session carried.
//!
//! Starts `proxicloud pve-sim` and `proxicloud serve` as separate processes (so the
//! server's RSS is the relay's alone, not the simulated guests'), registers the
//! simulator, and opens one console per running guest: containers run `ls /` a number
//! of times through termproxy's protocol; VMs answer the VNC authentication with the
//! password the server hands over and pull full-screen frames (640×400, 32 bpp raw).
//!
//! ```sh
//! cargo build --release -p proxicloud -p proxicloud-bench
//! target/release/bench-console --sessions 50
//! ```

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use proxicloud_bench::{Spawned, rss_kib};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN_ID: &str = "root@pam!bench";
const TOKEN_SECRET: &str = "5b1f0a4e-bench-0000-0000-00000000c0de";
const ADMIN_PASSWORD: &str = "bench-admin-password";
/// What the simulated VM screen is (`pve-sim` console/screen.rs).
const SCREEN: (u16, u16) = (640, 400);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Parser, Debug)]
struct Args {
    /// Concurrent console sessions (one per running guest).
    #[arg(long, default_value_t = 50)]
    sessions: usize,
    /// Commands each terminal runs (and frames each screen pulls).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// How long every session stays open once all are connected.
    #[arg(long, default_value_t = 5)]
    hold_secs: u64,
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
    let data =
        std::env::temp_dir().join(format!("proxicloud-bench-console-{}", std::process::id()));
    let guests = (args.sessions * 3).to_string();
    let mut sim = Command::new(&binary);
    sim.args(["pve-sim", "--listen", "127.0.0.1:0", "--time-scale", "0.01"])
        .args(["--nodes", "3", "--guests", &guests])
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
        .env("PROXICLOUD_INVENTORY__POLL_INTERVAL_SECS", "2")
        // All sessions are the admin's: lift the per-user cap (10 by default).
        .env("PROXICLOUD_CONSOLE__MAX_SESSIONS_PER_USER", "0")
        .env("PROXICLOUD_LOG", "warn");
    let server = Spawned::start(serve, "ProxiCloud listening on ")?;
    let url = server
        .value_after("ProxiCloud listening on ")
        .context("server URL")?;
    let pid = server.child.id();

    let http = reqwest::Client::new();
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let access = post(&http, &url, "/api/v1/auth/login", None, login).await?["access_token"]
        .as_str()
        .context("access token")?
        .to_string();
    let cluster = json!({"name": "bench", "addresses": [sim_url],
        "auth": {"type": "token", "token_id": TOKEN_ID, "secret": TOKEN_SECRET},
        "tls_fingerprint": fingerprint});
    post(&http, &url, "/api/v1/clusters", Some(&access), cluster).await?;
    let running = running_guests(&http, &url, &access, args.sessions).await?;
    let terminals = running.iter().filter(|(_, vm)| !vm).count();
    println!(
        "Console benchmark: {} sessions ({terminals} terminals, {} screens), {} rounds each",
        running.len(),
        running.len() - terminals,
        args.rounds
    );

    // Warm up: one session of each kind, so the figure is the sessions', not the first use's.
    for (id, vm) in running.iter().take(2) {
        session(&url, &access, id, *vm, 1, Duration::ZERO).await?;
    }
    let before = rss_kib(pid)?;
    let bytes = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while let Ok(rss) = rss_kib(pid) {
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let hold = Duration::from_secs(args.hold_secs);
    let tasks: Vec<_> = running
        .iter()
        .map(|(id, vm)| {
            let (url, access, id, vm, bytes) =
                (url.clone(), access.clone(), id.clone(), *vm, bytes.clone());
            let rounds = args.rounds;
            tokio::spawn(async move {
                let carried = session(&url, &access, &id, vm, rounds, hold).await?;
                bytes.fetch_add(carried, Ordering::Relaxed);
                anyhow::Ok(())
            })
        })
        .collect();
    let mut failed = 0;
    for task in tasks {
        if let Err(e) = task.await? {
            failed += 1;
            eprintln!("  a session failed: {e:#}");
        }
    }
    let elapsed = started.elapsed();
    sampler.abort();
    // Give the server a moment to drop the closed sessions' buffers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid)?;
    let peak = peak.load(Ordering::Relaxed);
    let sessions = running.len() as u64;
    let carried = bytes.load(Ordering::Relaxed);
    println!(
        "  {} sessions in {:.1} s, {failed} failed",
        sessions,
        elapsed.as_secs_f64()
    );
    println!(
        "  server RSS: before {:.1} MiB, peak with all open {:.1} MiB, after close {:.1} MiB",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0
    );
    println!(
        "  per session: {:.0} KiB of RSS at the peak, {:.1} MiB relayed to the browser",
        (peak.saturating_sub(before)) as f64 / sessions as f64,
        carried as f64 / sessions as f64 / (1024.0 * 1024.0)
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = http.post(format!("{url}{path}")).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
    Ok(body)
}

/// `(instance id, is a VM)` of up to `want` running guests, once mirrored.
async fn running_guests(
    http: &reqwest::Client,
    url: &str,
    access: &str,
    want: usize,
) -> anyhow::Result<Vec<(String, bool)>> {
    let started = Instant::now();
    loop {
        let page: Value = http
            .get(format!("{url}/api/v1/instances?status=running&limit=1000"))
            .bearer_auth(access)
            .send()
            .await?
            .json()
            .await?;
        let running: Vec<(String, bool)> = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["template"] != true)
            .filter_map(|i| Some((i["id"].as_str()?.to_string(), i["type"] == "vm")))
            .take(want)
            .collect();
        if running.len() >= want {
            return Ok(running);
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("only {} running guests after 2 minutes", running.len());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One console session; the bytes it carried towards the browser.
async fn session(
    url: &str,
    access: &str,
    id: &str,
    vm: bool,
    rounds: usize,
    hold: Duration,
) -> anyhow::Result<u64> {
    let ws = format!(
        "{}/api/v1/instances/{id}/console",
        url.replacen("http", "ws", 1)
    );
    let mut request = ws.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {access}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    let mut console = Console {
        socket,
        buf: Vec::new(),
        carried: 0,
    };
    if vm {
        console.screen(rounds).await?;
    } else {
        console.terminal(rounds).await?;
    }
    tokio::time::sleep(hold).await;
    console.socket.close(None).await.ok();
    Ok(console.carried)
}

struct Console {
    socket: Socket,
    buf: Vec<u8>,
    carried: u64,
}

impl Console {
    async fn next(&mut self) -> anyhow::Result<Message> {
        let message = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
            .await
            .context("console went quiet")?
            .context("console ended")??;
        self.carried += message.len() as u64;
        Ok(message)
    }

    /// Reads until the output so far contains `needle`.
    async fn until(&mut self, needle: &[u8]) -> anyhow::Result<()> {
        loop {
            if let Some(at) = self.buf.windows(needle.len()).position(|w| w == needle) {
                self.buf.drain(..at + needle.len());
                return Ok(());
            }
            let message = self.next().await?;
            self.buf.extend_from_slice(&message.into_data());
        }
    }

    async fn send(&mut self, bytes: Vec<u8>) -> anyhow::Result<()> {
        Ok(self.socket.send(Message::Binary(bytes.into())).await?)
    }

    async fn terminal(&mut self, rounds: usize) -> anyhow::Result<()> {
        self.until(b":~# ").await?;
        self.send(b"1:120:40:".to_vec()).await?;
        for _ in 0..rounds {
            self.send(b"0:5:ls /\r".to_vec()).await?;
            self.until(b"usr").await?;
            self.until(b":~# ").await?;
        }
        Ok(())
    }

    async fn take(&mut self, n: usize) -> anyhow::Result<Vec<u8>> {
        while self.buf.len() < n {
            let message = self.next().await?;
            self.buf.extend_from_slice(&message.into_data());
        }
        Ok(self.buf.drain(..n).collect())
    }

    async fn screen(&mut self, rounds: usize) -> anyhow::Result<()> {
        let Message::Text(preamble) = self.next().await? else {
            bail!("no VNC password first");
        };
        let preamble: Value = serde_json::from_str(&preamble)?;
        let password = preamble["vnc_password"]
            .as_str()
            .context("vnc_password")?
            .to_owned();
        self.take(12).await?;
        self.send(b"RFB 003.008\n".to_vec()).await?;
        anyhow::ensure!(self.take(2).await? == [1, 2], "VNC authentication offered");
        self.send(vec![2]).await?;
        let challenge: [u8; 16] = self.take(16).await?.try_into().expect("16 bytes");
        let response = proxicloud_pve_sim::console::rfb::vnc_auth_response(&password, &challenge);
        self.send(response.to_vec()).await?;
        anyhow::ensure!(self.take(4).await? == [0, 0, 0, 0], "authenticated");
        self.send(vec![1]).await?;
        let init = self.take(24).await?;
        let name_len = u32::from_be_bytes([init[20], init[21], init[22], init[23]]) as usize;
        self.take(name_len).await?;
        let (w, h) = SCREEN;
        let mut request = vec![3, 0, 0, 0, 0, 0];
        request.extend_from_slice(&w.to_be_bytes());
        request.extend_from_slice(&h.to_be_bytes());
        for _ in 0..rounds {
            self.send(request.clone()).await?;
            self.take(16 + usize::from(w) * usize::from(h) * 4).await?;
        }
        Ok(())
    }
}
