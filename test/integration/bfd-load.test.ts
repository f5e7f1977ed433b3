/**
 * BFD under a full-table transit (issue 19: "a 1M-route transit must not make BFD flap", 300 ms × 3):
 * BIRD 2 announces N IPv4 /24s (8 attribute sets) through rackbgp to FRR 8.4 (the bench withdraws
 * them too), with BFD 300 ms × 3 on both sessions (BIRD `bfd on`, FRR bfdd). No BFD session may leave Up at
 * either end and no BGP session may drop. N is 200,000 here (BFD_LOAD_ROUTES=1000000 for the full
 * version: `npm run bench:bfd`); the transit and withdrawal times are printed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BfdStatus } from '../../src/bfd/manager.js';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { FRR, type FrrHandle, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.bfdd, FRR.vtysh, BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;

const COUNT = Number(process.env.BFD_LOAD_ROUTES ?? 200_000);
/** The bench (BFD_LOAD_ROUTES set) also withdraws the table; the short CI version only announces it. */
const WITHDRAW = process.env.BFD_LOAD_ROUTES !== undefined;
/** Longest wait for the table at FRR: ~100 µs per route, with room. */
const WAIT_MS = Math.max(120_000, COUNT * 0.5);
const SETS = 8;
const A = { src: '10.96.1.2', rbSrc: '10.96.1.1', rbDst: '10.96.2.1', dst: '10.96.2.2' };
/** Prefix n: 100.0.0.0/24, 100.0.1.0/24, … */
const prefixOf = (n: number) => `${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.0/24`;

function birdConf(): string {
  const statics: string[] = [];
  for (let k = 0; k < SETS; k++) {
    const routes: string[] = [];
    for (let n = k; n < COUNT; n += SETS) routes.push(`  route ${prefixOf(n)} blackhole;`);
    statics.push(`protocol static s${k} {
  disabled yes;
  ipv4 { import filter { bgp_community.add((65301, ${k})); accept; }; };
${routes.join('\n')}
}`);
  }
  return `log stderr { info, warning, error, fatal };
timeformat log "%F %T.%3f";
router id ${A.src};
protocol device { scan time 10; }
protocol bfd { debug { events }; interface "*" { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }; }
${statics.join('\n')}
protocol bgp rb {
  local ${A.src} as 65301;
  neighbor ${A.rbSrc} as 65300;
  connect delay time 1;
  connect retry time 2;
  bfd on;
  ipv4 { import none; export all; };
}
`;
}

const rackbgpConf = `router-id: ${A.rbSrc}
asn: 65300
listen: { address: ["${A.rbSrc}", "${A.rbDst}"], port: 179 }
fib: false
defaults: { connect-retry-time: 1, bfd: true }
neighbors:
  - { address: ${A.src}, asn: 65301 }
  - { address: ${A.dst}, asn: 65302 }
`;

const frrConf = `frr defaults traditional
hostname frr
log stdout warnings
!
router bgp 65302
 bgp router-id ${A.dst}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor ${A.rbDst} remote-as 65300
 neighbor ${A.rbDst} bfd
 address-family ipv4 unicast
  neighbor ${A.rbDst} activate
 exit-address-family
!
`;
const bfddConf = 'hostname frr-bfdd\nlog stdout informational\ndebug bfd peer\n!\n';

describe.skipIf(skip)(`BFD 300 ms × 3 under a ${COUNT.toLocaleString('en')}-route transit`, () => {
  let net: TestNet;
  let rb: RackbgpHandle;
  let frr: FrrHandle;
  let bird: BirdHandle;
  const bfd = async (): Promise<BfdStatus> => JSON.parse((await rb.cli(['show', 'bfd', '--json'])).stdout);
  const frrCount = async () => {
    const s = JSON.parse(await frr.vtysh('show bgp ipv4 unicast summary json')) as {
      peers?: Record<string, { pfxRcd?: number }>;
    };
    return s.peers?.[A.rbDst]?.pfxRcd ?? 0;
  };

  beforeAll(async () => {
    net = new TestNet('bfdload');
    for (const n of ['src', 'rb', 'dst']) await net.addNode(n);
    await net.link('src', 'rb', { a: [`${A.src}/24`], b: [`${A.rbSrc}/24`] });
    await net.link('rb', 'dst', { a: [`${A.rbDst}/24`], b: [`${A.dst}/24`] });
    rb = await startRackbgp(net, 'rb', rackbgpConf);
    frr = await startFrr(net, 'dst', frrConf, 'frr', { bfdd: bfddConf });
    bird = await startBird(net, 'src', BIRD2, birdConf(), 'bird');
  }, 120_000);
  afterAll(async () => {
    await net?.destroy();
  });

  it('carries the table (and back, in the bench) with every BFD session Up throughout', async () => {
    await rb.waitState(A.src, 'Established', 30_000);
    await rb.waitState(A.dst, 'Established', 30_000);
    await waitFor('BFD Up', async () => (await bfd()).sessions.every((s) => s.state === 'Up'), 10_000, 200);
    const before = await bfd();
    const t0 = Date.now();
    await bird.cli('enable "s*"');
    await waitFor(`FRR has ${COUNT}`, async () => (await frrCount()) === COUNT, WAIT_MS, 500);
    const t1 = Date.now();
    let left = 0;
    if (WITHDRAW) {
      await bird.cli('disable "s*"');
      // The bench reports how far the withdrawal got; BFD is what it judges.
      await waitFor('FRR has none', async () => (await frrCount()) === 0, WAIT_MS, 500).catch(() => {});
      left = await frrCount();
    }
    const t2 = Date.now();
    const after = await bfd();
    const transitions = (s: BfdStatus) => s.sessions.map((x) => [x.peer, x.state, x.counters.transitions]);
    const received = after.sessions.map((s) => {
      const b = before.sessions.find((x) => x.peer === s.peer);
      return `${s.peer} ${s.counters.received - (b?.counters.received ?? 0)} received`;
    });
    console.log(
      `BFD under load: ${COUNT} routes BIRD → rackbgp → FRR in ${t1 - t0} ms${WITHDRAW ? `, withdrawn in ${t2 - t1} ms (${left} left at FRR)` : ''}; ` +
        `BFD packets meanwhile: ${received.join(', ')}; rackbgp sessions ${JSON.stringify(transitions(after))}`,
    );
    expect(transitions(after)).toEqual(transitions(before));
    const frrLog = readFileSync(`${net.dir}/dst-frr-bfdd.log`, 'utf8');
    expect(frrLog).not.toMatch(/up -> down/);
    expect(readFileSync(`${net.dir}/src-bird.log`, 'utf8')).not.toMatch(/changed state from Up/i);
    const events = JSON.parse((await rb.cli(['events', '--type', 'session-down', '--json'])).stdout) as {
      events: unknown[];
    };
    expect(events.events).toEqual([]);
  }, 900_000);
});
