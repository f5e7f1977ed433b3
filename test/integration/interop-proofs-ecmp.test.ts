/**
 * multipath-relax proven with real peers and real traffic: FRR 8.4 (AS 65002) and BIRD 2 (AS
 * 65003) announce the same prefix; rackbgp (maximum-paths 2, multipath-relax) installs one ECMP
 * route in its namespace's kernel, and UDP flows from a host behind it leave over both next hops
 * (the kernel's per-flow choice with the L4 hash, `ip route get` per flow, and packet counters on
 * each link).
 *
 *   host ── leaf (rackbgp) ──┬── frr  ──┐
 *                            └── bird ──┴── edge LAN ── dst 10.40.0.10
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { BIRD2, startBird } from './support/bird.js';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh, BIRD2.daemon, BIRD2.client);
const skip = !isRoot() || missing.length > 0;

const FLOWS = 64;

/** Packets sent on a link of the leaf. */
async function txPackets(net: TestNet, dev: string): Promise<number> {
  const [d] = JSON.parse(await net.sh('leaf', `ip -j -s link show dev ${dev}`)) as {
    stats64: { tx: { packets: number } };
  }[];
  return d.stats64.tx.packets;
}

/** From `host`: FLOWS UDP flows (a socket each, so a source port each), 3 datagrams per flow. */
const UDP_FLOWS = `
const dgram = require('node:dgram');
let open = ${FLOWS};
for (let i = 0; i < ${FLOWS}; i++) {
  const s = dgram.createSocket('udp4');
  let left = 3;
  const next = () => (left-- > 0 ? s.send('x', 9, '10.40.0.10', next) : (s.close(), --open || process.exit(0)));
  next();
}`;

describe.skipIf(skip)('interop proofs: ECMP across FRR and BIRD 2 (multipath-relax)', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('pecmp');
    for (const n of ['host', 'leaf', 'frr', 'bird', 'dst']) await net.addNode(n);
    await net.link('host', 'leaf', { a: ['10.41.0.2/24'], b: ['10.41.0.1/24'] });
    await net.link('leaf', 'frr', { a: ['10.42.1.1/24'], b: ['10.42.1.2/24'] });
    await net.link('leaf', 'bird', { a: ['10.42.2.1/24'], b: ['10.42.2.2/24'] });
    await net.lan('edge', [
      { node: 'frr', addrs: ['10.40.0.1/24'] },
      { node: 'bird', addrs: ['10.40.0.2/24'] },
      { node: 'dst', addrs: ['10.40.0.10/24'] },
    ]);
    for (const n of ['leaf', 'frr', 'bird']) await net.sh(n, 'sysctl -qw net.ipv4.ip_forward=1');
    // Hash on the 5-tuple (L4), so flows that differ only by source port can take different paths.
    await net.sh('leaf', 'sysctl -qw net.ipv4.fib_multipath_hash_policy=1');
    await net.sh('host', 'ip route add default via 10.41.0.1');
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('installs one ECMP route from two ASes and spreads UDP flows over both next hops', async () => {
    const frr = await startFrr(
      net,
      'frr',
      `frr defaults traditional
hostname frr
log stdout informational
!
router bgp 65002
 bgp router-id 10.42.1.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor 10.42.1.1 remote-as 65001
 neighbor 10.42.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.40.0.0/24
  neighbor 10.42.1.1 activate
 exit-address-family
!
`,
    );
    await startBird(
      net,
      'bird',
      BIRD2,
      `log stderr all;
router id 10.42.2.2;
protocol device { scan time 2; }
protocol static { ipv4; route 10.40.0.0/24 blackhole; }
protocol bgp leaf {
  local 10.42.2.2 as 65003;
  neighbor 10.42.2.1 as 65001;
  connect delay time 1;
  connect retry time 2;
  ipv4 { import all; export filter { bgp_origin = ORIGIN_IGP; bgp_med = 0; accept; }; };
}
`,
      'bird2',
    );
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: 10.42.1.1
asn: 65001
listen: { address: 0.0.0.0, port: 179 }
fib: true
maximum-paths: 2
multipath-relax: true
neighbors:
  - { address: 10.42.1.2, asn: 65002, connect-retry-time: 1 }
  - { address: 10.42.2.2, asn: 65003, connect-retry-time: 1 }
`,
    );
    await frr.waitEstablished('10.42.1.1');
    const [route] = await waitFor('ECMP route in the kernel', async () => {
      const rs = (
        JSON.parse(await net.sh('leaf', `ip -j route show proto ${RTPROT_RACKBGP}`)) as {
          dst: string;
          nexthops?: { gateway: string; dev: string }[];
        }[]
      ).filter((x) => x.dst === '10.40.0.0/24');
      return rs[0]?.nexthops?.length === 2 ? rs : undefined;
    });
    expect(route.nexthops?.map((h) => `${h.gateway} ${h.dev}`).sort()).toEqual([
      '10.42.1.2 to-frr',
      '10.42.2.2 to-bird',
    ]);
    const [snap] = await leaf.routes('10.40.0.0/24');
    expect(
      snap.paths
        .filter((p) => p.multipath)
        .map((p) => p.peer)
        .sort(),
    ).toEqual(['10.42.1.2', '10.42.2.2']);

    // The kernel's choice per flow: 32 source ports, both next hops among the answers.
    const via = new Set<string>();
    for (let sport = 40000; sport < 40032; sport++) {
      const out = await net.sh(
        'leaf',
        `ip route get 10.40.0.10 from 10.41.0.2 iif to-host ipproto udp sport ${sport} dport 9`,
      );
      via.add(/via (\S+)/.exec(out)?.[1] ?? out);
    }
    expect([...via].sort()).toEqual(['10.42.1.2', '10.42.2.2']);

    // Real traffic: each link carries a share of the flows.
    const before = [await txPackets(net, 'to-frr'), await txPackets(net, 'to-bird')];
    const r = await net.exec('host', process.execPath, ['-e', UDP_FLOWS]);
    expect(r.code, r.stderr).toBe(0);
    const sent = await waitFor('the datagrams left the leaf', async () => {
      const d = [(await txPackets(net, 'to-frr')) - before[0], (await txPackets(net, 'to-bird')) - before[1]];
      return d[0] + d[1] >= FLOWS * 3 ? d : undefined;
    });
    // Each of the two paths got at least a tenth of the datagrams (an even split would be half).
    for (const n of sent) expect(n).toBeGreaterThanOrEqual((FLOWS * 3) / 10);
  });
});
