/**
 * BFD (RFC 5880/5881) between rackbgp and FRR 8.4 (bfdd + bgpd `neighbor X bfd`, IPv4 and IPv6)
 * and BIRD 2 (`protocol bfd` + `bfd on`), each on its own veth from rackbgp's leaf: sessions Up on
 * both sides, BGP held until BFD is Up, a packet with TTL 254 dropped (RFC 5881 §5), then each
 * link cut silently in the far namespace (iptables: everything in and out of its veth dropped): rackbgp's BFD,
 * BGP session and routes must go within multiplier × interval + one interval, and the peer's too.
 * Detection times (from rackbgp's journal and the peers' logs) are printed for the README.
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

const LEAF = { v4f: '10.98.1.1', v6f: 'fd98:1::1', v4b: '10.98.2.1' };
const PEER = { frr4: '10.98.1.2', frr6: 'fd98:1::2', bird4: '10.98.2.2' };
/** 300 ms × 3: the detection budget of the issue is multiplier × interval + one interval. */
const BUDGET_MS = 3 * 300 + 300;

const leafYaml = `router-id: ${LEAF.v4f}
asn: 65001
listen: { address: ["${LEAF.v4f}", "${LEAF.v6f}", "${LEAF.v4b}"], port: 179 }
fib: false
defaults: { connect-retry-time: 1, idle-hold-time: 1 }
neighbors:
  - { address: ${PEER.frr4}, asn: 65002, bfd: true }
  - { address: "${PEER.frr6}", asn: 65002, families: [ipv6-unicast], bfd: { min-rx: 300, min-tx: 300, multiplier: 3 } }
  - { address: ${PEER.bird4}, asn: 65003, bfd: true }
`;

const frrConf = `frr defaults traditional
hostname frr
log stdout informational
log timestamp precision 3
!
router bgp 65002
 bgp router-id ${PEER.frr4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor ${LEAF.v4f} remote-as 65001
 neighbor ${LEAF.v4f} timers connect 1
 neighbor ${LEAF.v4f} bfd
 neighbor ${LEAF.v6f} remote-as 65001
 neighbor ${LEAF.v6f} timers connect 1
 neighbor ${LEAF.v6f} bfd
 address-family ipv4 unicast
  network 10.12.1.0/24
  neighbor ${LEAF.v4f} activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:12::/64
  neighbor ${LEAF.v6f} activate
 exit-address-family
!
`;
const bfddConf = `hostname frr-bfdd
log stdout informational
log timestamp precision 3
debug bfd peer
!
`;

const birdConf = `log stderr all;
timeformat log "%F %T.%3f";
router id ${PEER.bird4};
protocol device { scan time 2; }
protocol bfd { debug { states, events }; interface "*" { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }; }
protocol static { ipv4; route 10.13.1.0/24 blackhole; }
protocol bgp leaf {
  local ${PEER.bird4} as 65003;
  neighbor ${LEAF.v4b} as 65001;
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  bfd on;
  ipv4 { import all; export all; };
}
`;

interface Ev {
  seq: number;
  t: number;
  type: string;
  peer?: string;
  prefix?: string;
  [k: string]: unknown;
}

/** Epoch ms of the first line after `since` matching `re` in a log whose lines start with a timestamp. */
function logTime(file: string, re: RegExp, since: number): number | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!re.test(line)) continue;
    // FRR: "2026/12/06 19:20:01.123 BFD: ..."; BIRD: "2026-12-06 19:20:01.123 <TRACE> ...".
    const m = /^(\d{4})[/-](\d\d)[/-](\d\d)[ T](\d\d:\d\d:\d\d\.\d{3})/.exec(line);
    if (!m) continue;
    const t = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`).getTime(); // local time, as the daemons log
    if (t >= since - 5) return t;
  }
  return undefined;
}

describe.skipIf(skip)('BFD interop: FRR bfdd and BIRD 2', () => {
  let net: TestNet;
  let leaf: RackbgpHandle;
  let frr: FrrHandle;
  let bird: BirdHandle;
  let birdLog: string;
  const frrLog = () => `${net.dir}/frr-frr-bfdd.log`;
  const events = async (since: number): Promise<Ev[]> => {
    const r = await leaf.cli(['events', '--since', String(since), '--json']);
    return (JSON.parse(r.stdout) as { events: Ev[] }).events;
  };
  const bfd = async (): Promise<BfdStatus> => JSON.parse((await leaf.cli(['show', 'bfd', '--json'])).stdout);

  beforeAll(async () => {
    net = new TestNet('bfd');
    for (const n of ['leaf', 'frr', 'bird']) await net.addNode(n);
    await net.link('leaf', 'frr', {
      a: [`${LEAF.v4f}/24`, `${LEAF.v6f}/64`],
      b: [`${PEER.frr4}/24`, `${PEER.frr6}/64`],
    });
    await net.link('leaf', 'bird', { a: [`${LEAF.v4b}/24`], b: [`${PEER.bird4}/24`] });
    // The TZ of the daemons' log timestamps and of this process must agree: UTC for all.
    process.env.TZ = 'UTC';
    leaf = await startRackbgp(net, 'leaf', leafYaml);
    frr = await startFrr(net, 'frr', frrConf, 'frr', { bfdd: bfddConf });
    bird = await startBird(net, 'bird', BIRD2, birdConf, 'bird');
    birdLog = `${net.dir}/bird-bird.log`;
  }, 60_000);
  afterAll(async () => {
    await net?.destroy();
  });

  it('brings BFD Up with both peers, BGP only after it, and drops TTL 254', async () => {
    for (const peer of [PEER.frr4, PEER.frr6, PEER.bird4]) await leaf.waitState(peer, 'Established', 30_000);
    const s = await bfd();
    for (const peer of [PEER.frr4, PEER.frr6, PEER.bird4]) {
      const v = s.sessions.find((x) => x.peer === peer);
      expect(v, peer).toMatchObject({
        state: 'Up',
        remoteState: 'Up',
        txIntervalMs: 300,
        detectionTimeMs: 900,
      });
      expect(v?.remoteDiscriminator).toBeGreaterThan(0);
    }
    const frrPeers = JSON.parse(await frr.vtysh('show bfd peers json')) as { peer: string; status: string }[];
    expect(frrPeers.map((p) => [p.peer, p.status]).sort()).toEqual([
      [LEAF.v4f, 'up'],
      [LEAF.v6f, 'up'],
    ]);
    expect(await bird.cli('show bfd sessions')).toMatch(
      new RegExp(`${LEAF.v4b.replace(/\./g, '\\.')}\\s+\\S+\\s+Up`),
    );
    // Held: each session went Established only after its BFD session was Up.
    const all = await events(0);
    for (const peer of [PEER.frr4, PEER.bird4]) {
      const up = all.find((e) => e.type === 'bfd-state' && e.peer === peer && e.to === 'Up');
      const established = all.find((e) => e.type === 'session-up' && e.peer === peer);
      expect(up && established && up.seq < established.seq, peer).toBe(true);
    }
    // RFC 5881 §5: a single-hop packet with TTL 254 is dropped.
    const script = `const s=require('dgram').createSocket('udp4');s.bind(49999,()=>{s.setTTL(254);const b=Buffer.alloc(24);b[0]=0x20;b[1]=0x40;b[2]=3;b[3]=24;b.writeUInt32BE(7,4);b.writeUInt32BE(1e6,12);b.writeUInt32BE(1e6,16);s.send(b,3784,'${LEAF.v4f}',()=>s.close())})`;
    await net.exec('frr', process.execPath, ['-e', script]);
    await waitFor('TTL 254 dropped', async () => ((await bfd()).discarded.ttl ?? 0) >= 1, 5000, 100);
  }, 45_000);

  /** Every packet in and out of `dev` dropped (-I) or let through again (-D), IPv4 and IPv6. */
  const rules = (op: '-I' | '-D', dev: string) =>
    ['iptables', 'ip6tables']
      .flatMap((t) => [`${t} ${op} INPUT -i ${dev} -j DROP`, `${t} ${op} OUTPUT -o ${dev} -j DROP`])
      .join(' && ');
  const cut = async (node: string, dev: string) => {
    const t0 = Date.now();
    await net.sh(node, rules('-I', dev));
    return { t0, t1: Date.now() };
  };
  const heal = (node: string, dev: string) => net.sh(node, rules('-D', dev));

  /** After a cut at [t0, t1]: rackbgp's BFD Down, BGP down and the peer's routes withdrawn, in ms from t0. */
  async function measure(peer: string, prefix: string, t0: number, since: number) {
    await leaf.waitState(peer, 'Idle', 5000).catch(() => leaf.waitState(peer, 'Active', 100));
    const ev = await waitFor(
      `${prefix} withdrawn`,
      async () => {
        const e = await events(since);
        return e.some((x) => x.type === 'route-withdraw' && x.prefix === prefix) ? e : undefined;
      },
      5000,
      100,
    );
    const at = (pred: (e: Ev) => boolean) => ev.find(pred)?.t;
    const bfdDown = at((e) => e.type === 'bfd-state' && e.peer === peer && e.to === 'Down');
    const bgpDown = at((e) => e.type === 'session-down' && e.peer === peer);
    const routeGone = at((e) => e.type === 'route-withdraw' && e.prefix === prefix);
    const down = ev.find((e) => e.type === 'session-down' && e.peer === peer);
    return {
      bfd: bfdDown === undefined ? undefined : Math.round(bfdDown - t0),
      bgp: bgpDown === undefined ? undefined : Math.round(bgpDown - t0),
      routes: routeGone === undefined ? undefined : Math.round(routeGone - t0),
      down,
      bfdEvent: ev.find((e) => e.type === 'bfd-state' && e.peer === peer && e.to === 'Down'),
    };
  }

  it('a silent cut towards FRR: rackbgp and FRR both detect within 3 × 300 ms + 300 ms', async () => {
    const since = (await events(0)).at(-1)?.seq ?? 0;
    const { t0, t1 } = await cut('frr', 'to-leaf');
    const m = await measure(PEER.frr4, '10.12.1.0/24', t0, since + 1);
    const frrDown = await waitFor(
      'FRR bfdd down',
      async () => logTime(frrLog(), /state-change.*up -> down|Up -> Down|-> down/i, t0),
      5000,
      100,
    ).catch(() => undefined);
    const frrNeighbor = await frr.neighbor(LEAF.v4f);
    console.log(
      `BFD detection, cut towards FRR (cut took ${t1 - t0} ms): rackbgp BFD ${m.bfd} ms, BGP down ${m.bgp} ms, ` +
        `routes withdrawn ${m.routes} ms; FRR bfdd ${frrDown === undefined ? '?' : frrDown - t0} ms`,
    );
    expect(m.bfdEvent).toMatchObject({ diag: 'control-detection-time-expired', bgp: 'held' });
    expect(m.down).toMatchObject({ cause: 'bfd-down' });
    for (const v of [m.bfd, m.bgp, m.routes]) {
      expect(v).toBeDefined();
      expect(v).toBeLessThanOrEqual(BUDGET_MS + (t1 - t0));
    }
    expect(m.bfd).toBeGreaterThan(3 * 300 * 0.75 - 300);
    expect(frrDown).toBeDefined();
    expect((frrDown as number) - t0).toBeLessThanOrEqual(BUDGET_MS + (t1 - t0));
    expect(frrNeighbor?.bgpState).not.toBe('Established');
    await heal('frr', 'to-leaf');
    await leaf.waitState(PEER.frr4, 'Established', 15_000);
  }, 30_000);

  it('a silent cut towards BIRD 2: rackbgp and BIRD both detect within 3 × 300 ms + 300 ms', async () => {
    const since = (await events(0)).at(-1)?.seq ?? 0;
    const { t0, t1 } = await cut('bird', 'to-leaf');
    const m = await measure(PEER.bird4, '10.13.1.0/24', t0, since + 1);
    const birdDown = await waitFor(
      'BIRD BFD down',
      async () => logTime(birdLog, /changed state from Up to Down/i, t0),
      5000,
      100,
    ).catch(() => undefined);
    console.log(
      `BFD detection, cut towards BIRD 2 (cut took ${t1 - t0} ms): rackbgp BFD ${m.bfd} ms, BGP down ${m.bgp} ms, ` +
        `routes withdrawn ${m.routes} ms; BIRD ${birdDown === undefined ? '?' : birdDown - t0} ms`,
    );
    for (const v of [m.bfd, m.bgp, m.routes]) {
      expect(v).toBeDefined();
      expect(v).toBeLessThanOrEqual(BUDGET_MS + (t1 - t0));
    }
    expect(birdDown).toBeDefined();
    expect((birdDown as number) - t0).toBeLessThanOrEqual(BUDGET_MS + (t1 - t0));
    expect(await bird.protocol('leaf')).not.toMatch(/BGP state:\s+Established/);
    await heal('bird', 'to-leaf');
    await leaf.waitState(PEER.bird4, 'Established', 15_000);
  }, 30_000);
});
