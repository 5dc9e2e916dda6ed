#!/bin/sh
# Snapshot CronJob: saves a snapshot from one healthy member to the snapshot volume, atomically
# (temporary file, verified with `etcdutl snapshot status`, then renamed), names it by UTC time,
# and keeps the newest ETCDK8S_SNAPSHOTS_TO_KEEP.
set -eu
LOG_TAG=snapshot
# shellcheck source=lib.sh
. "${ETCDK8S_RUNTIME_DIR:-/runtime}/lib.sh"
dir=${ETCDK8S_SNAPSHOT_DIR:?}
keep=${ETCDK8S_SNAPSHOTS_TO_KEEP:-3}

endpoint=$(healthy_endpoints "$(desired_members | client_urls)" | head -n 1)
[ -n "$endpoint" ] || die "no member answers with quorum: no snapshot taken"

name="snapshot-$(date -u +%Y%m%dT%H%M%SZ).db"
part="$dir/.$name.part"
# etcdctl writes "<file>.part" while it downloads.
trap 'rm -f "$part" "$part.part"' EXIT
log "saving a snapshot from $endpoint"
out=$(ETCDK8S_COMMAND_TIMEOUT=30m ctl --endpoints="$endpoint" snapshot save "$part" 2>&1) || die "etcdctl snapshot save from $endpoint failed: $out"
status=$(etcdutl snapshot status "$part" -w simple 2>&1) || die "the snapshot does not verify (etcdutl snapshot status): $status"
mv "$part" "$dir/$name"
log "saved $name (hash, revision, keys, size: $status)"

count=0
for file in "$dir"/snapshot-*.db; do
  [ -e "$file" ] && count=$((count + 1))
done
for file in "$dir"/snapshot-*.db; do
  [ "$count" -gt "$keep" ] || break
  rm -f "$file"
  log "removed $(basename "$file"), keeping the newest $keep"
  count=$((count - 1))
done
