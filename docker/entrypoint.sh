#!/bin/sh
# Entrypoint of the rackbgp image. Starts as root (containerlab runs `kind: linux` nodes privileged,
# and a non-root USER would get no effective capabilities), then drops to the rackbgp user keeping
# only CAP_NET_ADMIN (FIB), CAP_NET_BIND_SERVICE (port 179) and CAP_NET_RAW as ambient capabilities,
# those of them the container has (an unprivileged `docker run` has no CAP_NET_ADMIN).
# RACKBGP_USER=root keeps root. `rackbgp ARGS` is run with the container's arguments.
# `rackbgp run` is watched: when it exits 0 without the container being stopped (a graceful restart:
# `rackbgp restart`, POST /api/restart, SIGUSR2) it is started again, so the node, its links and its
# kernel routes stay; any other exit ends the container with the daemon's exit code.
set -eu
if [ "$(id -u)" = 0 ] && [ "${RACKBGP_USER:-rackbgp}" != root ] && [ -z "${RACKBGP_DROPPED:-}" ]; then
  bounding=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
  caps=-all
  for c in net_bind_service:10 net_admin:12 net_raw:13; do
    if [ $(((0x$bounding >> ${c#*:}) & 1)) = 1 ]; then caps="$caps,+${c%:*}"; fi
  done
  RACKBGP_DROPPED=1 exec setpriv --reuid=rackbgp --regid=rackbgp --init-groups \
    --inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" \
    -- "$0" "$@"
fi
[ "${1:-}" = run ] || exec /usr/local/bin/rackbgp "$@"

stopping=
child=
trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM INT
while :; do
  /usr/local/bin/rackbgp "$@" &
  child=$!
  rc=0
  wait "$child" || rc=$?
  # A trapped signal interrupts wait: wait again until the daemon is really gone.
  while kill -0 "$child" 2>/dev/null; do
    rc=0
    wait "$child" || rc=$?
  done
  if [ -n "$stopping" ] || [ "$rc" != 0 ]; then exit "$rc"; fi
  echo "rackbgp-entrypoint: rackbgp exited 0 for a graceful restart; starting it again" >&2
done
