/**
 * Transit at table scale: BIRD 2 (AS 65201) announces 100,000 IPv4 /24s with communities and large
 * communities (16 attribute sets) and a few IPv6 /64s through rackbgp (AS 65200, fib: false) to
 * FRR 8.4 (AS 65202) and GoBGP 3.10 (AS 65203). The receivers' own views are the judges: every
 * route with AS_PATH 65200 65201, next hop rackbgp's address on that link (RFC 4271 §5.1.3), its
 * communities, and no LOCAL_PREF on the wire (RFC 4271 §5.1.5; checked in a capture with tshark);
 * then 10,000 withdrawn at BIRD disappear at both. rackbgp packs prefixes per attribute set.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIRD2, startBird } from './support/bird.js';
import { runTcpdump, tsharkFields } from './support/capture.js';
import { FRR, startFrr } from './support/frr.js';
import { GOBGP, startGobgp } from './support/gobgp.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(
  BIRD2.daemon,
  BIRD2.client,
  FRR.bgpd,
  FRR.vtysh,
  GOBGP.daemon,
  '/usr/bin/tcpdump',
);
const skip = !isRoot() || missing.length > 0;

const COUNT = 100_000;
/** Withdrawn in the second phase: n % 10 === 7 (10,000 prefixes spread over every attribute set). */
const withdrawn = (n: number) => n % 10 === 7;
const V6 = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => `2001:db8:97:${k}::/64`);

/** Prefix n: 100.0.0.0/24, 100.0.1.0/24, … 101.134.159.0/24. */
const prefixOf = (n: number) => `${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.0/24`;
const community = (n: number) => `65201:${n % 16}`;
const largeCommunity = (n: number) => `65201:1:${n % 4}`;

const ASN = { bird: 65201, rb: 65200, frr: 65202, gobgp: 65203 };
const A = {
  bird4: '10.97.1.2',
  bird6: 'fd97:1::2',
  rbBird4: '10.97.1.1',
  rbBird6: 'fd97:1::1',
  rbFrr4: '10.97.2.1',
  rbFrr6: 'fd97:2::1',
  frr4: '10.97.2.2',
  frr6: 'fd97:2::2',
  rbGobgp4: '10.97.3.1',
  rbGobgp6: 'fd97:3::1',
  gobgp4: '10.97.3.2',
  gobgp6: 'fd97:3::2',
};

/**
 * 16 static protocols, s<k> holding the n with n % 16 = k; each one's import filter sets that
 * attribute set, so BIRD exports 16 distinct sets over BGP.
 */
function birdConfig(keep: (n: number) => boolean): string {
  const statics: string[] = [];
  for (let k = 0; k < 16; k++) {
    const routes: string[] = [];
    for (let n = k; n < COUNT; n += 16) if (keep(n)) routes.push(`  route ${prefixOf(n)} blackhole;`);
    statics.push(`protocol static s${k} {
  ipv4 { import filter { bgp_community.add((65201, ${k})); bgp_large_community.add((65201, 1, ${k % 4})); accept; }; };
${routes.join('\n')}
}`);
  }
  const bgp = (name: string, local: string, peer: string, channel: string) => `
protocol bgp ${name} {
  local ${local} as ${ASN.bird};
  neighbor ${peer} as ${ASN.rb};
  connect delay time 1;
  connect retry time 2;
  ${channel} { import none; export all; };
}`;
  return `log stderr { info, warning, error, fatal };
router id ${A.bird4};
protocol device { scan time 10; }
${statics.join('\n')}
protocol static v6routes {
  ipv6 { import filter { bgp_community.add((65201, 600)); accept; }; };
${V6.map((p) => `  route ${p} blackhole;`).join('\n')}
}
${bgp('rb4', A.bird4, A.rbBird4, 'ipv4')}
${bgp('rb6', A.bird6, A.rbBird6, 'ipv6')}
`;
}

const rackbgpConfig = `router-id: ${A.rbBird4}
asn: ${ASN.rb}
listen: { address: ["${A.rbBird4}", "${A.rbBird6}", "${A.rbFrr4}", "${A.rbFrr6}", "${A.rbGobgp4}", "${A.rbGobgp6}"], port: 179 }
fib: false
defaults: { connect-retry-time: 1 }
neighbors:
  - { address: ${A.bird4}, asn: ${ASN.bird}, passive: true }
  - { address: "${A.bird6}", asn: ${ASN.bird}, passive: true }
  - { address: ${A.frr4}, asn: ${ASN.frr} }
  - { address: "${A.frr6}", asn: ${ASN.frr} }
  - { address: ${A.gobgp4}, asn: ${ASN.gobgp} }
  - { address: "${A.gobgp6}", asn: ${ASN.gobgp} }
`;

const frrConfig = `frr defaults traditional
hostname frr
log stdout warnings
!
router bgp ${ASN.frr}
 bgp router-id ${A.frr4}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor ${A.rbFrr4} remote-as ${ASN.rb}
 neighbor ${A.rbFrr4} passive
 neighbor ${A.rbFrr6} remote-as ${ASN.rb}
 neighbor ${A.rbFrr6} passive
 !
 address-family ipv4 unicast
  neighbor ${A.rbFrr4} activate
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor ${A.rbFrr6} activate
 exit-address-family
!
`;

const gobgpNeighbor = (address: string, family: string) => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = ${ASN.rb}
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${family}"
`;
const gobgpConfig = `[global.config]
  as = ${ASN.gobgp}
  router-id = "${A.gobgp4}"
  local-address-list = ["${A.gobgp4}", "${A.gobgp6}"]
${gobgpNeighbor(A.rbGobgp4, 'ipv4-unicast')}${gobgpNeighbor(A.rbGobgp6, 'ipv6-unicast')}`;

/** Splits vtysh output of several `... json` commands into the JSON documents it printed. */
function splitJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

/** Every 500th n, offset so each sample covers all 16 attribute sets: 200 prefixes. */
const SAMPLE = Array.from({ length: 200 }, (_, i) => i * 500 + (i % 16));

const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** FRR's `show bgp ipv4 unicast json` table: prefix → paths (FRR 8.4 field names). */
type FrrTable = {
  routes: Record<string, { path: string; nexthops: { ip: string }[]; peerId: string }[]>;
};
/** FRR's `show bgp ipv4 unicast PREFIX json` (FRR 8.4 field names). */
type FrrRoute = {
  prefix: string;
  paths: {
    aspath: { string: string };
    community?: { list: string[] };
    largeCommunity?: { list: string[] };
    nexthops: { ip: string }[];
    [key: string]: unknown;
  }[];
};
/** GoBGP's `global rib -j`: prefix → paths with the attributes as received (api.Path). */
type GobgpAttr = {
  type: number;
  as_paths?: { segment_type: number; asns: number[] }[];
  nexthop?: string;
  communities?: number[];
  value?: unknown;
};
type GobgpRib = Record<string, { attrs: GobgpAttr[]; 'neighbor-ip': string }[]>;

/** What GoBGP should hold for prefix n: the attribute type codes and their values. */
function checkGobgpPath(n: number, attrs: GobgpAttr[], nextHop: string): string | undefined {
  const types = attrs.map((a) => a.type).join(',');
  // ORIGIN, AS_PATH, NEXT_HOP, COMMUNITIES, LARGE_COMMUNITY: no MED (4), no LOCAL_PREF (5).
  if (types !== '1,2,3,8,32') return `attribute types ${types}`;
  const by = new Map(attrs.map((a) => [a.type, a]));
  const path = JSON.stringify(by.get(2)?.as_paths?.map((s) => [s.segment_type, s.asns]));
  if (path !== '[[2,[65200,65201]]]') return `AS_PATH ${path}`;
  if (by.get(3)?.nexthop !== nextHop) return `next hop ${by.get(3)?.nexthop}`;
  const c = by.get(8)?.communities ?? [];
  if (c.length !== 1 || c[0] !== 65201 * 65536 + (n % 16)) return `communities ${c}`;
  const l = JSON.stringify(by.get(32)?.value);
  if (l !== JSON.stringify([{ ASN: 65201, LocalData1: 1, LocalData2: n % 4 }]))
    return `large communities ${l}`;
  return undefined;
}

describe.skipIf(skip)('transit: 100k routes from BIRD 2 through rackbgp to FRR and GoBGP', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('t100k');
    for (const n of ['bird', 'rb', 'frr', 'gobgp']) await net.addNode(n);
    await net.link('bird', 'rb', {
      a: [`${A.bird4}/24`, `${A.bird6}/64`],
      b: [`${A.rbBird4}/24`, `${A.rbBird6}/64`],
    });
    await net.link('rb', 'frr', {
      a: [`${A.rbFrr4}/24`, `${A.rbFrr6}/64`],
      b: [`${A.frr4}/24`, `${A.frr6}/64`],
    });
    await net.link('rb', 'gobgp', {
      a: [`${A.rbGobgp4}/24`, `${A.rbGobgp6}/64`],
      b: [`${A.gobgp4}/24`, `${A.gobgp6}/64`],
    });
  });
  afterEach(async () => {
    await net.destroy();
  });

  it(`delivers ${COUNT} routes with AS_PATH, next hop and communities, then withdraws 10,000`, async () => {
    const t0 = Date.now();
    const log = (what: string) => console.log(`[transit-100k] ${elapsed(t0)} ${what}`);
    // rackbgp's UPDATEs towards FRR and GoBGP, for an independent reading of the attributes sent.
    const capture = await runTcpdump(
      net,
      'rb',
      'any',
      `tcp port 179 and not host ${A.bird4} and not host ${A.bird6}`,
    );
    const frr = await startFrr(net, 'frr', frrConfig);
    const gobgp = await startGobgp(net, 'gobgp', gobgpConfig);
    const rb = await startRackbgp(net, 'rb', rackbgpConfig);
    await frr.waitEstablished(A.rbFrr4);
    await gobgp.waitEstablished(A.rbGobgp4);
    const birdConfFile = join(net.dir, 'bird-bird2.conf');
    const bird = await startBird(
      net,
      'bird',
      BIRD2,
      birdConfig(() => true),
      'bird2',
    );
    await bird.waitEstablished('rb4');
    log('all sessions up');

    const frrCount = async (family = 'ipv4', peer = A.rbFrr4) => {
      const s = JSON.parse(await frr.vtysh(`show bgp ${family} unicast summary json`)) as {
        peers: Record<string, { pfxRcd: number }>;
      };
      return s.peers[peer]?.pfxRcd;
    };
    const gobgpCount = async (family = 'ipv4') =>
      Number(/Destination: (\d+)/.exec(await gobgp.cli('global', 'rib', 'summary', '-a', family))?.[1]);
    const waitCounts = async (want: number) => {
      const t = Date.now();
      await waitFor(
        `rackbgp holds ${want}`,
        async () => (await rb.neighbor(A.bird4))?.prefixesReceived === want,
        60_000,
        200,
      );
      const atRb = elapsed(t);
      await waitFor(`FRR holds ${want}`, async () => (await frrCount()) === want, 60_000, 200);
      const atFrr = elapsed(t);
      await waitFor(`GoBGP holds ${want}`, async () => (await gobgpCount()) === want, 60_000, 200);
      log(`${want} prefixes at rackbgp after ${atRb}, FRR ${atFrr}, GoBGP ${elapsed(t)}`);
    };
    await waitCounts(COUNT);
    await waitFor(
      'IPv6 at FRR and GoBGP',
      async () =>
        (await frrCount('ipv6', A.rbFrr6)) === V6.length && (await gobgpCount('ipv6')) === V6.length,
    );

    // Every route at FRR (its table) and at GoBGP (with the attributes it received), and nothing else.
    const expectTables = async (keep: (n: number) => boolean) => {
      const want = new Map<string, number>();
      for (let n = 0; n < COUNT; n++) if (keep(n)) want.set(prefixOf(n), n);
      const frrTable = JSON.parse(await frr.vtysh('show bgp ipv4 unicast json')) as FrrTable;
      const frrBad: string[] = [];
      for (const [prefix, paths] of Object.entries(frrTable.routes)) {
        const p = paths.length === 1 ? paths[0] : undefined;
        if (!want.has(prefix) || p?.path !== '65200 65201' || p.nexthops[0]?.ip !== A.rbFrr4)
          frrBad.push(`${prefix} ${JSON.stringify(paths)}`);
      }
      expect(frrBad.slice(0, 5)).toEqual([]);
      expect(Object.keys(frrTable.routes).length).toBe(want.size);
      const gobgpRib = JSON.parse(await gobgp.cli('global', 'rib', '-a', 'ipv4', '-j')) as GobgpRib;
      const gobgpBad: string[] = [];
      for (const [prefix, paths] of Object.entries(gobgpRib)) {
        const n = want.get(prefix);
        const why =
          n === undefined
            ? 'not announced'
            : paths.length !== 1
              ? `${paths.length} paths`
              : checkGobgpPath(n, paths[0].attrs, A.rbGobgp4);
        if (why) gobgpBad.push(`${prefix}: ${why}`);
      }
      expect(gobgpBad.slice(0, 5)).toEqual([]);
      expect(Object.keys(gobgpRib).length).toBe(want.size);
    };
    await expectTables(() => true);
    log('full tables checked at FRR and GoBGP');

    // Communities and large communities at FRR, sampled: 200 prefixes in one vtysh call.
    const sampled = splitJson(
      await frr.vtysh(...SAMPLE.map((n) => `show bgp ipv4 unicast ${prefixOf(n)} json`)),
    ) as FrrRoute[];
    expect(sampled.map((r) => r.prefix)).toEqual(SAMPLE.map(prefixOf));
    for (const [i, r] of sampled.entries()) {
      const n = SAMPLE[i];
      expect(r.paths).toHaveLength(1);
      const p = r.paths[0];
      expect(p.aspath.string).toBe('65200 65201');
      expect(p.nexthops.map((h) => h.ip)).toEqual([A.rbFrr4]);
      expect(p.community?.list).toEqual([community(n)]);
      expect(p.largeCommunity?.list).toEqual([largeCommunity(n)]);
      // FRR prints locPrf only when the attribute is set; it ignores LOCAL_PREF from eBGP anyway,
      // so the capture below is what shows none was sent.
      expect(p).not.toHaveProperty('locPrf');
      expect(p).not.toHaveProperty('med');
    }
    // IPv6 over the second session: next hop rackbgp's global address on each link.
    const frr6 = splitJson(
      await frr.vtysh(...V6.map((p) => `show bgp ipv6 unicast ${p} json`)),
    ) as FrrRoute[];
    for (const r of frr6) {
      expect(r.paths[0].aspath.string).toBe('65200 65201');
      expect(r.paths[0].nexthops[0].ip).toBe(A.rbFrr6);
      expect(r.paths[0].community?.list).toEqual(['65201:600']);
    }
    const gobgp6 = JSON.parse(await gobgp.cli('global', 'rib', '-a', 'ipv6', '-j')) as GobgpRib;
    expect(Object.keys(gobgp6).sort()).toEqual([...V6].sort());
    for (const [, [path]] of Object.entries(gobgp6)) {
      expect(path.attrs.map((a) => a.type)).toEqual([1, 2, 8, 14]);
      expect(path.attrs.find((a) => a.type === 14)?.nexthop).toBe(A.rbGobgp6);
      expect(path.attrs.find((a) => a.type === 2)?.as_paths?.[0].asns).toEqual([65200, 65201]);
    }
    log('samples and IPv6 checked');

    // Packing: UPDATEs per attribute set, not per prefix.
    const neighbors = await rb.neighbors();
    const sent = Object.fromEntries(neighbors.map((n) => [n.address, n.counters.messagesOut.update]));
    log(`UPDATEs sent: ${JSON.stringify(sent)}`);
    for (const peer of [A.frr4, A.gobgp4]) expect(sent[peer]).toBeLessThan(COUNT / 50);
    // The source peer gets only End-of-RIB: nothing to announce back, so nothing to withdraw.
    expect(sent[A.bird4]).toBe(1);

    // Withdraw 10,000 at BIRD: reconfigure with those static routes left out.
    const keep = (n: number) => !withdrawn(n);
    writeFileSync(birdConfFile, birdConfig(keep));
    expect(await bird.cli('configure')).toMatch(/Reconfigured/);
    await waitCounts(COUNT - 10_000);
    await expectTables(keep);
    log('withdrawals checked in the full tables');

    // The wire, read by tshark: no LOCAL_PREF (5) nor MED (4) in any UPDATE rackbgp sent.
    const pcap = await capture.stop();
    const rows = await tsharkFields(pcap, 'bgp.type == 2', [
      'ip.src',
      'ipv6.src',
      'bgp.update.path_attribute.type_code',
    ]);
    const fromRb = rows.filter(
      ([v4, v6]) => [A.rbFrr4, A.rbGobgp4].includes(v4[0]) || [A.rbFrr6, A.rbGobgp6].includes(v6[0]),
    );
    const codes = new Set(fromRb.flatMap((r) => r[2]));
    expect([...codes].sort()).toEqual(['1', '14', '15', '2', '3', '32', '8']);
    log(`tshark: ${fromRb.length} frames with UPDATEs from rackbgp, attribute types ${[...codes].join(',')}`);

    // No session flapped on the way.
    for (const n of await rb.neighbors()) expect(n.counters.establishedTransitions, n.address).toBe(1);
  }, 180_000);
});
