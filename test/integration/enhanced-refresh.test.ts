/**
 * Enhanced route refresh (RFC 7313 §4) with rackbgp as receiver: rackbgp asks FRR 8.4 for a
 * refresh, FRR answers BoRR, its table, EoRR. A prefix FRR stopped exporting in between (outbound
 * prefix-list changed with `bgp route-map delay-timer 0`, so FRR sends nothing until asked) must be
 * gone afterwards. Measured: FRR withdraws it inside the refresh (its Adj-RIB-Out still had it),
 * so the purge at EoRR finds nothing left. A scripted peer then sends, on the wire, two routes, BoRR,
 * one of them again, and EoRR: the one left out is purged, the other stays fresh.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NlriBuilder } from '../../src/rib/nlri-builder.js';
import { keyFromText } from '../../src/rib/prefix-key.js';
import {
  Afi,
  AsPathSegmentType,
  encodeMessage,
  IPV4_UNICAST,
  makeOpen,
  Origin,
  packAnnouncements,
  RefreshSubtype,
  type UpdateContext,
} from '../../src/wire/index.js';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';
import { rawPeer } from './support/raw-peer.js';

const skip = !isRoot() || requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh).length > 0;

const LEAF = `router-id: 10.96.1.1
asn: 65001
fib: false
neighbors: [{ address: 10.96.1.12, asn: 65002 }]
`;

/** The lines rackbgp logged for one refresh phase, parsed. */
const logged = (log: string, what: string) =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes(what))
    .map((l) => JSON.parse(l) as { stale?: number; purged?: number });

const frrConfig = `frr defaults traditional
hostname frr
log stdout debugging
debug bgp updates
!
ip prefix-list OUT seq 5 permit 10.12.1.0/24
ip prefix-list OUT seq 10 permit 10.12.2.0/24
route-map OUT permit 10
 match ip address prefix-list OUT
!
router bgp 65002
 bgp router-id 10.96.1.12
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp route-map delay-timer 0
 neighbor 10.96.1.1 remote-as 65001
 neighbor 10.96.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.12.1.0/24
  network 10.12.2.0/24
  neighbor 10.96.1.1 route-map OUT out
 exit-address-family
!
`;

describe.skipIf(skip)('enhanced route refresh received from FRR and ExaBGP', () => {
  it('a scripted peer: the route absent from its refresh is purged at EoRR, the re-sent one stays', async () => {
    const leaf = await startRackbgp(net, 'leaf', LEAF.replace('asn: 65002 }', 'asn: 65002, passive: true }'));
    const ctx: UpdateContext = { fourOctetAs: true, addPathRx: new Set(), addPathTx: new Set() };
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const open = makeOpen({
      asn: 65002,
      holdTime: 3,
      routerId: '10.96.1.12',
      capabilities: [
        { kind: 'multiprotocol', family: IPV4_UNICAST },
        { kind: 'route-refresh' },
        { kind: 'enhanced-route-refresh' },
        { kind: 'four-octet-as', asn: 65002 },
      ],
    });
    const announce = (prefixes: string[]) => {
      const b = new NlriBuilder(Afi.IPV4, false);
      for (const p of prefixes) b.add(keyFromText(p)!.key);
      const attrs = {
        origin: Origin.IGP,
        asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65002] }],
        nextHop: '10.96.1.12',
      };
      return packAnnouncements(attrs, b.build(), IPV4_UNICAST, ctx, 4096).messages.map(hex).join('');
    };
    const refresh = (subtype: number) =>
      hex(encodeMessage({ type: 'route-refresh', family: IPV4_UNICAST, subtype }, ctx));
    const keepalive = hex(encodeMessage({ type: 'keepalive' }, ctx));
    // rackbgp's OPEN and KEEPALIVE, then its End-of-RIB; every later message is a KEEPALIVE (about
    // one a second with hold time 3), each answered so the session stays up while the test looks.
    const peer = rawPeer(
      net,
      'peer',
      { host: '10.96.1.1', localAddress: '10.96.1.12' },
      [
        { send: hex(encodeMessage(open, ctx)) },
        { awaitMessages: 2 },
        { send: keepalive },
        { send: announce(['10.13.1.0/24', '10.13.2.0/24']) },
        { awaitMessages: 3 },
        { send: refresh(RefreshSubtype.BORR) },
        { send: announce(['10.13.1.0/24']) },
        { send: refresh(RefreshSubtype.EORR) },
        ...Array.from({ length: 6 }, (_, i) => [{ send: keepalive }, { awaitMessages: 4 + i }]).flat(),
      ],
      15_000,
    );
    const routes = await waitFor('refresh applied', async () => {
      const r = await leaf.routes();
      return r.length === 1 && logged(leaf.log, 'EoRR, stale paths purged').length === 1 ? r : undefined;
    });
    expect(routes[0].prefix).toBe('10.13.1.0/24');
    expect(routes[0].paths.every((p) => !p.stale)).toBe(true);
    expect((await leaf.neighbor('10.96.1.12'))?.state).toBe('Established');
    expect(logged(leaf.log, 'BoRR, paths stale').map((l) => l.stale)).toEqual([2]);
    expect(logged(leaf.log, 'EoRR, stale paths purged').map((l) => l.purged)).toEqual([1]);
    await peer;
  });

  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('err');
    await net.addNode('leaf');
    await net.addNode('peer');
    await net.link('leaf', 'peer', { a: ['10.96.1.1/24'], b: ['10.96.1.12/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('FRR: its BoRR … EoRR replaces the table, the prefix it stopped exporting is gone', async () => {
    const frr = await startFrr(net, 'peer', frrConfig);
    const leaf = await startRackbgp(net, 'leaf', LEAF);
    const n = await frr.waitEstablished('10.96.1.1');
    expect(n.neighborCapabilities?.enhancedRouteRefresh).toBe('advertisedAndReceived');
    await waitFor('both prefixes at rackbgp', async () => (await leaf.routes()).length === 2);

    // FRR stops exporting 10.12.2.0/24 but, with the delay timer off, sends nothing about it.
    await frr.vtysh('configure terminal', 'ip prefix-list OUT seq 10 deny 10.12.2.0/24');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await leaf.routes()).map((r) => r.prefix).sort()).toEqual(['10.12.1.0/24', '10.12.2.0/24']);
    const before = (await leaf.neighbor('10.96.1.12'))!;

    const r = await leaf.cli(['neighbor', 'refresh', '10.96.1.12', '--in']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor('10.12.2.0/24 gone at rackbgp', async () => (await leaf.routes()).length === 1, 15_000);
    expect((await leaf.routes()).map((x) => x.prefix)).toEqual(['10.12.1.0/24']);

    // FRR sent BoRR and EoRR (two ROUTE-REFRESH in), rackbgp marked both paths stale at BoRR,
    // FRR re-sent one and withdrew the other; nothing was left to purge; the session stayed up.
    const after = (await leaf.neighbor('10.96.1.12'))!;
    expect(after.state).toBe('Established');
    expect(after.counters.messagesIn['route-refresh'] - before.counters.messagesIn['route-refresh']).toBe(2);
    expect(logged(leaf.log, 'BoRR, paths stale').map((l) => l.stale)).toEqual([2]);
    expect(logged(leaf.log, 'EoRR, stale paths purged').map((l) => l.purged)).toEqual([0]);
    expect((await leaf.routes('10.12.1.0/24'))[0].paths.every((p) => !p.stale)).toBe(true);
  });
});
