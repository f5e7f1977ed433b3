/**
 * Enhanced route refresh (RFC 7313 §4) with rackbgp as receiver: rackbgp asks FRR 8.4 for a
 * refresh, FRR answers BoRR, its table, EoRR. A prefix FRR stopped exporting in between (outbound
 * prefix-list changed with `bgp route-map delay-timer 0`, so FRR sends nothing until asked) must be
 * gone afterwards. Measured: FRR withdraws it inside the refresh (its Adj-RIB-Out still had it),
 * so the purge at EoRR finds nothing left; the purge of paths simply absent from a refresh is the
 * unit test's (test/unit/core/enhanced-refresh.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

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
