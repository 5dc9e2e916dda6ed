#!/bin/sh
# Reconcile Job: brings the cluster's membership to the desired member list, one safe step at a
# time, then exits. Idempotent: when membership already matches, it changes nothing.
#
#   1. wait until the desired members' endpoints show a cluster with quorum
#   2. remove members that are not desired, one at a time, never dropping below quorum
#   3. promote learners that have caught up, and wait until every desired member votes
#   4. with RBAC configured: create the root user and enable auth, once
set -eu
LOG_TAG=reconcile
# shellcheck source=lib.sh
. "${ETCDK8S_RUNTIME_DIR:-/runtime}/lib.sh"

deadline=$(($(date +%s) + ${ETCDK8S_RECONCILE_TIMEOUT:-600}))
desired=$(desired_members | join_lines ' ')
endpoints=$(desired_members | client_urls)

# Logs why we wait; fails the Job once the deadline has passed.
wait_for() {
  [ "$(date +%s)" -lt "$deadline" ] || die "gave up waiting: $*"
  log "waiting: $*"
  sleep 5
}

# Field $1 of the member line $2.
field() {
  printf '%s\n' "$2" | awk -v n="$1" '{ print $n }'
}

# Members (member_list lines on stdin) that are not desired.
undesired() {
  awk -v desired="$desired" 'BEGIN { n = split(desired, d, " "); for (i = 1; i <= n; i++) want[d[i]] = 1 } !($7 in want)'
}

# Desired members (names) that are not yet started voters, given member_list lines on stdin.
not_voting() {
  awk -v desired="$desired" '$2 == "started" && $6 == "false" { voting[$7] = 1 }
    END { n = split(desired, d, " "); for (i = 1; i <= n; i++) if (!(d[i] in voting)) print d[i] }' | join_lines ' '
}

log "desired members: $desired"
while :; do
  healthy=$(healthy_endpoints "$endpoints" | join_lines ,)
  if [ -z "$healthy" ]; then
    wait_for "no desired member answers with quorum"
    continue
  fi
  if ! members=$(member_list "$healthy"); then
    wait_for "member list through $healthy failed"
    continue
  fi

  unwanted=$(printf '%s\n' "$members" | undesired | head -n 1)
  if [ -n "$unwanted" ]; then
    id=$(field 1 "$unwanted")
    identity=$(field 7 "$unwanted")
    if [ "$(field 6 "$unwanted")" != true ]; then
      voters=$(printf '%s\n' "$members" | awk '$6 == "false"' | wc -l)
      remaining=$(printf '%s\n' "$members" | awk -v id="$id" '$6 == "false" && $1 != id && $5 != "-" { print $5 }' | join_lines ,)
      up=$(healthy_endpoints "$remaining" | wc -l)
      need=$(((voters - 1) / 2 + 1))
      if [ "$up" -lt "$need" ]; then
        wait_for "removing $identity would leave $up healthy of $((voters - 1)) voters, fewer than the quorum of $need"
        continue
      fi
    fi
    log "removing member $identity ($id): it is not in the desired member list"
    if ! out=$(ctl --endpoints="$healthy" member remove "$id" 2>&1); then
      wait_for "member remove $id failed: $out"
    fi
    continue
  fi

  for learner in $(printf '%s\n' "$members" | awk '$6 == "true" { print $1 }'); do
    if out=$(ctl --endpoints="$healthy" member promote "$learner" 2>&1); then
      log "promoted learner $learner"
    else
      log "learner $learner not promoted yet: $out"
    fi
  done
  members=$(member_list "$healthy") || { wait_for "member list through $healthy failed"; continue; }
  missing=$(printf '%s\n' "$members" | not_voting)
  if [ -n "$missing" ]; then
    wait_for "desired members not yet voting: $missing"
    continue
  fi
  log "membership matches the desired members: $desired"
  break
done

# Creates root (with the configured password, or certificate-only) and enables auth. Every step
# checks first, so a second run changes nothing.
ensure_auth() {
  status=$(ctl --endpoints="$healthy" auth status 2>&1) || { log "auth status failed: $status"; return 1; }
  case $status in
    *"Authentication Status: true"*)
      ctl --endpoints="$healthy" user get root >/dev/null || { log "auth is enabled, but root's credentials are refused"; return 1; }
      log "auth is enabled and root's credentials work: nothing to do"
      return 0
      ;;
  esac
  if ! ctl --endpoints="$healthy" user get root >/dev/null 2>&1; then
    if [ "$ETCDK8S_AUTH" = cert ]; then
      log "creating user root without a password (it authenticates by client certificate)"
      out=$(ctl --endpoints="$healthy" user add root --no-password 2>&1) || { log "user add root failed: $out"; return 1; }
    else
      log "creating user root with the configured password"
      out=$(ctl --endpoints="$healthy" user add root --interactive=false --new-user-password="$ETCDCTL_PASSWORD" 2>&1) ||
        { log "user add root failed: $out"; return 1; }
    fi
  fi
  if ! ctl --endpoints="$healthy" user get root | sed -n 's/^Roles://p' | grep -qw root; then
    out=$(ctl --endpoints="$healthy" user grant-role root root 2>&1) || { log "user grant-role root root failed: $out"; return 1; }
  fi
  out=$(ctl --endpoints="$healthy" auth enable 2>&1) || { log "auth enable failed: $out"; return 1; }
  log "auth enabled: anonymous requests are refused from now on"
}

if [ -n "${ETCDK8S_AUTH:-}" ]; then
  until ensure_auth; do
    wait_for "setting up auth"
  done
fi
log "done"
