# shellcheck shell=sh
# Helpers shared by the cdk8s-etcd runtime scripts. POSIX sh as busybox ash runs it.
#
# Settings come from the environment the construct renders:
#   ETCDK8S_MEMBERS_FILE   desired member names, one per line (runtime ConfigMap)
#   ETCDK8S_MEMBERS        or the desired member names, space-separated (Jobs pin the list they act on)
#   ETCDK8S_DOMAIN         DNS suffix of the members: <headless>.<namespace>.svc.<cluster domain>
#   ETCDK8S_PEER_SCHEME, ETCDK8S_PEER_PORT, ETCDK8S_CLIENT_SCHEME, ETCDK8S_CLIENT_PORT, ETCDK8S_METRICS_PORT
#   ETCDCTL_*              TLS settings for etcdctl, when configured
#   ETCDK8S_AUTH           "password" or "cert" when etcd RBAC is configured
#   ETCDK8S_ROOT_PASSWORD_FILE, or ETCDK8S_ROOT_PASSWORD: root's password, when there is one

log() {
  printf '%s %s: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "${LOG_TAG:-etcd-runtime}" "$*" >&2
}

die() {
  log "FAILED: $*"
  exit 1
}

# etcdctl authenticates as root with the password when there is one; with client certificate
# auth and no password, the certificate (common name root) is the credential.
if [ -n "${ETCDK8S_ROOT_PASSWORD_FILE:-}" ]; then
  ETCDCTL_PASSWORD=$(cat "$ETCDK8S_ROOT_PASSWORD_FILE") || die "cannot read the root password from $ETCDK8S_ROOT_PASSWORD_FILE"
  ETCDCTL_USER=root
  export ETCDCTL_USER ETCDCTL_PASSWORD
elif [ -n "${ETCDK8S_ROOT_PASSWORD:-}" ]; then
  ETCDCTL_USER=root
  ETCDCTL_PASSWORD=$ETCDK8S_ROOT_PASSWORD
  export ETCDCTL_USER ETCDCTL_PASSWORD
fi

# The desired member names, one per line.
desired_members() {
  if [ -n "${ETCDK8S_MEMBERS:-}" ]; then
    printf '%s\n' "$ETCDK8S_MEMBERS" | tr ' ' '\n' | sed '/^$/d'
  else
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ETCDK8S_MEMBERS_FILE"
  fi
}

peer_url() {
  printf '%s://%s.%s:%s\n' "$ETCDK8S_PEER_SCHEME" "$1" "$ETCDK8S_DOMAIN" "$ETCDK8S_PEER_PORT"
}

client_url() {
  printf '%s://%s.%s:%s\n' "$ETCDK8S_CLIENT_SCHEME" "$1" "$ETCDK8S_DOMAIN" "$ETCDK8S_CLIENT_PORT"
}

metrics_url() {
  printf 'http://%s.%s:%s/metrics\n' "$1" "$ETCDK8S_DOMAIN" "$ETCDK8S_METRICS_PORT"
}

# Joins the lines of stdin with the separator $1.
join_lines() {
  awk -v sep="$1" 'NR > 1 { printf "%s", sep } { printf "%s", $0 } END { print "" }'
}

# Client URLs of the given member names (stdin), comma-separated.
client_urls() {
  while read -r member; do client_url "$member"; done | join_lines ,
}

# `name=peerURL,...` for the desired members, as a new cluster starts with.
desired_initial_cluster() {
  desired_members | while read -r member; do
    printf '%s=%s\n' "$member" "$(peer_url "$member")"
  done | join_lines ,
}

ctl() {
  etcdctl --dial-timeout=3s --command-timeout="${ETCDK8S_COMMAND_TIMEOUT:-15s}" "$@"
}

# Prints, one per line, those of the comma-separated endpoints $1 that pass a linearizable health
# check (so a cluster with quorum stands behind them). Checks all endpoints at once.
healthy_endpoints() {
  [ -n "$1" ] || return 0
  etcdctl --dial-timeout=2s --command-timeout=5s --endpoints="$1" endpoint health 2>&1 |
    awk '$2 == "is" && $3 == "healthy:" { print $1 }'
}

# The cluster's members as seen through the endpoints $1, one per line:
#   id status name peerURL clientURL isLearner identity
# where empty fields are "-" and identity is the name, or for a member that never started, the
# first label of its peer URL's host (which is the pod name).
member_list() {
  members=$(ctl --endpoints="$1" member list -w simple) || return 1
  printf '%s\n' "$members" | awk -F', ' 'NF >= 6 {
    for (i = 1; i <= 6; i++) if ($i == "") $i = "-"
    identity = $3
    if (identity == "-") { identity = $4; sub(/^[a-z]+:\/\//, "", identity); sub(/[.:].*/, "", identity) }
    print $1, $2, $3, $4, $5, $6, identity
  }'
}

# `name=peerURL,...` for every member of a member_list (stdin), naming members that never
# started by their identity, as etcd's --initial-cluster for an existing cluster needs them all.
initial_cluster_of() {
  awk '{ printf "%s%s=%s", (NR > 1 ? "," : ""), $7, $4 } END { print "" }'
}
