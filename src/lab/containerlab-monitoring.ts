/**
 * Monitoring in the containerlab rendering: every switch's API and /metrics on all addresses (the
 * management network included, so the host's Prometheus reaches them), actions behind the lab's
 * bearer token (RFC 6750 §2.1: a file deploy.sh generates, bound into each switch), and a Prometheus
 * node (the official image) scraping every switch with the rules shipped in dashboards/rules.yml.
 * Pure: text in, text out.
 */
import { stringify } from 'yaml';
import { parseConfig } from '../config/load.js';
import { API_PORT } from './peerings.js';
import type { Lab } from './schema.js';

export const METRICS_PORT = 9179;
export const PROMETHEUS_PORT = 9090;
/** The token file in the lab directory (made by deploy.sh, never rendered) and where it is bound. */
export const TOKEN_FILE = 'api-token';
export const TOKEN_IN_IMAGE = '/etc/rackbgp/api-token';
export const PROMETHEUS_CONFIG = 'prometheus/prometheus.yml';
export const PROMETHEUS_RULES = 'prometheus/rules.yml';

/** containerlab names a node's container clab-<lab>-<node>; Docker's DNS on the mgmt network and the
 * host's /etc/hosts (containerlab writes it) resolve that name. */
export const containerName = (lab: Lab, node: string) => `clab-${lab.name}-${node}`;

const switches = (lab: Lab) => [
  ...lab.spines.map((s) => ({ name: s.name, role: 'spine' })),
  ...lab.leaves.map((l) => ({ name: l.name, role: 'leaf' })),
];

/**
 * The netns lab's switch config with API and metrics opened for the management network: `::` takes
 * IPv4 (mapped) and IPv6 connections alike; reads stay open, actions need the token.
 */
export function managedSwitchConfig(netnsConfig: string, device: string): string {
  const loopbackApi = `api: { address: 127.0.0.1, port: ${API_PORT} }\n`;
  if (!netnsConfig.includes(loopbackApi)) throw new Error(`${device}: no loopback api line to replace`);
  const text = netnsConfig.replace(
    loopbackApi,
    `# API and /metrics on every address, the management network (eth0) included: reads and scrapes are
# open, actions need the lab's token (${TOKEN_FILE}, made by deploy.sh, bound to ${TOKEN_IN_IMAGE}).
api: { address: "::", port: ${API_PORT}, token-file: ${TOKEN_IN_IMAGE} }
metrics: { address: "::", port: ${METRICS_PORT} }
`,
  );
  parseConfig(text, `${device}/rackbgp.yaml`);
  return text;
}

/** What each switch node gets beside the netns lab's settings: the token bound, the CLI told where. */
export function switchNodeExtras(): { binds: string[]; env: Record<string, string> } {
  return {
    binds: [`${TOKEN_FILE}:${TOKEN_IN_IMAGE}:ro`],
    // `docker exec <node> rackbgp neighbor reset …` then sends the token (src/cli/api-client.ts).
    env: { RACKBGP_API_TOKEN_FILE: TOKEN_IN_IMAGE },
  };
}

/** The Prometheus node: official image, default command (it reads /etc/prometheus/prometheus.yml). */
export function prometheusNode(lab: Lab): Record<string, unknown> {
  return {
    kind: 'linux',
    image: lab.render.prometheusImage,
    group: 'monitoring',
    binds: [
      `${PROMETHEUS_CONFIG}:/etc/prometheus/prometheus.yml:ro`,
      `${PROMETHEUS_RULES}:/etc/prometheus/rules.yml:ro`,
    ],
    ports: [`${PROMETHEUS_PORT}:${PROMETHEUS_PORT}`],
  };
}

/** Scrape targets: every switch's metrics port by its container name on the management network. */
export function scrapeTargets(lab: Lab): { role: string; targets: string[] }[] {
  const roles = [...new Set(switches(lab).map((s) => s.role))];
  return roles.map((role) => ({
    role,
    targets: switches(lab)
      .filter((s) => s.role === role)
      .map((s) => `${containerName(lab, s.name)}:${METRICS_PORT}`),
  }));
}

/** prometheus.yml of the Prometheus node; rule_files is relative to this file (/etc/prometheus). */
export function prometheusConfig(lab: Lab, source: string): string {
  const body = {
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    rule_files: ['rules.yml'],
    scrape_configs: [
      {
        job_name: 'rackbgp',
        static_configs: scrapeTargets(lab).map((t) => ({ targets: t.targets, labels: { role: t.role } })),
      },
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
    ],
  };
  return `# Prometheus of lab ${lab.name} (rendered by \`rackbgp lab render\` from ${source}): scrapes every
# rackbgp switch on the management network and loads rackbgp's rules (rules.yml, a copy of
# dashboards/rules.yml). A Prometheus on the host can use the same targets: containerlab puts the
# clab-${lab.name}-* names in the host's /etc/hosts.
${stringify(body, { lineWidth: 0 })}`;
}

/** The copy of dashboards/rules.yml, with where it comes from. */
export function prometheusRules(rules: string): string {
  return `# Copied from rackbgp's dashboards/rules.yml by \`rackbgp lab render\`: render again after changing that.
${rules}`;
}

/** deploy.sh lines that make the token once (32 hex digits), readable by the rackbgp user. */
export function tokenScript(): string {
  return `# The API token of the switches: actions need it, reads and /metrics do not. Made once, kept;
# world-readable because the daemon runs as the rackbgp user inside the containers.
if [ ! -s ${TOKEN_FILE} ]; then od -An -tx1 -N16 /dev/urandom | tr -d ' \\n' > ${TOKEN_FILE}; fi
chmod 644 ${TOKEN_FILE}`;
}
