#!/usr/bin/env bash
# Runs shellcheck (Debian's package, fetched into the test cache) on the scripts that run in the
# pods (POSIX sh, as busybox ash runs them) and on the project's own bash scripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${CDK8S_ETCD_BIN_CACHE:-$root/node_modules/.cache/cdk8s-etcd}"
bash "$root/scripts/test-binaries.sh" "$cache" >/dev/null
shellcheck="$cache/bin/shellcheck"
cd "$root"
"$shellcheck" --version | sed -n 's/^version: /shellcheck /p'
"$shellcheck" --shell=sh --external-sources --source-path=src/runtime src/runtime/*.sh
"$shellcheck" --shell=bash scripts/*.sh .ci/run
echo "shellcheck: src/runtime/*.sh, scripts/*.sh and .ci/run are clean"
