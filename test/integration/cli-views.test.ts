/**
 * The views FRR and BIRD users reach for first, through the real CLI against live daemons in
 * namespaces: A — B — {C, D} (eBGP; B's links to C and D are /30s, so C and D share one update
 * group). Adj-RIB-Out (B's advertised-routes to C and D equal what C and D keep as received, each with
 * its own next hop), Adj-RIB-In before policy, longest-prefix match and --longer, malformed input
 * (exit 2), `show fib` against B's kernel (installed, and refused with the kernel's error), every
 * neighbor with the timers in use, and FRR's spellings (show bgp ..., show ip bgp ..., clear bgp ...).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdjRibView, FibRouteView, NeighborDetail } from '../../src/api/service.js';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const A = `router-id: 10.96.1.1
asn: 65001
fib: false
networks: [10.244.0.0/16, 10.244.1.0/26, 10.244.2.0/26, 10.244.3.0/24]
neighbors: [{ address: 10.96.1.2, asn: 65002, hold-time: 30, connect-retry-time: 1 }]
`;
/** B installs routes (fib: true), keeps A's routes as received, rejects 10.244.2.0/26 from A. */
const B = `router-id: 10.96.1.2
asn: 65002
fib: true
policies:
  from-a:
    - { name: not-two, match: { prefix-list: ["10.244.2.0/26"] }, then: reject }
    - { name: rest, then: accept }
  all: [{ name: all, then: accept }]
neighbors:
  - { address: 10.96.1.1, asn: 65001, passive: true, import: [from-a], export: [all], soft-reconfiguration-inbound: true }
  - { address: 10.96.2.1, asn: 65003, passive: true, export: [all] }
  - { address: 10.96.3.1, asn: 65004, passive: true, export: [all] }
`;
const leaf = (self: string, asn: number, peer: string, softIn: boolean) => `router-id: ${self}
asn: ${asn}
fib: false
neighbors: [{ address: ${peer}, asn: 65002, connect-retry-time: 1${softIn ? ', soft-reconfiguration-inbound: true' : ''} }]
`;

const json = async <T>(h: RackbgpHandle, args: string[]): Promise<T> => {
  const r = await h.cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`rackbgp ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};
/** An Adj-RIB as comparable rows: prefix, next hop, AS path, origin. */
const rows = (v: AdjRibView) =>
  v.routes.map((r) => [r.prefix, r.nextHop, JSON.stringify(r.attributes.asPath), r.attributes.origin]);

describe.skipIf(!isRoot())('CLI views of a running daemon', () => {
  let net: TestNet;
  let a: RackbgpHandle;
  let b: RackbgpHandle;
  let c: RackbgpHandle;
  let d: RackbgpHandle;
  beforeAll(async () => {
    net = new TestNet('views');
    for (const n of ['a', 'b', 'c', 'd']) await net.addNode(n);
    await net.link('a', 'b', { a: ['10.96.1.1/24'], b: ['10.96.1.2/24'] });
    await net.link('c', 'b', { a: ['10.96.2.1/30'], b: ['10.96.2.2/30'] });
    await net.link('d', 'b', { a: ['10.96.3.1/30'], b: ['10.96.3.2/30'] });
    // Another daemon's route for 10.244.3.0/24 with rackbgp's metric: the kernel refuses rackbgp's add.
    await net.sh('b', 'ip route add 10.244.3.0/24 via 10.96.1.1 metric 20 proto static');
    b = await startRackbgp(net, 'b', B);
    a = await startRackbgp(net, 'a', A);
    c = await startRackbgp(net, 'c', leaf('10.96.2.1', 65003, '10.96.2.2', true));
    d = await startRackbgp(net, 'd', leaf('10.96.3.1', 65004, '10.96.3.2', false));
    for (const [h, peer] of [
      [c, '10.96.2.2'],
      [d, '10.96.3.2'],
    ] as const)
      await waitFor(`${peer} sent 3 prefixes`, async () => (await h.neighbor(peer))?.prefixesReceived === 3);
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('advertised-routes equal what each neighbor received, with its own next hop; received-routes are before policy', async () => {
    // C and D are one update group (point-to-point links): one shared Adj-RIB-Out, patched per member.
    const rib = await json<{ updateGroups: number[] }>(b, ['show', 'rib', 'summary']);
    expect(rib.updateGroups).toContain(2);
    for (const [peer, h, self] of [
      ['10.96.2.1', c, '10.96.2.2'],
      ['10.96.3.1', d, '10.96.3.2'],
    ] as const) {
      const sent = await json<AdjRibView>(b, ['show', 'neighbor', peer, 'advertised-routes']);
      expect(rows(sent)).toEqual(
        ['10.244.0.0/16', '10.244.1.0/26', '10.244.3.0/24'].map((p) => [
          p,
          self,
          JSON.stringify([{ type: 'sequence', asns: [65002, 65001] }]),
          'igp',
        ]),
      );
      // What the neighbor holds from B is exactly that (its Loc-RIB; C also keeps it as received).
      const held = await h.routes();
      expect(held.map((r) => [r.prefix, r.paths[0].nextHop])).toEqual(
        sent.routes.map((r) => [r.prefix, r.nextHop]),
      );
      if (h === c)
        expect(rows(await json<AdjRibView>(c, ['show', 'neighbor', self, 'received-routes']))).toEqual(
          rows(sent),
        );
    }
    const text = (await b.cli(['show', 'neighbor', '10.96.2.1', 'advertised-routes'])).stdout;
    expect(text).toContain('Routes advertised to 10.96.2.1 (Adj-RIB-Out)');
    expect(text).toMatch(/^10\.244\.1\.0\/26 +10\.96\.2\.2 +65002 65001 i$/m);
    expect(text).toContain('Total number of prefixes 3');

    // From A before import policy: all four, 10.244.2.0/26 included, which the Loc-RIB does not have.
    const fromA = await json<AdjRibView>(b, ['show', 'neighbor', '10.96.1.1', 'received-routes']);
    expect(fromA.routes.map((r) => r.prefix)).toEqual([
      '10.244.0.0/16',
      '10.244.1.0/26',
      '10.244.2.0/26',
      '10.244.3.0/24',
    ]);
    expect(rows(fromA)).toEqual(
      rows(await json<AdjRibView>(a, ['show', 'neighbor', '10.96.1.2', 'advertised-routes'])),
    );
    expect(await b.routes('10.244.2.0/26')).toEqual([]);
    // Not kept for D: exit 2 and how to turn it on.
    const notKept = await b.cli(['show', 'neighbor', '10.96.3.1', 'received-routes']);
    expect(notKept.code).toBe(2);
    expect(notKept.stderr).toMatch(/not kept; set `soft-reconfiguration-inbound: true` on this neighbor/);
    const unknown = await b.cli(['show', 'neighbor', '10.96.9.9', 'advertised-routes']);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'rackbgp: no neighbor 10.96.9.9\n']);
  });

  it('show routes: an address is a longest-prefix match, --longer lists more-specifics, malformed input exits 2', async () => {
    const prefixes = async (args: string[]) =>
      (await json<RouteSnapshot[]>(b, ['show', 'routes', ...args])).map((r) => r.prefix);
    expect(await prefixes(['10.244.1.9'])).toEqual(['10.244.1.0/26']);
    expect(await prefixes(['10.244.1.200'])).toEqual(['10.244.0.0/16']);
    // 10.244.2.0/26 was rejected by policy: its addresses are forwarded by the /16.
    expect(await prefixes(['10.244.2.1'])).toEqual(['10.244.0.0/16']);
    expect(await prefixes(['10.245.0.1'])).toEqual([]);
    expect(await prefixes(['10.244.0.0/16', '--longer'])).toEqual([
      '10.244.0.0/16',
      '10.244.1.0/26',
      '10.244.3.0/24',
    ]);
    expect(await prefixes(['10.244.0.0/17', '--longer'])).toEqual(['10.244.1.0/26', '10.244.3.0/24']);
    expect(await prefixes(['10.244.1.0/26'])).toEqual(['10.244.1.0/26']);
    expect((await b.cli(['show', 'routes', '10.244.1.9'])).stdout).toMatch(
      /\*> 10\.244\.1\.0\/26 +10\.96\.1\.1 /,
    );
    for (const [arg, why] of [
      ['10.244.1.1/26', "'10.244.1.1/26' has host bits set: the prefix is 10.244.1.0/26"],
      ['10.300.0.0/16', "'10.300.0.0' is not an IPv4 or IPv6 address"],
      ['10.244.0.0/33', 'the prefix length must be a number from 0 to 32'],
      ['bogus', "'bogus' is neither an IPv4 or IPv6 address nor a prefix"],
    ]) {
      const r = await b.cli(['show', 'routes', arg]);
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toContain(why);
    }
    // The API itself refuses it too (400), for clients other than the CLI.
    const api = await net.exec('b', process.execPath, [
      '-e',
      "fetch('http://127.0.0.1:50179/api/routes?prefix=10.1.1.1/8').then(async r=>console.log(r.status, await r.text()))",
    ]);
    expect(api.stdout).toMatch(/^400 .*host bits set/);
  });

  it('show fib lists the kernel routes as ip route does, refused ones with the kernel error', async () => {
    const fib = await waitFor('B installed two routes', async () => {
      const f = await json<{ routes?: FibRouteView[] }>(b, ['show', 'fib']);
      return f.routes?.filter((r) => r.state === 'installed').length === 2 ? f : undefined;
    });
    expect(fib.routes?.map((r) => [r.prefix, r.state])).toEqual([
      ['10.244.0.0/16', 'installed'],
      ['10.244.1.0/26', 'installed'],
      ['10.244.3.0/24', 'refused'],
    ]);
    expect(fib.routes?.[2].error).toMatch(/File exists/);
    const text = (await b.cli(['show', 'fib'])).stdout.split('\n');
    // The header names the method in use (rtnetlink here; `ip -batch` when netlink is unavailable).
    expect(text[0]).toBe(
      'FIB via rtnetlink: 3 routes wanted: 2 installed, 0 waiting, 1 refused by the kernel',
    );
    // Each installed line is the kernel's own route (prefix, gateway, device) with its state.
    for (const prefix of ['10.244.0.0/16', '10.244.1.0/26']) {
      const kernel = (await net.sh('b', `ip route show ${prefix}`)).trim();
      const [, via, dev] = /via (\S+) dev (\S+)/.exec(kernel) ?? [];
      expect(text).toContain(`${prefix} via ${via} dev ${dev}  [installed]`);
    }
    expect(text.find((l) => l.startsWith('10.244.3.0/24'))).toMatch(/ \[refused: .*File exists.*\]$/);
  });

  it('every neighbor with the timers in use; no connection-mode wording beside the state', async () => {
    const all = await json<NeighborDetail[]>(b, ['show', 'neighbor']);
    expect(all.map((n) => n.address)).toEqual(['10.96.1.1', '10.96.2.1', '10.96.3.1']);
    expect(all[0].effective).toEqual({ holdTime: 30, keepaliveTime: 10 });
    const text = (await b.cli(['show', 'neighbors'])).stdout;
    expect(text.match(/^BGP neighbor is /gm)).toHaveLength(3);
    expect(text).toContain('  Hold time is 30 seconds, keepalive interval is 10 seconds (in use)');
    expect(text).toContain('  Configured hold time is 90 seconds, keepalive interval is 30 seconds');
    expect(text).not.toMatch(/^\s*Active\b/m);
    expect(text).toContain('Connection: waits for the peer to connect (passive), port 179');
  });

  it("FRR's spellings give the same views; clear bgp and neighbor reset --all act", async () => {
    const same = async (frr: string[], ours: string[]) => {
      const x = await b.cli(frr);
      expect(x.code).toBe(0);
      expect(x.stdout).toBe((await b.cli(ours)).stdout);
    };
    await same(['show', 'ip', 'bgp', '10.244.1.9'], ['show', 'routes', '10.244.1.9']);
    await same(
      ['show', 'bgp', 'ipv4', 'unicast', '10.244.0.0/16', 'longer-prefixes'],
      ['show', 'routes', '10.244.0.0/16', '--longer'],
    );
    await same(
      ['show', 'bgp', 'neighbors', '10.96.2.1', 'advertised-routes'],
      ['show', 'neighbor', '10.96.2.1', 'advertised-routes'],
    );
    await same(
      ['show', 'ip', 'bgp', 'neighbors', '10.96.1.1', 'received-routes'],
      ['show', 'neighbor', '10.96.1.1', 'received-routes'],
    );
    expect((await b.cli(['show', 'bgp', 'ipv6', 'unicast'])).stdout).toBe('No routes.\n');
    const summary = await b.cli(['show', 'bgp', 'summary']);
    expect(summary.stdout).toMatch(/^10\.96\.1\.1 +4 +65001 .* 3 +0 N\/A$/m);
    const frr = JSON.parse((await b.cli(['show', 'bgp', 'summary', 'json'])).stdout);
    expect(Object.keys(frr)).toEqual(['ipv4Unicast']);
    expect(frr.ipv4Unicast.peers['10.96.1.1']).toMatchObject({
      remoteAs: 65001,
      state: 'Established',
      pfxRcd: 3,
    });
    const bad = await b.cli(['show', 'bgp', 'ipv4', 'multicast']);
    expect([bad.code, bad.stderr]).toEqual([2, 'rackbgp: only unicast is supported (not multicast)\n']);

    expect((await b.cli(['clear', 'bgp', '10.96.2.1', 'soft', 'out'])).stdout).toBe(
      '10.96.2.1: soft refresh out\n',
    );
    expect((await b.cli(['clear', 'ip', 'bgp', '10.96.1.1', 'in'])).stdout).toBe(
      '10.96.1.1: soft refresh in\n',
    );
    const transitions = async () => (await b.neighbors()).map((n) => n.counters.establishedTransitions);
    expect(await transitions()).toEqual([1, 1, 1]);
    expect((await b.cli(['clear', 'bgp', '10.96.3.1'])).stdout).toBe('10.96.3.1: reset\n');
    await b.waitState('10.96.3.1', 'Established');
    const all = await b.cli(['neighbor', 'reset', '--all']);
    expect(all.stdout).toBe('10.96.1.1: reset\n10.96.2.1: reset\n10.96.3.1: reset\n');
    for (const n of ['10.96.1.1', '10.96.2.1', '10.96.3.1']) await b.waitState(n, 'Established');
    expect(await transitions()).toEqual([2, 2, 3]);
    const usage = await b.cli(['neighbor', 'reset']);
    expect([usage.code, usage.stderr]).toEqual([2, 'rackbgp: give a neighbor address (or --all)\n']);
  });
});
