#!/bin/sh
# Entrypoint of an etcd member: decides how this member starts, logs why, then execs etcd (so
# that etcd is PID 1 and receives the pod's signals).
#
#   data dir holds a member          -> start it (after moving it aside if the cluster removed it)
#   no data, a healthy cluster       -> remove a stale member of the same name, join as a learner
#   no data, no cluster, but another member holds data -> wait: never start a second cluster
#   no data anywhere                 -> restore the configured snapshot (disaster recovery's newest,
#                                       else start-from-snapshot's file), or bootstrap a new cluster
set -eu
LOG_TAG="entrypoint[${ETCD_NAME:?}]"
# shellcheck source=lib.sh
. "${ETCDK8S_RUNTIME_DIR:-/runtime}/lib.sh"
: "${ETCD_DATA_DIR:?}"

self_peer=$(peer_url "$ETCD_NAME")

# exec etcd with the initial-cluster settings $1 (new or existing) and $2.
run_etcd() {
  export ETCD_INITIAL_CLUSTER_STATE="$1" ETCD_INITIAL_CLUSTER="$2"
  # etcd needs no etcdctl credentials in its environment.
  unset ETCDCTL_USER ETCDCTL_PASSWORD ETCDK8S_ROOT_PASSWORD
  log "exec etcd (initial-cluster-state=$1, initial-cluster=$2)"
  exec etcd
}

has_member_data() {
  ls "$ETCD_DATA_DIR"/member/wal/*.wal >/dev/null 2>&1
}

other_endpoints() {
  desired_members | grep -vxF "$ETCD_NAME" | client_urls
}

# Other desired members whose metrics show a decided cluster version: they hold cluster data,
# even when they cannot serve clients for lack of quorum. A member that is bootstrapping a new
# cluster has no cluster version yet.
members_holding_data() {
  desired_members | grep -vxF "$ETCD_NAME" | while read -r member; do
    # (timeout rather than wget -T: some busybox builds crash on -T when the connection fails)
    if timeout 3 wget -q -O - "$(metrics_url "$member")" 2>/dev/null | grep -q '^etcd_cluster_version{'; then
      echo "$member"
    fi
  done | join_lines ' '
}

# In the background, promotes learner $1 through the endpoints $2 once it has caught up with the
# leader. etcd refuses the promotion until then, so this retries.
promote_when_caught_up() {
  (
    LOG_TAG="promote[$ETCD_NAME]"
    while :; do
      sleep 3
      if out=$(ctl --endpoints="$2" member promote "$1" 2>&1); then
        log "promoted learner $1 to a voting member"
        exit 0
      fi
      case $out in
        *"in sync with leader"*) ;;
        *"can only promote a learner member"* | *"member not found"*) log "no promotion needed: $out"; exit 0 ;;
        *) log "member promote $1 failed, retrying: $out" ;;
      esac
    done
  ) &
}

# The snapshot a new cluster starts from, if any: disaster recovery's newest snapshot (every member
# picks the same one), else the start-from-snapshot file (which must exist).
snapshot_to_restore() {
  newest=
  if [ -n "${ETCDK8S_SNAPSHOT_DIR:-}" ]; then
    for file in "$ETCDK8S_SNAPSHOT_DIR"/snapshot-*.db; do
      [ -e "$file" ] && newest=$file
    done
  fi
  if [ -n "$newest" ]; then
    echo "$newest"
  elif [ -n "${ETCDK8S_RESTORE_FILE:-}" ]; then
    [ -f "$ETCDK8S_RESTORE_FILE" ] || die "the snapshot to start from, $ETCDK8S_RESTORE_FILE, does not exist"
    echo "$ETCDK8S_RESTORE_FILE"
  fi
}

# Restores snapshot $1 as this member of a new cluster with the desired members.
restore_snapshot() {
  target="$ETCD_DATA_DIR.restoring"
  rm -rf "$target"
  set -- "$1" --name "$ETCD_NAME" --initial-cluster "$(desired_initial_cluster)" \
    --initial-cluster-token "$ETCD_INITIAL_CLUSTER_TOKEN" --initial-advertise-peer-urls "$self_peer" --data-dir "$target"
  if [ "${ETCDK8S_RESTORE_BUMP_REVISION:-0}" -gt 0 ]; then
    set -- "$@" --bump-revision "$ETCDK8S_RESTORE_BUMP_REVISION" --mark-compacted
  fi
  out=$(etcdutl snapshot restore "$@" 2>&1) || die "etcdutl snapshot restore $1 failed: $out"
  rm -rf "$ETCD_DATA_DIR"
  mv "$target" "$ETCD_DATA_DIR"
  log "restored $1"
}

# Joins the healthy cluster behind the endpoints $1; execs etcd on success, returns 1 otherwise.
join_cluster() {
  endpoints=$1
  members=$(member_list "$endpoints") || { log "member list through $endpoints failed"; return 1; }
  mine=$(printf '%s\n' "$members" | awk -v name="$ETCD_NAME" -v peer="$self_peer" '$3 == name || $4 == peer')
  unstarted=
  for id in $(printf '%s\n' "$mine" | awk '$2 == "started" { print $1 }'); do
    log "the cluster lists this member as $id, but its data is gone: removing the stale member"
    ctl --endpoints="$endpoints" member remove "$id" >/dev/null || { log "member remove $id failed"; return 1; }
  done
  unstarted=$(printf '%s\n' "$mine" | awk '$2 == "unstarted" { print $1; exit }')
  if [ -n "$unstarted" ]; then
    log "the cluster lists this member as $unstarted, added but never started: starting it"
  else
    log "adding this member to the cluster as a learner"
    out=$(ctl --endpoints="$endpoints" member add "$ETCD_NAME" --peer-urls="$self_peer" --learner 2>&1) ||
      { log "member add failed: $out"; return 1; }
    unstarted=$(printf '%s\n' "$out" | awk '$1 == "Member" && $3 == "added" { print $2 }')
  fi
  members=$(member_list "$endpoints") || { log "member list through $endpoints failed"; return 1; }
  if printf '%s\n' "$members" | awk -v id="$unstarted" '$1 == id && $6 == "true" { found = 1 } END { exit !found }'; then
    promote_when_caught_up "$unstarted" "$endpoints"
  fi
  run_etcd existing "$(printf '%s\n' "$members" | initial_cluster_of)"
}

if has_member_data; then
  healthy=$(healthy_endpoints "$(other_endpoints)" | join_lines ,)
  if [ -z "$healthy" ]; then
    log "the data dir holds a member and no other member answers yet: restarting it"
    run_etcd new "$(desired_initial_cluster)"
  fi
  members=$(member_list "$healthy") || die "member list through $healthy failed"
  mine=$(printf '%s\n' "$members" | awk -v peer="$self_peer" '$4 == peer')
  if [ -n "$mine" ]; then
    if [ "$(printf '%s\n' "$mine" | awk '{ print $6 }')" = true ]; then
      promote_when_caught_up "$(printf '%s\n' "$mine" | awk '{ print $1 }')" "$healthy"
    fi
    log "the data dir holds member $(printf '%s\n' "$mine" | awk '{ print $1 }'): restarting it"
    run_etcd new "$(desired_initial_cluster)"
  fi
  aside="$ETCD_DATA_DIR.removed-$(date -u +%Y%m%dT%H%M%SZ)"
  log "the data dir holds a member that the cluster at $healthy has removed: moving it to $aside and joining anew"
  mv "$ETCD_DATA_DIR" "$aside"
fi

delay=2
attempt=1
while :; do
  healthy=$(healthy_endpoints "$(other_endpoints)" | join_lines ,)
  if [ -n "$healthy" ]; then
    log "a healthy cluster answers at $healthy: joining it"
    join_cluster "$healthy" || log "joining failed (attempt $attempt)"
  else
    holders=$(members_holding_data)
    if [ -n "$holders" ]; then
      log "no healthy cluster, but $holders hold cluster data: waiting for quorum instead of bootstrapping (attempt $attempt)"
    else
      snapshot=$(snapshot_to_restore) || die "cannot choose the snapshot to restore"
      if [ -n "$snapshot" ]; then
        log "no member answers and none holds cluster data: restoring $snapshot"
        restore_snapshot "$snapshot"
      else
        log "no member answers and none holds cluster data: bootstrapping a new cluster"
      fi
      run_etcd new "$(desired_initial_cluster)"
    fi
  fi
  log "retrying in ${delay}s"
  sleep "$delay"
  [ "$delay" -ge 30 ] || delay=$((delay * 2))
  attempt=$((attempt + 1))
done
