//! `proxicloud buckets|objects|s3 keys` as real processes against `proxicloud serve`
//! (no demo cluster: object storage needs none), each with its own config dir.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::ServeProcess;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "cli-object-password";

fn cli(config_home: &Path, stdin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxicloud"))
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("PROXICLOUD_URL")
        .env_remove("PROXICLOUD_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running proxicloud");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(output: Output) -> Output {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(output: Output) -> Value {
    serde_json::from_slice(&ok(output).stdout).expect("--output json prints JSON")
}

#[test]
fn buckets_and_objects_round_trip_and_an_access_key_secret_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(
        &dir.path().join("data"),
        ADMIN_PASSWORD,
        &["--s3-listen", "127.0.0.1:0"],
    );
    let home = dir.path().join("config");
    let login = format!("admin\n{ADMIN_PASSWORD}\n");
    ok(cli(&home, &login, &["login", "--url", server.url.as_str()]));
    let run = |args: &[&str]| cli(&home, "", args);

    ok(run(&["buckets", "create", "cli-bucket"]));
    let file = dir.path().join("report.bin");
    let content: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let put = json(run(&[
        "objects",
        "--output",
        "json",
        "put",
        "cli-bucket",
        file.to_str().unwrap(),
        "2024/report.bin",
    ]));
    assert_eq!(put["size"], content.len());

    let listed = json(run(&["objects", "--output", "json", "ls", "cli-bucket"]));
    assert_eq!(listed["folders"], serde_json::json!(["2024/"]));
    let inside = json(run(&[
        "objects",
        "--output",
        "json",
        "ls",
        "cli-bucket",
        "2024/",
    ]));
    assert_eq!(inside["objects"][0]["key"], "2024/report.bin");
    let buckets = json(run(&["buckets", "--output", "json", "list"]));
    assert_eq!(buckets[0]["object_count"], 1);
    assert_eq!(buckets[0]["size_bytes"], content.len());

    let back = dir.path().join("back.bin");
    ok(run(&[
        "objects",
        "get",
        "cli-bucket",
        "2024/report.bin",
        back.to_str().unwrap(),
    ]));
    assert_eq!(std::fs::read(&back).unwrap(), content);

    // Not empty: refused by the server (exit 3).
    let refused = run(&["buckets", "delete", "cli-bucket"]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    ok(run(&["objects", "rm", "cli-bucket", "2024/report.bin"]));
    ok(run(&["buckets", "delete", "cli-bucket"]));

    let created = ok(run(&["s3", "keys", "create"]));
    let shown = String::from_utf8_lossy(&created.stdout).into_owned();
    let secret = shown
        .lines()
        .find_map(|l| l.strip_prefix("secret_access_key = "))
        .expect("the secret is printed")
        .to_owned();
    assert_eq!(secret.len(), 40);
    let keys = json(run(&["s3", "keys", "--output", "json", "list"]));
    assert!(
        !keys.to_string().contains(&secret),
        "listed without the secret"
    );
    let access_key_id = keys[0]["access_key_id"].as_str().unwrap().to_owned();
    let disabled = json(run(&[
        "s3",
        "keys",
        "--output",
        "json",
        "disable",
        &access_key_id,
    ]));
    assert_eq!(disabled[0]["disabled"], true);
    ok(run(&["s3", "keys", "delete", &access_key_id]));
    let keys = json(run(&["s3", "keys", "--output", "json", "list"]));
    assert_eq!(keys, serde_json::json!([]));
}
