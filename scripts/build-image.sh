#!/usr/bin/env bash
# Builds the rackbgp Docker image without any image registry (run as root):
#   1. a base image assembled locally: debootstrap (Debian bookworm minbase from the apt mirror this
#      machine uses) + iproute2 + the host's Node.js package (Debian's own nodejs is 18; rackbgp needs 20+),
#      imported with `docker import` (cached: skipped when the base image exists);
#   2. Debian's dockerd, started here if none answers (--iptables=false --bridge=none, private data root);
#   3. `docker build` of ./Dockerfile on the committed tree (git archive HEAD), with an npm cache filled
#      here first, so the build itself needs no network (npm ci --offline).
# Env: IMAGE (default rackbgp:latest), BASE (rackbgp-base:bookworm), WORK (/var/tmp/rackbgp-image),
#      DOCKER_HOST (an engine to use instead of starting one), KEEP_DOCKERD=1 (leave the started engine up),
#      TREE (the tree-ish to build, default HEAD).
# Prints the DOCKER_HOST it used on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-rackbgp:latest}
BASE=${BASE:-rackbgp-base:bookworm}
WORK=${WORK:-/var/tmp/rackbgp-image}
SUITE=bookworm
mkdir -p "$WORK"

need() { command -v "$1" >/dev/null || { echo "build-image: installing $2" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need debootstrap debootstrap
need dockerd docker.io

# ---- the engine ----
STARTED=
if [ -z "${DOCKER_HOST:-}" ]; then
  export DOCKER_HOST="unix://$WORK/docker.sock"
  if ! docker info >/dev/null 2>&1; then
    echo "build-image: starting dockerd ($DOCKER_HOST)" >&2
    dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$WORK/docker" \
      --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" --host "$DOCKER_HOST" \
      >"$WORK/dockerd.log" 2>&1 &
    STARTED=$!
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log" >&2; exit 1; }
  fi
fi
stop_engine() {
  if [ -n "$STARTED" ] && [ -z "${KEEP_DOCKERD:-}" ]; then kill "$STARTED" 2>/dev/null; wait "$STARTED" 2>/dev/null || true; fi
}
trap stop_engine EXIT

# ---- the base ----
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list)
  NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
  [ "$NODE_MAJOR" -ge 20 ] || { echo "build-image: the host's Node.js is $NODE_MAJOR; 20+ needed" >&2; exit 1; }
  ROOTFS="$WORK/rootfs"
  rm -rf "$ROOTFS"
  echo "build-image: debootstrap $SUITE from $MIRROR" >&2
  debootstrap --variant=minbase --include=iproute2,ca-certificates,libstdc++6,procps "$SUITE" "$ROOTFS" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # The host's Node.js (same Debian release, so the same libraries) and its npm, as installed now.
  NODE_BIN=$(readlink -f "$(command -v node)")
  NPM_DIR=$(npm root -g 2>/dev/null)/npm
  install -D -m 755 "$NODE_BIN" "$ROOTFS/usr/bin/node"
  mkdir -p "$ROOTFS/usr/lib/node_modules"
  cp -a "$NPM_DIR" "$ROOTFS/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/bin/npx"
  chroot "$ROOTFS" node --version >/dev/null
  chroot "$ROOTFS" npm --version >/dev/null
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  tar -C "$ROOTFS" -c . | docker import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$ROOTFS"
fi

# ---- the image ----
VERSION=$(node -p 'require("./package.json").version')
start=$(date +%s)
CTX="$WORK/context"
rm -rf "$CTX" && mkdir -p "$CTX"
git archive "${TREE:-HEAD}" | tar -x -C "$CTX"
# Fill an npm cache with exactly the locked packages (this machine's npm settings reach the registry).
(cd "$CTX" && npm ci --cache "$CTX/docker/npm-cache" --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 && rm -rf node_modules) ||
  { echo "build-image: npm could not fill the cache" >&2; exit 1; }
docker build --build-arg "BASE=$BASE" -t "$IMAGE" -t "rackbgp:$VERSION" "$CTX" >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; exit 1; }
echo "build-image: $IMAGE built in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))" >&2
echo "DOCKER_HOST=$DOCKER_HOST"
