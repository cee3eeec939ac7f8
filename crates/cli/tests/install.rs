//! `proxicloud install --system` and `install.sh` into a throwaway root: the files,
//! their modes, the hardened unit (checked by `systemd-analyze verify` where it
//! exists), idempotence, and uninstall keeping the data unless `--purge`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn install(root: &Path, extra: &[&str]) -> String {
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_proxicloud"))
            .args(["install", "--system", "--root"])
            .arg(root)
            .args(extra)
            .output()
            .unwrap(),
    )
}

#[test]
fn install_into_a_root_is_complete_hardened_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let printed = install(root, &["--listen", "0.0.0.0:8443"]);
    assert!(printed.contains("not started"), "{printed}");

    let binary = root.join("usr/local/bin/proxicloud");
    assert_eq!(mode(&binary), 0o755);
    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert!(succeeded(version).starts_with("proxicloud "));
    assert_eq!(mode(&root.join("etc/proxicloud")), 0o750);
    let config = root.join("etc/proxicloud/config.toml");
    assert_eq!(mode(&config), 0o640);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("listen = \"0.0.0.0:8443\""), "{text}");
    assert!(
        text.contains("data_dir = \"/var/lib/proxicloud\""),
        "{text}"
    );
    // The configuration is one `check-config` accepts without a warning.
    let checked = Command::new(&binary)
        .args(["check-config", "--config"])
        .arg(&config)
        // Only the file: this test's own PROXICLOUD_* variables are not config keys.
        .env_clear()
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&checked.stderr).contains("warning"),
        "{checked:?}"
    );
    succeeded(checked);
    assert_eq!(mode(&root.join("var/lib/proxicloud")), 0o700);
    let unit_path = root.join("etc/systemd/system/proxicloud.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    for line in [
        "User=proxicloud",
        "ExecStart=/usr/local/bin/proxicloud serve --config /etc/proxicloud/config.toml",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/proxicloud",
        "AmbientCapabilities=\n",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(unit.contains(line), "{line} missing from the unit:\n{unit}");
    }
    verify_unit(&unit_path);

    // Again (an upgrade): an edited configuration is kept, the rest is in place.
    std::fs::write(&config, "listen = \"127.0.0.1:9999\"\n").unwrap();
    std::fs::set_permissions(
        root.join("var/lib/proxicloud"),
        PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    install(root, &[]);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "listen = \"127.0.0.1:9999\"\n"
    );
    assert_eq!(
        mode(&root.join("var/lib/proxicloud")),
        0o700,
        "tightened again"
    );

    // Uninstall keeps configuration and data; purge removes them.
    std::fs::write(root.join("var/lib/proxicloud/proxicloud.db"), b"data").unwrap();
    install(root, &["--uninstall"]);
    assert!(!binary.exists() && !unit_path.exists());
    assert!(config.exists() && root.join("var/lib/proxicloud/proxicloud.db").exists());
    install(root, &["--uninstall", "--purge"]);
    assert!(!config.exists() && !root.join("var/lib/proxicloud").exists());
}

/// `systemd-analyze verify` of the unit, where systemd is installed (unknown keys and
/// bad values fail it). A copy names this test's binary, which exists on this host.
fn verify_unit(unit: &Path) {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze not installed: unit syntax not verified");
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("proxicloud.service");
    let text = std::fs::read_to_string(unit).unwrap().replace(
        "/usr/local/bin/proxicloud",
        env!("CARGO_BIN_EXE_proxicloud"),
    );
    std::fs::write(&copy, text).unwrap();
    let output = Command::new("systemd-analyze")
        .args(["verify", "--recursive-errors=no", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}

#[test]
fn install_sh_uses_the_given_binary() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../install.sh");
    let output = Command::new("sh")
        .arg(&script)
        .args(["--root"])
        .arg(dir.path())
        .arg("--no-start")
        .env("PROXICLOUD_BINARY", env!("CARGO_BIN_EXE_proxicloud"))
        .output()
        .unwrap();
    succeeded(output);
    assert_eq!(mode(&dir.path().join("var/lib/proxicloud")), 0o700);
    assert!(
        dir.path()
            .join("etc/systemd/system/proxicloud.service")
            .exists()
    );
}
