#!/bin/sh
# Defrag CronJob: defragments the members one at a time, the leader last, skipping members whose
# fragmentation is below ETCDK8S_DEFRAG_MIN_PERCENT, and checks that every member is healthy before
# it starts and after each member. Defragmenting blocks the member for its duration.
set -eu
LOG_TAG=defrag
# shellcheck source=lib.sh
. "${ETCDK8S_RUNTIME_DIR:-/runtime}/lib.sh"
min=${ETCDK8S_DEFRAG_MIN_PERCENT:-10}
endpoints=$(desired_members | client_urls)
total=$(desired_members | wc -l)

# Waits up to a minute until every desired member is healthy.
all_healthy() {
  tries=0
  while [ "$(healthy_endpoints "$endpoints" | wc -l)" -lt "$total" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 12 ] || return 1
    sleep 5
  done
}

# The number field $1 of the JSON on stdin.
json_number() {
  sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# "<endpoint> <dbSize> <dbSizeInUse> <follower|leader>" for one endpoint.
status_of() {
  json=$(ctl --endpoints="$1" endpoint status -w json) || return 1
  member=$(printf '%s\n' "$json" | json_number member_id)
  leader=$(printf '%s\n' "$json" | json_number leader)
  size=$(printf '%s\n' "$json" | json_number dbSize)
  used=$(printf '%s\n' "$json" | json_number dbSizeInUse)
  [ -n "$size" ] && [ -n "$used" ] || return 1
  if [ "$member" = "$leader" ]; then role=leader; else role=follower; fi
  echo "$1 $size $used $role"
}

all_healthy || die "not every member is healthy: no defragmentation"
statuses=$(for ep in $(printf '%s\n' "$endpoints" | tr ',' ' '); do status_of "$ep" || die "endpoint status of $ep failed"; done)
[ "$(printf '%s\n' "$statuses" | wc -l)" -eq "$total" ] || die "could not read the status of every member: $statuses"

# followers first, the leader last
for line in $(printf '%s\n' "$statuses" | sort -k4,4 | tr ' ' '|'); do
  ep=$(printf '%s' "$line" | cut -d'|' -f1)
  size=$(printf '%s' "$line" | cut -d'|' -f2)
  used=$(printf '%s' "$line" | cut -d'|' -f3)
  role=$(printf '%s' "$line" | cut -d'|' -f4)
  percent=$(((size - used) * 100 / size))
  if [ "$percent" -lt "$min" ]; then
    log "skipping $ep ($role): $percent% fragmented ($used of $size bytes in use), below $min%"
    continue
  fi
  log "defragmenting $ep ($role): $percent% fragmented ($used of $size bytes in use)"
  out=$(ETCDK8S_COMMAND_TIMEOUT=10m ctl --endpoints="$ep" defrag 2>&1) || die "etcdctl defrag $ep failed: $out"
  all_healthy || die "the cluster is not healthy after defragmenting $ep: stopping"
  log "defragmented $ep: now $(status_of "$ep" | cut -d' ' -f2) bytes"
done
log "done"
