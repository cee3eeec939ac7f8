//! The real `proxicloud serve` binary: first start, graceful stop, the audit log's
//! tamper detection through `proxicloud admin verify-audit`, and the log level an
//! admin sets on the Settings page taking effect at once.

mod common;

use common::{ServeProcess, run_cli};

const ADMIN_PASSWORD: &str = "first-start-password";

fn login(client: &reqwest::blocking::Client, url: &str, password: &str) -> reqwest::StatusCode {
    client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .expect("login request")
        .status()
}

/// A session of the admin, as a bearer token.
fn access_token(client: &reqwest::blocking::Client, url: &str) -> String {
    let session: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    session["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn first_start_stop_and_audit_tampering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServeProcess::start(&data, ADMIN_PASSWORD, &[]);
    let client = reqwest::blocking::Client::new();
    assert_eq!(login(&client, &server.url, "wrong password!!"), 401);
    assert_eq!(login(&client, &server.url, ADMIN_PASSWORD), 200);
    let health = client
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap();
    assert_eq!(health.status(), 200);
    // The console's page comes with the browser protections (issue 18).
    let console = client.get(&server.url).send().unwrap();
    let csp = console.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(console.headers()["x-content-type-options"], "nosniff");
    assert_eq!(console.headers()["x-frame-options"], "DENY");
    // Everything in the data directory is its owner's alone, the database and its
    // WAL included (checked while the server runs: the WAL exists then).
    let mode = |path: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions())
            & 0o777
    };
    assert_eq!(mode(&data), 0o700);
    for file in [
        "proxicloud.db",
        "proxicloud.db-wal",
        "proxicloud.db-shm",
        "master.key",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // An open event stream (a console tab left open) must not hold up the shutdown.
    let stream = client
        .get(format!("{}/api/v1/events", server.url))
        .bearer_auth(access_token(&client, &server.url))
        .send()
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(server.stop().success(), "SIGTERM must stop serve cleanly");
    drop(stream);

    let key_mode = std::fs::metadata(data.join("master.key")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key_mode.permissions()) & 0o777,
        0o600
    );

    let data_arg = data.to_str().unwrap();
    let intact = run_cli(&["admin", "--data-dir", data_arg, "verify-audit"]);
    let stdout = String::from_utf8_lossy(&intact.stdout);
    assert!(
        intact.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(stdout.contains("audit log intact: 3 entries"), "{stdout}");

    // Someone with write access to the database turns the failed login into a success.
    let db = data.join("proxicloud.db");
    let tamper = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE audit_log SET outcome='success' WHERE seq=1\"); c.commit()",
            db.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(tamper.success());
    let broken = run_cli(&["admin", "--data-dir", data_arg, "verify-audit"]);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(!broken.status.success(), "tampering went unnoticed");
    assert!(stderr.contains("entry 1"), "{stderr}");
}

/// The first line for which `wanted` holds, and whether a line before it matched
/// `unwanted`; fails after 20 s without it.
fn wait_for_line(
    log: &std::sync::mpsc::Receiver<String>,
    wanted: impl Fn(&str) -> bool,
    unwanted: impl Fn(&str) -> bool,
) -> (String, bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen_unwanted = false;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = log.recv_timeout(left).expect("the log line in 20 s");
        if wanted(&line) {
            return (line, seen_unwanted);
        }
        seen_unwanted |= unwanted(&line);
    }
}

#[test]
fn the_log_level_saved_in_settings_applies_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (server, log) =
        ServeProcess::start_capturing_log(&dir.path().join("data"), ADMIN_PASSWORD, &[]);
    let client = reqwest::blocking::Client::new();
    let token = access_token(&client, &server.url);
    let settings_url = format!("{}/api/v1/settings", server.url);
    let mut settings: serde_json::Value = client
        .get(&settings_url)
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        settings["system"]["log_level"], "info",
        "the configured default"
    );

    // A successful GET is logged at debug level only: the one above was not.
    settings["system"]["log_level"] = "debug".into();
    let saved = client
        .put(&settings_url)
        .bearer_auth(&token)
        .json(&settings)
        .send()
        .unwrap();
    assert_eq!(saved.status(), 200);
    let request_logged = |line: &str| line.contains("request completed") && line.contains("GET");
    let (_, logged_before) = wait_for_line(
        &log,
        |line| line.contains("log level set") && line.contains("debug"),
        request_logged,
    );
    assert!(
        !logged_before,
        "requests were logged at debug level before the change"
    );
    client
        .get(&settings_url)
        .bearer_auth(&token)
        .send()
        .unwrap();
    let (line, _) = wait_for_line(&log, request_logged, |_| false);
    assert!(line.contains("DEBUG"), "{line}");
    drop(server);
}
