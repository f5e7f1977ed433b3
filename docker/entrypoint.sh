#!/bin/sh
# Entrypoint of the rackbgp image. Starts as root (containerlab runs `kind: linux` nodes privileged,
# and a non-root USER would get no effective capabilities), then drops to the rackbgp user keeping
# only CAP_NET_ADMIN (FIB), CAP_NET_BIND_SERVICE (port 179) and CAP_NET_RAW as ambient capabilities,
# those of them the container has (an unprivileged `docker run` has no CAP_NET_ADMIN).
# RACKBGP_USER=root keeps root. `rackbgp ARGS` is run with the container's arguments.
set -eu
if [ "$(id -u)" = 0 ] && [ "${RACKBGP_USER:-rackbgp}" != root ]; then
  bounding=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
  caps=-all
  for c in net_bind_service:10 net_admin:12 net_raw:13; do
    if [ $(((0x$bounding >> ${c#*:}) & 1)) = 1 ]; then caps="$caps,+${c%:*}"; fi
  done
  exec setpriv --reuid=rackbgp --regid=rackbgp --init-groups \
    --inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" \
    -- /usr/local/bin/rackbgp "$@"
fi
exec /usr/local/bin/rackbgp "$@"
