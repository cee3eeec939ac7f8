//! The CLI as a client: `proxicloud login|instances|jobs` run as real processes
//! against `proxicloud serve --demo` on a temporary data dir and a free port, each
//! with its own config dir (`XDG_CONFIG_HOME`), so nothing touches the user's.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{ServeProcess, TEMPLATE};
use serde_json::Value;

const ADMIN_PASSWORD: &str = "cli-client-password";

/// Runs `proxicloud args…` with `config_home` as its config dir, `env` added and
/// `stdin` piped in (not a terminal: prompts read lines, progress is plain lines).
fn cli(config_home: &Path, env: &[(&str, &str)], stdin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxicloud"))
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("PROXICLOUD_URL")
        .env_remove("PROXICLOUD_TOKEN")
        .envs(env.iter().copied())
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Exits with `code` and says `says` on stderr.
fn assert_fails(output: &Output, code: i32, says: &str) {
    assert_exit(output, code);
    let stderr = text(&output.stderr);
    assert!(stderr.contains(says), "{stderr}");
}

/// `serve --demo` in `dir`, and a CLI config dir (returned) logged in to it as admin.
fn demo_logged_in(dir: &Path) -> (ServeProcess, std::path::PathBuf) {
    let server = ServeProcess::start(&dir.join("data"), ADMIN_PASSWORD, &["--demo"]);
    let home = dir.join("config");
    let login = cli(
        &home,
        &[],
        &format!("admin\n{ADMIN_PASSWORD}\n"),
        &["login", "--url", server.url.as_str()],
    );
    assert_exit(&login, 0);
    (server, home)
}

fn json(output: &Output) -> Value {
    assert_exit(output, 0);
    serde_json::from_slice(&output.stdout).expect("--output json prints JSON")
}

#[test]
fn login_launch_wait_and_the_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&dir.path().join("data"), ADMIN_PASSWORD, &["--demo"]);
    let url = server.url.as_str();
    let home = dir.path().join("config");
    let run = |args: &[&str]| cli(&home, &[], "", args);

    // Not logged in yet: a usage error.
    assert_exit(&run(&["instances", "list"]), 2);

    // A wrong password: refused, with the server's code.
    let wrong = cli(
        &home,
        &[],
        "admin\nnot-the-password\n",
        &["login", "--url", url],
    );
    assert_fails(&wrong, 3, "invalid_credentials");

    // Username and password on stdin: an API token is created and stored 0600.
    let login = cli(
        &home,
        &[],
        &format!("admin\n{ADMIN_PASSWORD}\n"),
        &["login", "--url", url],
    );
    assert_exit(&login, 0);
    let file = home.join("proxicloud/credentials.toml");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let beside: Vec<_> = std::fs::read_dir(home.join("proxicloud"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        beside,
        ["credentials.toml"],
        "no temporary file left behind"
    );
    let stored: toml::Table = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = stored["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("pc_"), "an API token, not a session");
    assert!(!text(&login.stdout).contains(&token) && !text(&login.stderr).contains(&token));

    // A container nobody could log in to: refused (3) with the server's words.
    let keyless = run(&[
        "instances",
        "launch",
        "--type",
        "lxc",
        "--template",
        TEMPLATE,
    ]);
    assert_exit(&keyless, 3);
    assert!(
        text(&keyless.stderr).contains("a container needs a way in"),
        "{}",
        text(&keyless.stderr)
    );

    // Launch and wait: the job's progress as plain lines on stderr, the job as JSON
    // with the generated root password.
    let launched = run(&[
        "instances",
        "launch",
        "--type",
        "lxc",
        "--name",
        "from-the-cli",
        "--template",
        TEMPLATE,
        "--memory",
        "512",
        "--disk",
        "4",
        "--generate-root-password",
        "--wait",
        "--output",
        "json",
    ]);
    let job = json(&launched);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"], 100);
    let password = job["root_password"].as_str().expect("the root password");
    assert_eq!(password.len(), 24, "{password}");
    assert!(!text(&launched.stderr).contains(password));
    let progress = text(&launched.stderr);
    assert!(
        progress.contains("job ") && progress.contains("succeeded"),
        "{progress}"
    );
    assert!(!progress.contains(&token) && !text(&launched.stdout).contains(&token));

    let list = json(&run(&["instances", "list", "--output", "json"]));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"from-the-cli"), "{names:?}");
    let shown = run(&["instances", "get", "from-the-cli"]);
    assert_exit(&shown, 0);
    assert!(text(&shown.stdout).contains("from-the-cli"));

    let stop = run(&["instances", "stop", "from-the-cli", "--wait", "-o", "json"]);
    assert_eq!(json(&stop)["status"], "succeeded");
    let start = run(&["instances", "start", "from-the-cli", "--wait", "-o", "json"]);
    assert_eq!(json(&start)["status"], "succeeded");
    // A clean shutdown: its own job kind, and the guest ends stopped.
    let shutdown = json(&run(&[
        "instances",
        "shutdown",
        "from-the-cli",
        "--wait",
        "-o",
        "json",
    ]));
    assert_eq!(shutdown["status"], "succeeded", "{shutdown}");
    assert_eq!(shutdown["kind"], "instance.shutdown", "{shutdown}");
    let shut = json(&run(&["instances", "get", "from-the-cli", "-o", "json"]));
    assert_eq!(shut["status"], "stopped", "{shut}");

    let jobs = json(&run(&["jobs", "list", "--output", "json"]));
    assert_eq!(jobs.as_array().unwrap().len(), 4, "{jobs}");
    let first = jobs[3]["id"].as_str().unwrap();
    // `--status` filters on the server: nothing waits for child jobs here.
    let waiting = json(&run(&["jobs", "list", "--status", "waiting", "-o", "json"]));
    assert_eq!(waiting, serde_json::json!([]), "{waiting}");
    let succeeded = json(&run(&[
        "jobs",
        "list",
        "--status",
        "succeeded",
        "-o",
        "json",
    ]));
    assert_eq!(succeeded.as_array().unwrap().len(), 4, "{succeeded}");
    let watched = json(&run(&["jobs", "watch", first, "-o", "json"]));
    assert_eq!(watched["kind"], "instance.create");
    assert!(
        watched.get("root_password").is_none(),
        "shown once: {watched}"
    );

    // As text: the password on its own line of stdout, once, and a warning on stderr.
    let table = run(&[
        "instances",
        "launch",
        "--type",
        "lxc",
        "--template",
        TEMPLATE,
        "--generate-root-password",
        "--no-start",
    ]);
    assert_exit(&table, 0);
    let stdout = text(&table.stdout);
    let shown: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("root password: "))
        .collect();
    assert_eq!(shown.len(), 1, "{stdout}");
    assert_eq!(shown[0].len(), 24, "{stdout}");
    assert_eq!(stdout.matches(shown[0]).count(), 1, "{stdout}");
    assert!(text(&table.stderr).contains("shown only this once"));

    // A reader that stops early (`| head`) ends the command quietly, not in a panic.
    let mut piped = Command::new(env!("CARGO_BIN_EXE_proxicloud"))
        .args(["instances", "list"])
        .env("XDG_CONFIG_HOME", &home)
        .env_remove("PROXICLOUD_URL")
        .env_remove("PROXICLOUD_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(piped.stdout.take());
    let closed = piped.wait_with_output().unwrap();
    assert_exit(&closed, 0);
    assert!(
        !text(&closed.stderr).contains("panicked"),
        "{}",
        text(&closed.stderr)
    );

    // The same API token given with --token, into another config dir.
    let other = dir.path().join("other-config");
    assert_exit(
        &cli(&other, &[], "", &["login", "--url", url, "--token", &token]),
        0,
    );
    assert!(other.join("proxicloud/credentials.toml").is_file());

    // The environment overrides the stored login: a bad token is refused (3) with
    // the server's message; an unreachable server is 5.
    let bad = cli(
        &home,
        &[("PROXICLOUD_TOKEN", "pc_not-a-real-token")],
        "",
        &["instances", "list"],
    );
    assert_fails(&bad, 3, "authentication required");
    let nowhere = cli(
        &home,
        &[("PROXICLOUD_URL", "http://127.0.0.1:9")],
        "",
        &["jobs", "list"],
    );
    assert_exit(&nowhere, 5);

    // A failed request to terminate without --yes off a terminal: usage, nothing done.
    assert_exit(&run(&["instances", "terminate", "from-the-cli"]), 2);

    for help in [
        &["login", "--help"][..],
        &["instances", "--help"],
        &["jobs", "--help"],
    ] {
        let shown = run(help);
        assert_exit(&shown, 0);
        assert!(text(&shown.stdout).contains("Exit codes"), "{help:?}");
    }
}

#[test]
fn keypairs_create_writes_the_private_key_0600_and_launch_installs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, home) = demo_logged_in(dir.path());
    let run = |args: &[&str]| cli(&home, &[], "", args);

    let key_file = dir.path().join("laptop");
    let key_path = key_file.to_str().unwrap();
    let created = json(&run(&[
        "keypairs", "create", "laptop", "--file", key_path, "--output", "json",
    ]));
    assert_eq!(created["type"], "ssh-ed25519");
    let private = std::fs::read_to_string(&key_file).unwrap();
    assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let public = std::fs::read_to_string(dir.path().join("laptop.pub")).unwrap();
    assert_eq!(public.trim_end(), created["public_key"].as_str().unwrap());
    // The file is never overwritten: refused before the server is asked.
    assert_exit(
        &run(&["keypairs", "create", "again", "--file", key_path]),
        2,
    );
    // Nor is a `.pub` beside a free private-key path (the server would have made a
    // pair whose public half could not be saved).
    let taken_pub = dir.path().join("other.pub");
    std::fs::write(&taken_pub, "mine").unwrap();
    let other = dir.path().join("other");
    assert_fails(
        &run(&[
            "keypairs",
            "create",
            "other",
            "--file",
            other.to_str().unwrap(),
        ]),
        2,
        "other.pub already exists",
    );
    assert_eq!(std::fs::read_to_string(&taken_pub).unwrap(), "mine");
    assert!(!other.exists());

    let import = |name: &str, file: &Path, more: &[&str]| {
        let file = file.to_str().unwrap();
        run(&[
            &["keypairs", "import", name, "--public-key-file", file],
            more,
        ]
        .concat())
    };
    // A public key file that is not there: a usage error, said locally.
    let missing = dir.path().join("missing.pub");
    assert_fails(
        &import("missing", &missing, &[]),
        2,
        &format!("cannot read {}", missing.display()),
    );
    let imported = json(&import(
        "work",
        &dir.path().join("laptop.pub"),
        &["--output", "json"],
    ));
    assert_eq!(imported["fingerprint"], created["fingerprint"]);
    let bad = dir.path().join("bad.pub");
    std::fs::write(&bad, "ssh-rsa AAAA").unwrap();
    assert_fails(&import("bad", &bad, &[]), 3, "public_key");

    let listed = json(&run(&["keypairs", "list", "--output", "json"]));
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["laptop", "work"]);

    let job = json(&run(&[
        "instances",
        "launch",
        "--type",
        "lxc",
        "--name",
        "keyed",
        "--template",
        TEMPLATE,
        "--memory",
        "512",
        "--disk",
        "4",
        "--key-pair",
        "laptop",
        "--volume",
        "name=keyed-data,size=2,path=/data",
        "--wait",
        "--output",
        "json",
    ]));
    assert_eq!(job["status"], "succeeded", "{job}");
    // The volume came with it, mounted where asked.
    let volumes = json(&run(&["volumes", "list", "--output", "json"]));
    let data = volumes
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "keyed-data")
        .unwrap_or_else(|| panic!("{volumes}"));
    assert_eq!(data["status"], "in-use", "{data}");
    assert_eq!(data["attachment"]["mount_path"], "/data", "{data}");
    // A malformed --volume is a usage error, before anything is sent.
    assert_exit(
        &run(&[
            "instances",
            "launch",
            "--type",
            "lxc",
            "--template",
            TEMPLATE,
            "--volume",
            "name=x,size=big",
        ]),
        2,
    );
    assert_exit(
        &run(&[
            "instances",
            "launch",
            "--type",
            "lxc",
            "--template",
            TEMPLATE,
            "--key-pair",
            "nope",
        ]),
        2,
    );

    assert_exit(&run(&["keypairs", "delete", "work"]), 0);
    let listed = json(&run(&["keypairs", "list", "--output", "json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn images_upload_streams_a_file_that_proxmox_verifies_then_lists_and_deletes_it() {
    use sha2::{Digest, Sha256};

    let dir = tempfile::tempdir().unwrap();
    let (_server, home) = demo_logged_in(dir.path());
    let run = |args: &[&str]| cli(&home, &[], "", args);

    // Several of the CLI's 1 MiB chunks, and more than any JSON body may be.
    let iso = dir.path().join("tools.iso");
    let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&iso, &bytes).unwrap();
    let path = iso.to_str().unwrap();
    let checksum = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    let job = json(&run(&[
        "images",
        "upload",
        path,
        "--node",
        "pve1",
        "--checksum",
        &checksum,
        "--wait",
        "-o",
        "json",
    ]));
    assert_eq!(job["kind"], "image.upload");
    assert_eq!(job["status"], "succeeded", "{job}");
    let list = json(&run(&["images", "list", "-o", "json"]));
    let uploaded = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["volid"] == "local:iso/tools.iso")
        .unwrap_or_else(|| panic!("the upload is listed: {list}"));
    assert_eq!(uploaded["size"], bytes.len() as u64);

    // A wrong checksum: Proxmox keeps nothing and the job fails (exit 4).
    let wrong = format!("sha256:{}", "0".repeat(64));
    let bad = dir.path().join("bad.iso");
    std::fs::write(&bad, b"not what the checksum says").unwrap();
    let failed = run(&[
        "images",
        "upload",
        bad.to_str().unwrap(),
        "--node",
        "pve1",
        "--checksum",
        &wrong,
        "--wait",
    ]);
    assert_fails(&failed, 4, "checksum mismatch");
    // Neither an ISO nor a template: a usage error before anything is sent.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"hello").unwrap();
    assert_exit(
        &run(&[
            "images",
            "upload",
            notes.to_str().unwrap(),
            "--node",
            "pve1",
        ]),
        2,
    );

    let deleted = json(&run(&[
        "images",
        "delete",
        "local:iso/tools.iso",
        "--wait",
        "-o",
        "json",
    ]));
    assert_eq!(deleted["status"], "succeeded", "{deleted}");
    let list = json(&run(&["images", "list", "-o", "json"]));
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["volid"] == "local:iso/tools.iso" || i["volid"] == "local:iso/bad.iso"),
        "{list}"
    );
}
