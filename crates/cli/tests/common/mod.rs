// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

//! Helpers for tests that run the real `proxicloud` binary.

mod api;

// Not every test binary uses these.
#[allow(unused_imports)]
pub use api::{Api, TEMPLATE, wait_until};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The official schema, found the same way the test script finds it.
pub fn schema_path() -> PathBuf {
    if let Ok(path) = std::env::var("PROXICLOUD_PVE_SCHEMA") {
        return PathBuf::from(path);
    }
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared/pve-api/pve-api-schema.json");
        if candidate.is_file() {
            return candidate;
        }
        assert!(
            dir.pop(),
            "PVE API schema not found: set PROXICLOUD_PVE_SCHEMA (scripts/test.sh does)"
        );
    }
}

/// A `proxicloud pve-sim` process, killed when dropped.
pub struct SimProcess {
    child: Child,
    pub port: u16,
    pub fingerprint: Option<String>,
}

impl SimProcess {
    pub fn start(extra_args: &[&str]) -> Self {
        Self::start_with_time_scale("0.01", extra_args)
    }

    pub fn start_with_time_scale(time_scale: &str, extra_args: &[&str]) -> Self {
        let schema = schema_path();
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxicloud"))
            .args([
                "pve-sim",
                "--listen",
                "127.0.0.1:0",
                "--time-scale",
                time_scale,
            ])
            .arg("--schema")
            .arg(&schema)
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting proxicloud pve-sim");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut next_line = || {
            lines
                .next()
                .expect("pve-sim exited before printing its URL")
                .expect("reading pve-sim output")
        };
        let base_url = loop {
            if let Some(url) = next_line().strip_prefix("pve-sim listening on ") {
                break url.trim().to_string();
            }
        };
        // With TLS the fingerprint line follows the URL line.
        let fingerprint = base_url.starts_with("https").then(|| {
            next_line()
                .strip_prefix("pve-sim certificate fingerprint (SHA-256) ")
                .expect("fingerprint line after the URL")
                .trim()
                .to_string()
        });
        // Keep draining stdout so the simulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port = base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in pve-sim URL");
        Self {
            child,
            port,
            fingerprint,
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `validate_requests.py` over JSON-lines requests; returns its output on failure.
pub fn validate_with_official_script(requests_jsonl: &Path) -> Result<String, String> {
    let script = schema_path().with_file_name("validate_requests.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--schema")
        .arg(schema_path())
        .arg(requests_jsonl)
        .output()
        .expect("running validate_requests.py");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// A `proxicloud serve` process on a free port, killed when dropped.
pub struct ServeProcess {
    child: Child,
    pub url: String,
    /// Over HTTPS: the certificate's SHA-256 fingerprint as `serve` printed it.
    pub fingerprint: Option<String>,
}

impl ServeProcess {
    pub fn start(data_dir: &Path, admin_password: &str, extra_args: &[&str]) -> Self {
        Self::spawn(Self::command(data_dir, admin_password, extra_args))
    }

    /// Like `start`, with the log (stderr) handed over line by line instead of passed
    /// through, and `PROXICLOUD_LOG` unset so the configured level rules.
    pub fn start_capturing_log(
        data_dir: &Path,
        admin_password: &str,
        extra_args: &[&str],
    ) -> (Self, std::sync::mpsc::Receiver<String>) {
        let mut command = Self::command(data_dir, admin_password, extra_args);
        command.env_remove("PROXICLOUD_LOG").stderr(Stdio::piped());
        let mut server = Self::spawn(command);
        let stderr = server.child.stderr.take().expect("piped stderr");
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        (server, received)
    }

    fn command(data_dir: &Path, admin_password: &str, extra_args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_proxicloud"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .env("PROXICLOUD_ADMIN_PASSWORD", admin_password)
            .env("PROXICLOUD_PVE_SCHEMA", schema_path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().expect("starting proxicloud serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("serve exited before printing its URL")
                .expect("reading serve output");
            if let Some(url) = line.strip_prefix("ProxiCloud listening on ") {
                break url.trim().to_string();
            }
        };
        // With TLS the fingerprint line follows the URL line.
        let fingerprint = url.starts_with("https").then(|| {
            let line = lines
                .next()
                .expect("serve exited before printing its fingerprint")
                .expect("reading serve output");
            assert!(line.starts_with("TLS certificate fingerprint"), "{line}");
            line.rsplit(' ').next().unwrap_or_default().to_owned()
        });
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            url,
            fingerprint,
        }
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait (at most 15 s) for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("sending SIGTERM");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for serve") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not stop within 15 s of SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `proxicloud` with arguments to completion.
pub fn run_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxicloud"))
        .args(args)
        .output()
        .expect("running proxicloud")
}
