#!/usr/bin/env bash
# Fetch the binaries the integration tests run (etcd, etcdctl, etcdutl, a static
# busybox, bubblewrap's bwrap and shellcheck) from Debian's archive into DEST/bin.
#
#   bash scripts/test-binaries.sh [DEST]
#
# DEST defaults to $CDK8S_ETCD_BIN_CACHE, else node_modules/.cache/cdk8s-etcd in
# the repository. Nothing is installed system-wide: apt runs against a private
# sources list and state directory, and the packages are only unpacked.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${CDK8S_ETCD_BIN_CACHE:-$repo_root/node_modules/.cache/cdk8s-etcd}}"
bin="$dest/bin"
binaries=(etcd etcdctl etcdutl busybox bwrap shellcheck)
# sid carries etcd 3.5.30 (etcdutl, /livez, /readyz); trixie is the fallback.
etcd_suites=(sid trixie)

die() {
  echo "test-binaries: $*" >&2
  exit 1
}

have_all() {
  local b
  for b in "${binaries[@]}"; do
    [[ -x "$bin/$b" ]] || return 1
  done
}

# The machine's own Debian archive (so its mirror or proxy keeps working): the
# first enabled entry for "$codename" with the main component. Third-party
# repositories (other components or suites) and the security archive don't match.
archive_uri() {
  local uri=""
  local sources=(/etc/apt/sources.list.d/*.sources)
  if [[ -e "${sources[0]}" ]]; then
    uri="$(awk -v want="$codename" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = suites = comps = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (sub(/^URIs:[ \t]*/, "", line)) uris = line
          else if (sub(/^Suites:[ \t]*/, "", line)) suites = line
          else if (sub(/^Components:[ \t]*/, "", line)) comps = line
          else if (sub(/^Enabled:[ \t]*/, "", line)) enabled = tolower(line)
        }
        if (enabled != "no" && (" " suites " ") ~ (" " want " ") && (" " comps " ") ~ / main /) {
          split(uris, u, " "); print u[1]; exit
        }
      }' "${sources[@]}")"
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri="$(awk -v want="$codename" '
      $1 == "deb" {
        sub(/\[[^]]*\][ \t]*/, "")
        if ($3 == want && (" " $0 " ") ~ / main /) { print $2; exit }
      }' /etc/apt/sources.list)"
  fi
  [[ -n "$uri" ]] || die "no Debian archive for $codename (main) in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  echo "$uri"
}

if have_all; then
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get is needed (Debian or a derivative)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed"

codename="$(awk -F= '$1 == "VERSION_CODENAME" { gsub(/["\047]/, "", $2); print $2 }' /etc/os-release)"
[[ -n "$codename" ]] || die "VERSION_CODENAME is missing from /etc/os-release"
uri="$(archive_uri)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cache/archives/partial" "$work/debs" "$work/root"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[[ -f "$keyring" ]] && signed="[signed-by=$keyring] "

apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o Debug::NoLocking=1
  -o APT::Sandbox::User=root
)

# Index only the given suites (a mirror may lack one, e.g. sid).
apt_update() {
  local suite
  for suite in "$@"; do
    echo "deb ${signed}$uri $suite main"
  done | awk '!seen[$0]++' >"$work/sources.list"
  rm -rf "$work/lists"
  mkdir -p "$work/lists/partial"
  apt-get "${apt_opts[@]}" -qq update >>"$work/apt.log" 2>&1
}

download() {
  (cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "$@") >>"$work/apt.log" 2>&1
}

unpack() {
  local deb
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
  done
  rm -f "$work"/debs/*.deb
}

echo "test-binaries: fetching from $uri (etcd from the first of: ${etcd_suites[*]}; the rest from $codename)" >&2

# Take the first suite whose etcd is 3.5+ and runs here (a newer suite's build
# could need a newer libc than this machine has).
etcd_ok=""
for suite in "${etcd_suites[@]}"; do
  apt_update "$suite" "$codename" || continue
  download "etcd-server/$suite" "etcd-client/$suite" || continue
  unpack
  version="$("$work/root/usr/bin/etcd" --version 2>>"$work/apt.log" | awk '/^etcd Version:/ { print $3 }' || true)"
  if [[ "$version" =~ ^3\.([5-9]|[1-9][0-9])\. || "$version" =~ ^([4-9]|[1-9][0-9])\. ]]; then
    etcd_ok="$suite"
    break
  fi
  echo "etcd from $suite: version '$version' is not 3.5+ or does not run here" >>"$work/apt.log"
done
[[ -n "$etcd_ok" ]] || die "no usable etcd 3.5+ (etcd-server, etcd-client) from $uri in any of: ${etcd_suites[*]}
$(cat "$work/apt.log")"

download "busybox-static/$codename" "bubblewrap/$codename" "shellcheck/$codename" ||
  die "could not download busybox-static, bubblewrap or shellcheck from $codename:
$(cat "$work/apt.log")"
unpack

find_binary() {
  local dir
  for dir in usr/bin bin usr/sbin sbin; do
    if [[ -x "$work/root/$dir/$1" ]]; then
      echo "$work/root/$dir/$1"
      return
    fi
  done
  die "$1 is not in the downloaded packages"
}

declare -A found
for b in "${binaries[@]}"; do
  found[$b]="$(find_binary "$b")"
done

# Checked before anything lands in DEST: a later run would take DEST as complete.
for b in shellcheck bwrap; do
  missing="$(ldd "${found[$b]}" 2>&1 | awk '/not found/ { print $1 }' | tr '\n' ' ')"
  [[ -z "$missing" ]] || die "$b needs shared libraries this machine lacks: $missing"
done

mkdir -p "$bin"
for b in "${binaries[@]}"; do
  # Through a temporary name, so an interrupted run never leaves a partial binary.
  cp "${found[$b]}" "$bin/.$b.tmp"
  mv "$bin/.$b.tmp" "$bin/$b"
done

echo "test-binaries: binaries in $bin (etcd from $etcd_ok)" >&2
"$bin/etcd" --version | awk 'NR == 1'
