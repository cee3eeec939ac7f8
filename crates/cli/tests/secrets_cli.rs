//! `proxicloud secrets …` as real processes against `proxicloud serve` (no cluster:
//! the vault needs none): `put` takes the value from stdin or a file and refuses it on
//! the command line, `get` prints it alone, versions and rollback, `rm`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::ServeProcess;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "cli-secrets-password";

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

fn exits(output: &Output, code: i32) -> String {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&exits(output, 0)).expect("--output json prints JSON")
}

#[test]
fn put_reads_stdin_or_a_file_get_prints_the_value_and_versions_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&dir.path().join("data"), ADMIN_PASSWORD, &[]);
    let home = dir.path().join("config");
    let login = format!("admin\n{ADMIN_PASSWORD}\n");
    exits(
        &cli(&home, &login, &["login", "--url", server.url.as_str()]),
        0,
    );
    let run = |stdin: &str, args: &[&str]| cli(&home, stdin, args);

    // From stdin, without the line break `echo` adds.
    let created = json(&run(
        "s3cr3t-from-stdin\n",
        &[
            "secrets",
            "--output",
            "json",
            "put",
            "DB_PASSWORD",
            "--description",
            "the db",
        ],
    ));
    assert_eq!(created[0]["name"], "DB_PASSWORD");
    assert_eq!(created[0]["version"], 1);
    assert!(!created.to_string().contains("s3cr3t"), "{created}");
    assert_eq!(
        exits(&run("", &["secrets", "get", "DB_PASSWORD"]), 0),
        "s3cr3t-from-stdin\n"
    );

    // From a file, as is; the same name makes a new version.
    let file = dir.path().join("value.txt");
    std::fs::write(&file, "two\tlines\nhere\n").unwrap();
    let updated = json(&run(
        "",
        &[
            "secrets",
            "--output",
            "json",
            "put",
            "DB_PASSWORD",
            "--from-file",
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(updated[0]["version"], 2);
    let read = json(&run(
        "",
        &["secrets", "--output", "json", "get", "DB_PASSWORD"],
    ));
    assert_eq!(read["value"], "two\tlines\nhere\n");

    // Never from the command line; never empty.
    exits(
        &run("", &["secrets", "put", "DB_PASSWORD", "argv-value"]),
        2,
    );
    exits(&run("", &["secrets", "put", "EMPTY"]), 2);

    let listed = exits(&run("", &["secrets", "list"]), 0);
    assert!(
        listed.contains("DB_PASSWORD") && listed.contains("the db"),
        "{listed}"
    );
    assert!(
        !listed.contains("s3cr3t") && !listed.contains("lines"),
        "{listed}"
    );
    let versions = json(&run(
        "",
        &["secrets", "--output", "json", "versions", "DB_PASSWORD"],
    ));
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["current"], true);
    let rolled = json(&run(
        "",
        &[
            "secrets",
            "--output",
            "json",
            "rollback",
            "DB_PASSWORD",
            "1",
        ],
    ));
    assert_eq!(rolled[0]["version"], 3);
    assert_eq!(
        exits(&run("", &["secrets", "get", "DB_PASSWORD"]), 0),
        "s3cr3t-from-stdin\n"
    );

    exits(&run("", &["secrets", "rm", "DB_PASSWORD"]), 0);
    let gone = run("", &["secrets", "get", "DB_PASSWORD"]);
    exits(&gone, 3);
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found") || !gone.stderr.is_empty());
}
