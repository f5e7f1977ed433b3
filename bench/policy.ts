/**
 * Policy evaluation throughput on one core (issue 4, "Policy"): evaluations/s of compiled policies
 * over routes with interned-looking attributes. Run: `npm run build && node dist/bench/policy.js`
 * (options: --routes 100000 --runs 7 --warmup 2 --json). Prints a Markdown table; no assertions.
 */
import os from 'node:os';
import { parse } from 'yaml';
import {
  type CompiledPolicy,
  compilePolicies,
  evaluate,
  type PolicyRoute,
  policiesSchema,
} from '../src/policy/index.js';
import type { PeerInfo, RouteAttrs } from '../src/rib/types.js';
import { AsPathSegmentType } from '../src/wire/index.js';

const flag = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUTES = flag('routes', 100_000);
const RUNS = flag('runs', 7);
const WARMUP = flag('warmup', 2);

const peer: PeerInfo = {
  id: 1,
  address: '192.0.2.1',
  asn: 65001,
  routerId: '192.0.2.1',
  routerIdNum: 0xc0000201,
  ibgp: false,
  rrClient: false,
  directlyConnected: true,
};

/** 100 entries: 10.{0..99}.0.0/16 le 24 (every 2nd /16 of 10/8 from 0 to 198). */
const entries = Array.from({ length: 100 }, (_, i) => `"10.${i * 2}.0.0/16 le 24"`).join(', ');
const yaml = `
prefix-list-100:
  default: reject
  terms:
    - { name: allowed, match: { prefix-list: [${entries}] }, then: { action: accept, local-pref: 200 } }
calico-import:
  default: reject
  terms:
    - { name: no-bogons, match: { prefix-list: ["192.168.0.0/16 le 32", "172.16.0.0/12 le 32"] }, then: reject }
    - { name: blackhole, match: { community: blackhole }, then: reject }
    - { name: tag, match: { as-path-regex: "_6500[0-9]$" }, then: { community: { add: "65000:100" } } }
    - { name: pods, match: { prefix-list: ["10.0.0.0/8 ge 26 le 32"], neighbor: 192.0.2.0/24 }, then: accept }
    - { name: rest, match: { prefix-list: [${entries}] }, then: { action: accept, med: "+10" } }
accept-all: { default: accept }
`;
const compiled = compilePolicies(policiesSchema.parse(parse(yaml)), { localAsn: 65000 });

/** One attribute set per 1,000 routes, as interning would share them. */
const attrSets: RouteAttrs[] = Array.from({ length: 100 }, (_, i) => ({
  origin: 0,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65010 + (i % 7), 65001 + (i % 10)] }],
  nextHop: '192.0.2.1',
  communities: [65000 * 65536 + i],
}));

/** /24s and /26s spread over 10/8; the /24s with an even second octet (a quarter) are in the list. */
const routes: PolicyRoute[] = Array.from({ length: ROUTES }, (_, i) => {
  const b = (i * 7919) % 200;
  const c = (i * 104729) % 256;
  const len = i % 4 === 0 ? 26 : 24;
  const d = len === 26 ? ((i >> 2) % 4) * 64 : 0;
  return {
    family: 4,
    prefix: `10.${b}.${c}.${d}/${len}`,
    prefixBytes: Uint8Array.of(10, b, c, d),
    prefixLength: len,
    attrs: attrSets[i % attrSets.length],
    peer,
  };
});

function run(p: CompiledPolicy): { seconds: number; accepted: number } {
  let accepted = 0;
  for (let i = 0; i < WARMUP; i++) for (const r of routes) evaluate(p, r);
  const samples: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    accepted = 0;
    const t0 = process.hrtime.bigint();
    for (const r of routes) if (evaluate(p, r).action === 'accept') accepted++;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  samples.sort((a, b) => a - b);
  return { seconds: samples[samples.length >> 1], accepted };
}

const rows = [...compiled.values()].map((p) => {
  const { seconds, accepted } = run(p);
  return { policy: p.name, routes: ROUTES, accepted, evaluationsPerSec: Math.round(ROUTES / seconds) };
});

const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, load: os.loadavg()[0] };
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ machine, rows }));
} else {
  console.log(`policy evaluation, ${machine.cpu}, node ${machine.node}, load ${machine.load.toFixed(2)}\n`);
  console.log('| policy | routes | accepted | evaluations/s |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.policy} | ${r.routes} | ${r.accepted} | ${r.evaluationsPerSec.toLocaleString('en')} |`,
    );
}
