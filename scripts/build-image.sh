#!/usr/bin/env bash
# Builds the rackbgp Docker image without any image registry (run as root):
#   1. the engine: the system's Docker engine when one answers (`docker info` on the default socket or
#      context), so containerlab and `docker run` see the image; only otherwise a private dockerd
#      (Debian's, --iptables=false --bridge=none, data under $WORK) started here. It says which.
#   2. a base image assembled locally in the layout of the official node:*-bookworm-slim image (which
#      the Dockerfile uses by default): debootstrap (Debian bookworm minbase from the apt mirror this
#      machine uses) + iproute2 + the host's Node.js and npm under /usr/local, a `node` user (uid 1000),
#      imported with `docker import` (cached: skipped when the base image exists). Set BASE to another
#      image (e.g. BASE=node:22-bookworm-slim with registry access) to build on that instead;
#   3. `docker build --build-arg BASE=...` of ./Dockerfile on the committed tree (git archive), with an
#      npm cache filled here first, so the build itself needs no network (npm ci --offline).
# Env: IMAGE (default rackbgp:latest), BASE (rackbgp-base:node-bookworm-slim), WORK (/var/tmp/rackbgp-image),
#      DOCKER_HOST (an engine to use, skips the choice), KEEP_DOCKERD=1 (leave a private engine started
#      here running), TREE (the tree-ish to build, default HEAD).
# Prints the DOCKER_HOST it used on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-rackbgp:latest}
LOCAL_BASE=rackbgp-base:node-bookworm-slim
BASE=${BASE:-$LOCAL_BASE}
WORK=${WORK:-/var/tmp/rackbgp-image}
SUITE=bookworm
mkdir -p "$WORK"

need() { command -v "$1" >/dev/null || { echo "build-image: installing $2" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need docker docker.io

# ---- the engine: DOCKER_HOST if set, else the system's, else a private one started here ----
STARTED=
if [ -n "${DOCKER_HOST:-}" ]; then
  docker info >/dev/null 2>&1 || { echo "build-image: no Docker engine answers at DOCKER_HOST=$DOCKER_HOST" >&2; exit 1; }
  echo "build-image: using the Docker engine at DOCKER_HOST=$DOCKER_HOST" >&2
elif docker info >/dev/null 2>&1; then
  DOCKER_HOST=$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || echo unix:///var/run/docker.sock)
  export DOCKER_HOST
  echo "build-image: using the system's Docker engine ($DOCKER_HOST): containerlab and docker run see the image" >&2
else
  export DOCKER_HOST="unix://$WORK/docker.sock"
  if docker info >/dev/null 2>&1; then
    echo "build-image: no system Docker engine answers; using the private dockerd already running at $DOCKER_HOST" >&2
  else
    need dockerd docker.io
    echo "build-image: no system Docker engine answers; starting a private dockerd at $DOCKER_HOST" \
      "(images built there are not seen by the system's docker or containerlab)" >&2
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

# ---- the base (only the local one is assembled; any other BASE is pulled by docker build) ----
if [ "$BASE" = "$LOCAL_BASE" ] && ! docker image inspect "$BASE" >/dev/null 2>&1; then
  need debootstrap debootstrap
  MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list)
  NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
  [ "$NODE_MAJOR" -ge 20 ] || { echo "build-image: the host's Node.js is $NODE_MAJOR; 20+ needed" >&2; exit 1; }
  ROOTFS="$WORK/rootfs"
  rm -rf "$ROOTFS"
  echo "build-image: assembling $BASE: debootstrap $SUITE from $MIRROR" >&2
  debootstrap --variant=minbase --include=iproute2,ca-certificates,libstdc++6,procps "$SUITE" "$ROOTFS" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # The host's Node.js (same Debian release, so the same libraries) and its npm, where the official
  # image has them: /usr/local/bin/node, /usr/local/lib/node_modules/npm, npm and npx linked beside node.
  NODE_BIN=$(readlink -f "$(command -v node)")
  NPM_DIR=$(npm root -g 2>/dev/null)/npm
  install -D -m 755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  # The official image's user, made the same way.
  chroot "$ROOTFS" groupadd --gid 1000 node
  chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$ROOTFS" node --version >/dev/null
  chroot "$ROOTFS" npm --version >/dev/null
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  tar -C "$ROOTFS" -c . | docker import --change 'CMD ["node"]' - "$BASE" >/dev/null
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
echo "build-image: docker build --build-arg BASE=$BASE -t $IMAGE" >&2
docker build --build-arg "BASE=$BASE" -t "$IMAGE" -t "rackbgp:$VERSION" "$CTX" >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; exit 1; }
echo "build-image: $IMAGE built in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))" >&2
echo "DOCKER_HOST=$DOCKER_HOST"
