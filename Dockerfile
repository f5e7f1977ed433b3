# rackbgp image: multi-stage (build with npm ci + tsc, runtime with node and iproute2).
# BASE must provide Debian with Node.js >= 20, npm, iproute2 and setpriv (util-linux); scripts/build-image.sh
# assembles one locally (debootstrap + the host's nodejs package), so no image registry is needed.
ARG BASE=rackbgp-base:bookworm

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
RUN rm -rf /usr/lib/node_modules/npm /usr/bin/npm /usr/bin/npx \
 && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rackbgp \
 && mkdir -p /etc/rackbgp
WORKDIR /opt/rackbgp
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY examples /usr/share/rackbgp/examples
COPY docker/entrypoint.sh /usr/local/bin/rackbgp-entrypoint
RUN chmod 755 /usr/local/bin/rackbgp-entrypoint dist/src/cli/main.js \
 && ln -s /opt/rackbgp/dist/src/cli/main.js /usr/local/bin/rackbgp
# BGP, the JSON API and /metrics (the last two listen on loopback unless the config says otherwise).
EXPOSE 179 50179 9179
# Healthy once the daemon answers on its API (config `api:`, loopback by default inside the container).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["rackbgp", "show", "summary", "--json"]
ENTRYPOINT ["/usr/local/bin/rackbgp-entrypoint"]
CMD ["run", "-c", "/etc/rackbgp/rackbgp.yaml"]
