/**
 * NetlinkFib (rtnetlink, hand-built messages) against a real kernel in namespaces of our own, with
 * `ip -j route` as the independent oracle: 1,000 single and ECMP routes installed, replaced and
 * deleted; IPv6 link-local and IPv4-via-IPv6 (RFC 8950) next hops; refusals read from the ACKs;
 * and a ping flow across ECMP changes that loses nothing while a route of FRR's (proto bgp, same
 * prefix and metric) is never overwritten.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FibDriver } from '../../src/fib/driver.js';
import { NetlinkFib } from '../../src/fib/netlink-driver.js';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { FibReconciler } from '../../src/fib/reconciler.js';
import { KernelResolver } from '../../src/fib/resolver.js';
import type { FibRoute } from '../../src/fib/types.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';

const missing = requireTools('/usr/bin/ping');
const skip = !isRoot() || missing.length > 0;

interface Dumped {
  dst: string;
  gateway?: string;
  via?: { host: string };
  dev?: string;
  metric?: number;
  protocol?: string;
  nexthops?: { gateway?: string; via?: { host: string }; dev: string }[];
}

describe.skipIf(skip)('NetlinkFib in a namespace', () => {
  const net = new TestNet('nlfib');
  let ns = '';
  const closers: (() => Promise<void>)[] = [];
  const open = (o: Parameters<typeof NetlinkFib.open>[0] = {}) => {
    const f = NetlinkFib.open({ netns: ns, ...o });
    closers.push(() => f.close());
    return f;
  };
  const kernel = async (family: 4 | 6, proto = String(RTPROT_RACKBGP)): Promise<Dumped[]> =>
    JSON.parse((await net.exec('rt', 'ip', ['-j', `-${family}`, 'route', 'show', 'proto', proto])).stdout);
  const hops = (r: Dumped) =>
    (r.nexthops ?? [{ gateway: r.gateway, via: r.via, dev: r.dev! }])
      .map((h) => `${h.gateway ?? h.via?.host}%${h.dev}`)
      .sort();
  const routes = (gw: [string, string]): FibRoute[] =>
    Array.from({ length: 1000 }, (_, i) => ({
      family: 4 as const,
      prefix: `172.${16 + (i >> 8)}.${i & 255}.0/24`,
      nextHops: i % 2 ? [{ via: gw[0] }, { via: gw[1] }] : [{ via: gw[0] }],
    }));

  beforeAll(async () => {
    // src -- rt -- a, rt -- b: rt forwards to a prefix both a and b hold.
    ns = await net.addNode('rt');
    for (const n of ['src', 'a', 'b']) await net.addNode(n);
    await net.link('src', 'rt', { a: ['10.70.0.2/24'], b: ['10.70.0.1/24'] }, { a: 'eth0', b: 'eth0' });
    await net.link(
      'rt',
      'a',
      {
        a: ['10.70.1.1/24', '10.70.3.1/24', 'fd70::1/64'],
        b: ['10.70.1.2/24', '10.70.3.2/24', 'fd70::2/64'],
      },
      { a: 'eth1', b: 'eth1' },
    );
    await net.link('rt', 'b', { a: ['10.70.2.1/24'], b: ['10.70.2.2/24'] }, { a: 'eth2', b: 'eth1' });
    await net.sh('rt', 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1');
    await net.sh('src', 'ip route add default via 10.70.0.1');
    for (const [n, gw] of [
      ['a', '10.70.1.1'],
      ['b', '10.70.2.1'],
    ])
      await net.sh(n, `ip addr add 198.51.100.1/32 dev lo && ip route add default via ${gw}`);
  });

  afterAll(async () => {
    for (const c of closers) await c().catch(() => {});
    await net.destroy();
  });

  it('installs, replaces (atomically) and deletes 1,000 single and ECMP routes; dump reads them back', async () => {
    const f = open({ occupied: () => false });
    const rec = new FibReconciler();
    for (const r of routes(['10.70.1.2', '10.70.2.2'])) rec.setDesired(r);
    const first = rec.flush();
    expect(await f.apply(first)).toEqual({ failed: [] });
    rec.applied({ failed: [] });
    let k = await kernel(4);
    expect(k).toHaveLength(1000);
    const byDst = new Map(k.map((r) => [r.dst, r]));
    expect(hops(byDst.get('172.16.0.0/24')!)).toEqual(['10.70.1.2%eth1']);
    expect(hops(byDst.get('172.16.1.0/24')!)).toEqual(['10.70.1.2%eth1', '10.70.2.2%eth2']);
    expect(k.every((r) => r.metric === 20)).toBe(true);
    // The dump equals what was asked for: a restart would rewrite nothing.
    expect(new FibReconciler().startupReconcile(await f.dump())).toHaveLength(1000);
    const again = new FibReconciler();
    for (const r of routes(['10.70.1.2', '10.70.2.2'])) again.setDesired(r);
    expect(again.startupReconcile(await f.dump())).toEqual([]);

    for (const r of routes(['10.70.3.2', '10.70.2.2'])) rec.setDesired(r);
    const replaced = rec.flush();
    expect(replaced.every((c) => c.op === 'replace')).toBe(true);
    expect(await f.apply(replaced)).toEqual({ failed: [] });
    expect(f.sent.replaceAtomic).toBe(1000);
    k = await kernel(4);
    expect(k).toHaveLength(1000);
    expect(k.filter((r) => hops(r).includes('10.70.3.2%eth1'))).toHaveLength(1000);

    for (const r of routes(['10.70.3.2', '10.70.2.2'])) rec.removeDesired(r.prefix);
    expect(await f.apply(rec.flush())).toEqual({ failed: [] });
    expect(await kernel(4)).toEqual([]);
  });

  it('gives the event loop a turn between slices, and maps each of 1,000 refusals to its change', async () => {
    const f = open({ perTurn: 100 });
    let done = false;
    let turns = 0;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const gone = routes(['10.70.1.2', '10.70.2.2']).map((r) => ({
      op: 'delete' as const,
      family: 4 as const,
      prefix: r.prefix,
    }));
    const res = await f.apply(gone);
    done = true;
    expect(res.failed.map((x) => x.change)).toEqual(gone);
    expect(new Set(res.failed.map((x) => x.error))).toEqual(new Set(['No such process']));
    expect(turns).toBeGreaterThanOrEqual(9);
  });

  it('IPv6 link-local ECMP, IPv4 via IPv6 (RFC 8950), and refusals read from the ACKs without stopping the batch', async () => {
    const f = open();
    const lla = (await net.sh('a', 'ip -6 -j addr show dev eth1 scope link')).match(
      /"local":"(fe80[^"]+)"/,
    )![1];
    const res = await f.apply([
      { op: 'add', route: { family: 4, prefix: '10.71.0.0/24', nextHops: [{ via: '10.70.99.9' }] } },
      {
        op: 'add',
        route: {
          family: 6,
          prefix: 'fd71::/48',
          nextHops: [
            { via: lla, dev: 'eth1' },
            { via: 'fd70::2', dev: 'eth1' },
          ],
        },
      },
      { op: 'add', route: { family: 4, prefix: '10.71.1.0/24', nextHops: [{ via: lla, dev: 'eth1' }] } },
      {
        op: 'add',
        route: { family: 4, prefix: '10.71.2.0/24', nextHops: [{ via: '10.70.1.2', dev: 'nosuch0' }] },
      },
      { op: 'add', route: { family: 4, prefix: '10.71.3.0/24', nextHops: [{ via: '10.70.1.2' }] } },
      { op: 'delete', family: 4, prefix: '10.71.9.0/24' },
    ]);
    expect(
      res.failed.map((x) => [x.change.op === 'delete' ? x.change.prefix : x.change.route.prefix, x.error]),
    ).toEqual([
      ['10.71.2.0/24', 'Cannot find device "nosuch0"'],
      ['10.71.0.0/24', expect.stringMatching(/Network is unreachable/)],
      ['10.71.9.0/24', 'No such process'],
    ]);
    const v4 = Object.fromEntries((await kernel(4)).map((r) => [r.dst, hops(r)]));
    expect(v4).toEqual({ '10.71.1.0/24': [`${lla}%eth1`], '10.71.3.0/24': ['10.70.1.2%eth1'] });
    const v6 = Object.fromEntries((await kernel(6)).map((r) => [r.dst, hops(r)]));
    expect(v6).toEqual({ 'fd71::/48': ['fd70::2%eth1', `${lla}%eth1`].sort() });
    const dumped = await f.dump();
    expect(dumped.find((r) => r.prefix === '10.71.1.0/24')?.nextHops).toEqual([{ via: lla, dev: 'eth1' }]);
    expect(dumped.find((r) => r.prefix === 'fd71::/48')?.nextHops).toHaveLength(2);
    expect(await f.apply(dumped.map((r) => ({ op: 'delete', family: r.family, prefix: r.prefix })))).toEqual({
      failed: [],
    });
    expect([...(await kernel(4)), ...(await kernel(6))]).toEqual([]);
  });

  it('a flow across ECMP changes loses no packet; an FRR route of the same prefix and metric is never overwritten', async () => {
    const resolver = await KernelResolver.start({ netns: ns });
    closers.push(() => resolver.close());
    const f = open({ occupied: (_f, p, m) => resolver.occupied(p, m) });
    const d = new FibDriver(f);
    await d.start();
    const ours = '198.51.100.0/24';
    const theirs = '203.0.113.0/24';
    const both = [{ via: '10.70.1.2' }, { via: '10.70.2.2' }];
    d.set({ family: 4, prefix: ours, nextHops: both });
    d.set({ family: 4, prefix: theirs, nextHops: both });
    await d.idle();
    // FRR's zebra-style route next to ours: same prefix and metric, proto bgp, in front of ours.
    await net.sh('rt', `ip route prepend ${theirs} via 10.70.2.2 proto bgp metric 20`);
    await waitFor('the resolver sees the bgp route', async () => resolver.occupied(theirs, 20), 5000, 20);
    await net.sh('src', 'ping -c 3 -i 0.2 -q 198.51.100.1'); // neighbours resolved
    await net.sh('rt', 'ping -c 1 -q 10.70.1.2; ping -c 1 -q 10.70.2.2');

    // The kernel's own account: every route event while the next hops change.
    const monitor = net.spawn('rt', 'monitor', 'ip', ['-o', 'monitor', 'route']);
    await new Promise((r) => setTimeout(r, 200));
    const ping = net.exec('src', 'ping', ['-i', '0.001', '-c', '3000', '-q', '198.51.100.1'], 30_000);
    const sets = [[both[0]], both, [both[1]], both];
    let changes = 0;
    for (let i = 0; i < 120; i++) {
      const set = sets[i % sets.length];
      d.set({ family: 4, prefix: ours, nextHops: set });
      d.set({ family: 4, prefix: theirs, nextHops: set });
      await d.idle();
      changes++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const out = (await ping).stdout;
    await net.kill(monitor.child);
    const events = readFileSync(monitor.log, 'utf8').split('\n');
    const of = (p: string) => events.filter((l) => l.includes(`${p} `));
    // Ours changed in place (no "Deleted" between two versions); theirs was tried and refused.
    expect(of(ours).length).toBeGreaterThanOrEqual(119);
    expect(of(ours).filter((l) => l.startsWith('Deleted'))).toEqual([]);
    expect(of(theirs).filter((l) => l.includes('proto bgp') && l.startsWith('Deleted'))).toEqual([]);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    expect(m, out).not.toBeNull();
    expect({ sent: Number(m![1]), lost: Number(m![1]) - Number(m![2]) }).toEqual({ sent: 3000, lost: 0 });
    expect(changes).toBe(120);
    // Ours went out as one NLM_F_REPLACE each; theirs as delete + exclusive add, refused.
    expect(f.sent.replaceAtomic).toBeGreaterThanOrEqual(119);
    expect(d.routes().find((r) => r.route.prefix === theirs)?.state).toBe('refused');
    const bgp = await kernel(4, 'bgp');
    expect(bgp.map((r) => [r.dst, hops(r), r.metric])).toEqual([[theirs, ['10.70.2.2%eth2'], 20]]);
    await d.stop(false);
    expect(await kernel(4)).toEqual([]);
    expect(await kernel(4, 'bgp')).toHaveLength(1);
  });
});
