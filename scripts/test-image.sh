#!/usr/bin/env bash
# Builds the image (scripts/build-image.sh) and runs its smoke test (test/integration/docker-image.test.ts:
# --version, config check, a containerlab-style node peering with BIRD 1.6, HEALTHCHECK healthy, Cease on
# stop). An engine started for this is stopped at the end; one that was already up is left alone. As root.
set -euo pipefail
cd "$(dirname "$0")/.."
export WORK=${WORK:-/var/tmp/rackbgp-image}
export DOCKER_HOST=${DOCKER_HOST:-unix://$WORK/docker.sock}
already=
docker info >/dev/null 2>&1 && already=1
[ -n "$already" ] || unset DOCKER_HOST
host=$(KEEP_DOCKERD=1 bash scripts/build-image.sh | tail -1)
export "${host?}"
stop() { [ -f "$WORK/dockerd.pid" ] && kill "$(cat "$WORK/dockerd.pid")" 2>/dev/null || true; }
[ -n "$already" ] || trap stop EXIT
npm run build >/dev/null
RACKBGP_IMAGE=${IMAGE:-rackbgp:latest} npx vitest run --config vitest.image.config.ts
