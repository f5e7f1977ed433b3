#!/usr/bin/env bash
# `npm run lab`: builds rackbgp, brings the seed lab (lab/seed.yaml, or the lab file given) up in
# network namespaces, verifies it, prints its status and leaves it up; `npm run lab:down` removes it.
# Needs root. On a fresh Debian 12 machine it first installs BIRD & co. with .ci/install-deps.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "npm run lab needs root (network namespaces, veths): sudo npm run lab" >&2
  exit 1
fi
if [[ ! -x /usr/sbin/bird || ! -x /usr/sbin/birdc ]] || ! command -v ping >/dev/null; then
  bash .ci/install-deps.sh || exit 1
fi
# Build as the user who ran sudo, so dist/ stays theirs.
if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
  sudo -u "$SUDO_USER" npm run build || exit 1
else
  npm run build || exit 1
fi
cli=(node dist/src/cli/main.js lab)
"${cli[@]}" up "$@" || exit 1
"${cli[@]}" verify
status=$?
"${cli[@]}" status
exit $status
