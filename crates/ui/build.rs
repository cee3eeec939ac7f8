//! Builds the console (`ui/`) with npm when `ui/dist` is missing or older than the
//! sources, so `cargo build` on a fresh checkout produces a binary with the UI in it.
//!
//! `PROXICLOUD_SKIP_UI_BUILD=1` skips npm when a `ui/dist` exists (CI that built the
//! UI in an earlier step, or machines without Node).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;
use std::{env, fs};

/// Inputs whose change means the bundle must be rebuilt.
const SOURCES: &[&str] = &[
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "svelte.config.js",
    "tsconfig.json",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    println!("cargo:rerun-if-env-changed=PROXICLOUD_SKIP_UI_BUILD");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", ui.join(source).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        dist.join("index.html").display()
    );

    let skip = env::var("PROXICLOUD_SKIP_UI_BUILD").is_ok_and(|v| v == "1");
    let built = newest(&dist.join("index.html"));
    if skip && built.is_some() {
        return;
    }
    let sources = SOURCES.iter().filter_map(|s| newest(&ui.join(s))).max();
    if built.is_some() && built >= sources {
        return;
    }
    // `npm ci` wipes node_modules: only when the lock file moved past the install.
    let installed = newest(&ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < newest(&ui.join("package-lock.json")) {
        npm(&ui, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&ui, &["run", "build"]);
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|error| {
            panic!("cannot run npm ({error}); install Node.js 20+ or build ui/ yourself and set PROXICLOUD_SKIP_UI_BUILD=1")
        });
    assert!(status.success(), "`npm {}` in ui/ failed", args.join(" "));
}

/// The latest modification time of a file, or of any file under a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .max()
}
