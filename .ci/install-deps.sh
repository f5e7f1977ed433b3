#!/usr/bin/env bash
# Installs the Debian (12 "bookworm") packages needed to regenerate and inspect
# the BGP capture fixtures in test/fixtures/captures/ (see capture.sh there).
#
#   bird 1.6.8  (bird, bird6, birdc)       - Debian package "bird"
#   bird 2.0.12 (/opt/bird2/usr/sbin/bird) - Debian package "bird2", which
#               conflicts with "bird", so it is unpacked with dpkg -x instead
#   frr 8.4, gobgpd 3.10, exabgp 4.2, tshark, tcpdump, iproute2, procps,
#   openbgpd 7.7, bgpdump, pmacct (pmbmpd), chromium
#
# Idempotent: safe to run repeatedly. Must run as root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
  bird
  frr
  gobgpd
  exabgp
  tshark
  iproute2
  tcpdump
  procps
  iputils-ping # the seed lab's pod-to-pod pings (rackbgp lab verify)
  iptables     # kube-proxy's service rules in the services lab's nodes (iptables-restore)
  prometheus   # and promtool: scrape /metrics, check and run dashboards/rules.yml (prometheus, dashboards tests)
  openbgpd     # bgpd/bgpctl 7.7: a benchmark anchor (npm run bench) and interop peer
  bgpdump      # the MRT oracle: reads every MRT file rackbgp writes
  pmacct       # pmbmpd: the BMP collector rackbgp's BMP stream is checked against
  chromium     # headless browser for the web view's tests (driven by puppeteer-core, no download)
)
# Runtime libraries of bird2 (its Depends minus those shared with bird 1.6,
# which apt does not install for a package that is only unpacked).
BIRD2_LIB_PACKAGES=(
  libreadline8
  libtinfo6
  libssh-gcrypt-4
)
BIRD2_PREFIX=/opt/bird2
BIRD2_CACHE=${BIRD2_CACHE:-/var/cache/rackbgp-ci/bird2}

log() { printf '[install-deps] %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root"
  exit 1
fi

# Do not let package maintainer scripts start bird/frr/exabgp services in the
# root network namespace. Only add a policy-rc.d if none exists.
POLICY_RC=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  if [[ $created_policy -eq 1 ]]; then rm -f "$POLICY_RC"; fi
}
trap cleanup EXIT
if [[ ! -e $POLICY_RC ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
  chmod 755 "$POLICY_RC"
  created_policy=1
fi

# tshark: do not ask whether non-root users may capture.
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
  debconf-set-selections

log "apt-get update"
apt-get update

log "apt-get install ${APT_PACKAGES[*]} ${BIRD2_LIB_PACKAGES[*]}"
apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}" "${BIRD2_LIB_PACKAGES[@]}"

# bird2 side by side with bird 1.6: download the .deb and unpack it.
if [[ ! -x $BIRD2_PREFIX/usr/sbin/bird || ! -x $BIRD2_PREFIX/usr/sbin/birdc ]]; then
  log "unpacking bird2 into $BIRD2_PREFIX"
  mkdir -p "$BIRD2_CACHE"
  chmod 777 "$BIRD2_CACHE" # apt-get download runs as the _apt user
  (cd "$BIRD2_CACHE" && rm -f bird2_*.deb && apt-get download bird2)
  debs=("$BIRD2_CACHE"/bird2_*.deb)
  mkdir -p "$BIRD2_PREFIX"
  dpkg -x "${debs[0]}" "$BIRD2_PREFIX"
else
  log "bird2 already unpacked in $BIRD2_PREFIX"
fi

# ---------------------------------------------------------------- verify
missing=()

check_libs() { # binary
  local out
  out=$(ldd "$1" 2>&1 || true)
  if grep -q 'not found' <<<"$out"; then
    log "$1 has missing shared libraries:"
    grep 'not found' <<<"$out" >&2
    missing+=("libs-of:$1")
  fi
}

check_version() { # name, binary, version command...
  local name=$1 bin=$2
  shift 2
  if [[ ! -x $bin ]]; then
    log "MISSING $name ($bin)"
    missing+=("$name")
    return
  fi
  local out
  # full output first: piping into head could SIGPIPE the program
  if out=$("$@" 2>&1) && [[ -n $out ]]; then
    printf '%-10s %s\n' "$name" "${out%%$'\n'*}"
  else
    log "$name ($bin) did not print a version: $out"
    missing+=("$name")
  fi
}

check_libs "$BIRD2_PREFIX/usr/sbin/bird"
check_libs "$BIRD2_PREFIX/usr/sbin/birdc"

check_version bird /usr/sbin/bird /usr/sbin/bird --version
check_version bird6 /usr/sbin/bird6 /usr/sbin/bird6 --version
# birdc has no --version; it prints its usage (proving it runs) and the
# package version comes from dpkg.
# shellcheck disable=SC2016 # expanded by sh -c
check_version birdc /usr/sbin/birdc sh -c \
  'echo "$(/usr/sbin/birdc -x 2>&1 | grep -m1 Usage) (package bird $(dpkg-query -W -f="\${Version}" bird))"'
check_version bird2 "$BIRD2_PREFIX/usr/sbin/bird" "$BIRD2_PREFIX/usr/sbin/bird" --version
check_version bird2c "$BIRD2_PREFIX/usr/sbin/birdc" sh -c \
  "$BIRD2_PREFIX/usr/sbin/birdc -x 2>&1 | grep -m1 Usage"
check_version bgpd /usr/lib/frr/bgpd /usr/lib/frr/bgpd --version
check_version zebra /usr/lib/frr/zebra /usr/lib/frr/zebra --version
check_version vtysh /usr/bin/vtysh sh -c '/usr/bin/vtysh --help 2>&1 | grep -m1 version'
check_version gobgpd /usr/bin/gobgpd /usr/bin/gobgpd --version
check_version gobgp /usr/bin/gobgp /usr/bin/gobgp --version
check_version exabgp /usr/sbin/exabgp /usr/sbin/exabgp --version
check_version tshark /usr/bin/tshark sh -c '/usr/bin/tshark --version 2>&1 | grep -m1 TShark'
check_version tcpdump /usr/bin/tcpdump /usr/bin/tcpdump --version
check_version ip /usr/bin/ip /usr/bin/ip -V
check_version pgrep /usr/bin/pgrep /usr/bin/pgrep --version
check_version ping /usr/bin/ping /usr/bin/ping -V
check_version prometheus /usr/bin/prometheus /usr/bin/prometheus --version
check_version promtool /usr/bin/promtool /usr/bin/promtool --version
check_version iptables /usr/sbin/iptables-restore /usr/sbin/iptables-restore --version
check_version openbgpd /usr/sbin/bgpd /usr/sbin/bgpd -V
check_version bgpctl /usr/sbin/bgpctl /usr/sbin/bgpctl -V
# bgpdump prints its usage and version to stderr on -T (an unknown option)
check_version bgpdump /usr/bin/bgpdump sh -c '/usr/bin/bgpdump -T 2>&1 | grep -m1 -i "bgpdump version" || dpkg-query -W -f="bgpdump \${Version}" bgpdump'
check_version pmbmpd /usr/sbin/pmbmpd sh -c '/usr/sbin/pmbmpd -V 2>&1 | grep -m1 pmbmpd'
check_version chromium /usr/bin/chromium sh -c 'dpkg-query -W -f="chromium \${Version}" chromium'

if ((${#missing[@]})); then
  log "FAILED, missing or broken: ${missing[*]}"
  exit 1
fi
log "all dependencies present"
