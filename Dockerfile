# rackbgp image: multi-stage (build with npm ci + tsc, runtime with node and iproute2).
#
# BASE defaults to the official Node.js image on Debian bookworm (slim), so `docker build -t rackbgp .`
# works on any Docker host that reaches Docker Hub. What the steps below rely on in that image:
# node, npm and npx in /usr/local/bin (npm under /usr/local/lib/node_modules), corepack and yarn
# (removed from the runtime stage), a `node` user (uid 1000, unused here), Debian's apt, useradd
# (passwd), setpriv (util-linux) and awk (mawk), all Essential or required in bookworm; iproute2 is
# not in it, so it is installed with apt-get when `ip` is missing.
# Offline (no registry), scripts/build-image.sh assembles a base with the same layout from Debian
# packages and the host's Node.js (iproute2 included, so no apt-get runs) and passes --build-arg BASE=.
ARG BASE=node:22-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# scripts/build-image.sh puts an npm cache filled on the host in docker/npm-cache: then no network is needed.
COPY docker/ /tmp/docker/
RUN if [ -d /tmp/docker/npm-cache ]; then npm ci --offline --cache /tmp/docker/npm-cache --no-audit --no-fund; \
    else npm ci --no-audit --no-fund; fi
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE}
# iproute2 only where the base lacks it (the official image); the package manager, yarn and corepack
# go: the runtime needs node alone (both layouts: /usr/local as in the official image, /usr as Debian's).
RUN if ! command -v ip >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*; \
    fi \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/include/node \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
      /opt/yarn-v* /usr/lib/node_modules/npm /usr/bin/npm /usr/bin/npx \
 && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rackbgp \
 && mkdir -p /etc/rackbgp /run/rackbgp && chown rackbgp:rackbgp /run/rackbgp
WORKDIR /opt/rackbgp
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY examples /usr/share/rackbgp/examples
COPY docker/entrypoint.sh /usr/local/bin/rackbgp-entrypoint
RUN chmod 755 /usr/local/bin/rackbgp-entrypoint dist/src/cli/main.js \
 && ln -s /opt/rackbgp/dist/src/cli/main.js /usr/local/bin/rackbgp
# Names rackbgp's route protocol (179) for iproute2: `ip route show proto rackbgp` (src/fib/protocol.ts).
RUN node -e "import('/opt/rackbgp/dist/src/fib/protocol.js').then((m) => m.registerProtocolName())"
# BGP, the JSON API and /metrics (the last two listen on loopback unless the config says otherwise).
EXPOSE 179 50179 9179
# Healthy once the daemon answers on its API (config `api:`, loopback by default inside the container).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["rackbgp", "show", "summary", "--json"]
ENTRYPOINT ["/usr/local/bin/rackbgp-entrypoint"]
CMD ["run", "-c", "/etc/rackbgp/rackbgp.yaml"]
