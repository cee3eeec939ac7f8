#!/bin/sh
# Installs ProxiCloud as a system service on Debian 12/13 or a Proxmox VE host (or in
# an LXC container on one): builds the binary from this checkout, then runs
# `proxicloud install --system`, which creates the `proxicloud` user,
# /etc/proxicloud/config.toml, /var/lib/proxicloud and a hardened systemd unit, and
# starts it. Run it again to upgrade; configuration and data are kept.
#
#   sudo sh install.sh                       install or upgrade, then start
#   sudo sh install.sh --uninstall [--purge] remove (--purge: configuration and data too)
#   sh install.sh --root DIR --no-start      into DIR instead of / (packaging, tests)
#
# PROXICLOUD_BINARY=path uses an already built binary instead of building one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary=${PROXICLOUD_BINARY:-}
if [ -z "$binary" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo not found; install a Rust toolchain (rustup) or set PROXICLOUD_BINARY" >&2
    exit 1
  fi
  (cd "$here" && cargo build --release --locked -p proxicloud)
  binary=${CARGO_TARGET_DIR:-$here/target}/release/proxicloud
fi
exec "$binary" install --system "$@"
