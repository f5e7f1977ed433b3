#!/usr/bin/env bash
# Builds the image (scripts/build-image.sh: the system's Docker engine when one answers, else a private
# dockerd) and runs its smoke test (test/integration/docker-image.test.ts: --version, config check, a
# containerlab-style node peering with BIRD 1.6, HEALTHCHECK healthy, Cease on stop, the API token).
# A private engine started for this is stopped at the end; an engine that was already up is left alone.
# As root.
set -euo pipefail
cd "$(dirname "$0")/.."
export WORK=${WORK:-/var/tmp/rackbgp-image}
private="unix://$WORK/docker.sock"
private_was_up=
DOCKER_HOST=$private docker info >/dev/null 2>&1 && private_was_up=1
host=$(KEEP_DOCKERD=1 bash scripts/build-image.sh | tail -1)
export "${host?}"
stop() {
  if [ "$DOCKER_HOST" = "$private" ] && [ -z "$private_was_up" ] && [ -f "$WORK/dockerd.pid" ]; then
    kill "$(cat "$WORK/dockerd.pid")" 2>/dev/null || true
  fi
}
trap stop EXIT
npm run build >/dev/null
RACKBGP_IMAGE=${IMAGE:-rackbgp:latest} npx vitest run --config vitest.image.config.ts
