#!/usr/bin/env bash
# Real S3 clients against a real `proxicloud serve` (installed by
# scripts/install-test-deps.sh): the AWS CLI (`s3 cp/sync/ls/rm`, `s3api` multipart),
# s3cmd (`put/get/ls/del`) and rclone (`copy/sync/check`) each upload a directory tree
# of a few dozen small files and one file above the multipart threshold, download it
# again and compare checksums. Fails on the first difference or client error.
#
# Usage: bash scripts/s3-clients.sh [PROXICLOUD-BINARY]
#   PROXICLOUD_AWSCLI_VENV  the AWS CLI's virtualenv (as install-test-deps.sh makes it)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/proxicloud/target}/debug/proxicloud}
aws=${PROXICLOUD_AWSCLI_VENV:-$HOME/.cache/proxicloud/awscli-venv}/bin/aws

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)

admin_password="s3-clients-admin-password"
PROXICLOUD_ADMIN_PASSWORD=$admin_password PROXICLOUD_LOG=warn \
  "$binary" serve --listen 127.0.0.1:0 --s3-listen 127.0.0.1:0 --data-dir "$work/data" \
  >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=""; endpoint=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^ProxiCloud listening on \(http:[^ ]*\)$/\1/p' "$work/serve.out")
  endpoint=$(sed -n 's/^S3 endpoint at \(http:[^ ]*\) .*$/\1/p' "$work/serve.out")
  [ -n "$url" ] && [ -n "$endpoint" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; echo "serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$endpoint" ] || { echo "serve did not start its S3 endpoint" >&2; exit 1; }
host=${endpoint#http://}

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }
post() { curl -fsS -X POST "$url$1" -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2"; }
session=$(post /api/v1/auth/login "{\"username\":\"admin\",\"password\":\"$admin_password\"}" | json '["access_token"]')
created=$(post /api/v1/s3/access-keys '{}' "$session")
access_key=$(json '["access_key_id"]' <<<"$created")
secret_key=$(json '["secret_access_key"]' <<<"$created")

# The tree: 40 small files in nested folders (names with spaces and UTF-8 too) and a
# 9 MiB file, above every client's multipart threshold as configured below.
tree="$work/tree"
for i in $(seq 1 40); do
  dir="$tree/d$((i % 4))/sub $((i % 3))"
  mkdir -p "$dir"
  head -c $((i * 97)) /dev/urandom >"$dir/file-$i.bin"
done
printf 'grüße\n' >"$tree/d0/ünïcode name.txt"
head -c $((9 * 1024 * 1024)) /dev/urandom >"$tree/large.bin"
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
sums "$tree" >"$work/expected.md5"
same() {
  sums "$1" >"$work/got.md5"
  if ! diff -u "$work/expected.md5" "$work/got.md5"; then echo "$2: downloaded tree differs" >&2; exit 1; fi
  echo "$2: $(wc -l <"$work/got.md5") files byte-identical"
}

# --- AWS CLI -------------------------------------------------------------------------
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
printf '[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n' >"$AWS_CONFIG_FILE"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$access_key" "$secret_key" >"$AWS_SHARED_CREDENTIALS_FILE"
awsc() { "$aws" --endpoint-url "$endpoint" "$@"; }
# The large file went up in parts: its ETag is S3's multipart form, `<md5>-<parts>`.
multipart_etag() {
  local etag
  etag=$(awsc s3api head-object --bucket "$1" --key "$2" --query ETag --output text)
  [[ $etag == *-2\" ]] || { echo "$3: $2 has ETag $etag, not a 2-part upload's" >&2; exit 1; }
}
awsc s3 mb s3://aws-tree >/dev/null
awsc s3 sync "$tree" s3://aws-tree/tree >/dev/null
awsc s3 ls s3://aws-tree/tree/ --recursive | grep -q 'tree/large.bin' || { echo "aws s3 ls: large.bin missing" >&2; exit 1; }
awsc s3 sync s3://aws-tree/tree "$work/aws-down" >/dev/null
same "$work/aws-down" "aws s3 sync"
multipart_etag aws-tree tree/large.bin "aws s3 sync"
awsc s3 cp "$tree/large.bin" s3://aws-tree/copy/large.bin >/dev/null
awsc s3 cp s3://aws-tree/copy/large.bin "$work/aws-large.bin" >/dev/null
cmp "$tree/large.bin" "$work/aws-large.bin"
# s3api multipart by hand: two parts, complete, the ETag is md5-of-md5s-2.
upload=$(awsc s3api create-multipart-upload --bucket aws-tree --key manual.bin --query UploadId --output text)
head -c $((5 * 1024 * 1024)) "$tree/large.bin" >"$work/part1"
tail -c +$((5 * 1024 * 1024 + 1)) "$tree/large.bin" >"$work/part2"
etag1=$(awsc s3api upload-part --bucket aws-tree --key manual.bin --upload-id "$upload" --part-number 1 --body "$work/part1" --query ETag --output text)
etag2=$(awsc s3api upload-part --bucket aws-tree --key manual.bin --upload-id "$upload" --part-number 2 --body "$work/part2" --query ETag --output text)
python3 -c 'import json,sys; print(json.dumps({"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(sys.argv[1:])]}))' \
  "$etag1" "$etag2" >"$work/parts.json"
etag=$(awsc s3api complete-multipart-upload --bucket aws-tree --key manual.bin --upload-id "$upload" \
  --multipart-upload "file://$work/parts.json" --query ETag --output text)
expected_etag=$(python3 - "$work/part1" "$work/part2" <<'EOF'
import hashlib, sys
digests = b"".join(hashlib.md5(open(p, "rb").read()).digest() for p in sys.argv[1:])
print('"%s-%d"' % (hashlib.md5(digests).hexdigest(), len(sys.argv) - 1))
EOF
)
[ "$etag" = "$expected_etag" ] || { echo "s3api multipart ETag $etag, expected $expected_etag" >&2; exit 1; }
awsc s3api get-object --bucket aws-tree --key manual.bin "$work/manual.bin" >/dev/null
cmp "$tree/large.bin" "$work/manual.bin"
echo "aws s3api multipart: ETag $etag, byte-identical"
awsc s3 rm s3://aws-tree --recursive >/dev/null
[ -z "$(awsc s3 ls s3://aws-tree --recursive)" ] || { echo "aws s3 rm left objects" >&2; exit 1; }
awsc s3 rb s3://aws-tree >/dev/null

# --- s3cmd ---------------------------------------------------------------------------
cat >"$work/s3cfg" <<EOF
[default]
access_key = $access_key
secret_key = $secret_key
host_base = $host
host_bucket = $host
use_https = False
signature_v2 = False
bucket_location = us-east-1
multipart_chunk_size_mb = 5
EOF
s3c() { s3cmd -c "$work/s3cfg" --no-progress "$@"; }
s3c mb s3://s3cmd-tree >/dev/null
s3c put --recursive "$tree/" s3://s3cmd-tree/tree/ >/dev/null
s3c ls --recursive s3://s3cmd-tree/ | grep -q 'tree/large.bin' || { echo "s3cmd ls: large.bin missing" >&2; exit 1; }
mkdir -p "$work/s3cmd-down"
(cd "$work/s3cmd-down" && s3c get --recursive s3://s3cmd-tree/tree/ >/dev/null)
same "$work/s3cmd-down" "s3cmd put/get"
multipart_etag s3cmd-tree tree/large.bin "s3cmd put"
s3c del --recursive --force s3://s3cmd-tree/ >/dev/null
[ -z "$(s3c ls --recursive s3://s3cmd-tree/)" ] || { echo "s3cmd del left objects" >&2; exit 1; }
s3c rb s3://s3cmd-tree >/dev/null

# --- rclone --------------------------------------------------------------------------
export RCLONE_CONFIG="$work/rclone.conf"
# rclone's S3 backend reads the AWS environment too; a custom CA bundle there (for
# HTTPS) makes it refuse a plain-HTTP endpoint.
cat >"$RCLONE_CONFIG" <<EOF
[pc]
type = s3
provider = Other
access_key_id = $access_key
secret_access_key = $secret_key
endpoint = $endpoint
region = us-east-1
force_path_style = true
upload_cutoff = 5M
chunk_size = 5M
EOF
rclone() { env -u AWS_CA_BUNDLE rclone --quiet "$@"; }
rclone mkdir pc:rclone-tree
rclone copy "$tree" pc:rclone-tree/tree
rclone check "$tree" pc:rclone-tree/tree
rclone copy pc:rclone-tree/tree "$work/rclone-down"
same "$work/rclone-down" "rclone copy"
multipart_etag rclone-tree tree/large.bin "rclone copy"
# sync deletes what the source no longer has, and uploads the change.
rm "$work/rclone-down/d1/sub 1/file-1.bin"
printf 'changed\n' >"$work/rclone-down/d0/ünïcode name.txt"
rclone sync "$work/rclone-down" pc:rclone-tree/tree
rclone check "$work/rclone-down" pc:rclone-tree/tree
rclone purge pc:rclone-tree

echo "S3 clients: $(( $(date +%s) - started )) s"
