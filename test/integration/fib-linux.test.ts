/**
 * LinuxFib, the reconciler and the next-hop resolver against a real kernel, in a namespace of our
 * own: 1,000 single and ECMP routes installed, replaced and deleted; a restart that adopts what
 * the earlier run left; IPv6 link-local next hops; routes of other protocols left alone (also when
 * ours went behind our back); the resolver following addresses added after start and resolving
 * through a static route.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxFib } from '../../src/fib/linux.js';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { FibReconciler } from '../../src/fib/reconciler.js';
import { KernelResolver, type ResolverChange } from '../../src/fib/resolver.js';
import type { FibRoute } from '../../src/fib/types.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';

const IP = ['/usr/sbin/ip', '/sbin/ip'].find((p) => {
  try {
    accessSync(p);
    return true;
  } catch {
    return false;
  }
});
const missing = requireTools(IP ?? '/usr/sbin/ip');
const skip = !isRoot() || missing.length > 0;

interface Dumped {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  nexthops?: { gateway: string; dev: string }[];
}

describe.skipIf(skip)('LinuxFib in a namespace', () => {
  const net = new TestNet('fib');
  let ns = '';
  const fibs: LinuxFib[] = [];
  const fib = () => {
    const f = new LinuxFib({ netns: ns, ipPath: IP });
    fibs.push(f);
    return f;
  };
  const kernel = async (family: 4 | 6): Promise<Dumped[]> =>
    JSON.parse(
      (await net.exec('rib', IP!, ['-j', `-${family}`, 'route', 'show', 'proto', String(RTPROT_RACKBGP)]))
        .stdout,
    );
  const hops = (r: Dumped) =>
    (r.nexthops ?? [{ gateway: r.gateway!, dev: r.dev! }]).map((h) => `${h.gateway}%${h.dev}`).sort();

  /** 1,000 routes: even ones single next hop, odd ones 2-way ECMP. */
  const routes = (gw: [string, string]): FibRoute[] =>
    Array.from({ length: 1000 }, (_, i) => ({
      family: 4 as const,
      prefix: `172.${16 + (i >> 8)}.${i & 255}.0/24`,
      nextHops: i % 2 ? [{ via: gw[0] }, { via: gw[1] }] : [{ via: gw[0] }],
    }));

  async function sync(f: LinuxFib, rec: FibReconciler) {
    const res = await f.apply(rec.flush());
    rec.applied(res);
    return res;
  }

  beforeAll(async () => {
    ns = await net.addNode('rib');
    await net.addNode('peer');
    await net.link(
      'rib',
      'peer',
      { a: ['10.0.0.1/24', '10.0.1.1/24', 'fd00::1/64'], b: ['10.0.0.2/24'] },
      {
        a: 'eth1',
        b: 'eth1',
      },
    );
    await net.link('rib', 'peer', { a: ['10.0.3.1/24'], b: [] }, { a: 'eth2', b: 'eth2' });
  });

  afterAll(async () => {
    await Promise.all(fibs.map((f) => f.close().catch(() => {})));
    await net.destroy();
  });

  it('installs, replaces and deletes 1,000 single and ECMP routes', async () => {
    const f = fib();
    const rec = new FibReconciler();
    for (const r of routes(['10.0.0.2', '10.0.1.2'])) rec.setDesired(r);
    expect(await sync(f, rec)).toEqual({ failed: [] });
    let k = await kernel(4);
    expect(k).toHaveLength(1000);
    const byDst = new Map(k.map((r) => [r.dst, r]));
    expect(hops(byDst.get('172.16.0.0/24')!)).toEqual(['10.0.0.2%eth1']);
    expect(hops(byDst.get('172.16.1.0/24')!)).toEqual(['10.0.0.2%eth1', '10.0.1.2%eth1']);
    expect(k.every((r) => r.metric === 20)).toBe(true);

    for (const r of routes(['10.0.0.3', '10.0.1.3'])) rec.setDesired(r);
    const replaced = rec.flush();
    expect(replaced.every((c) => c.op === 'replace')).toBe(true);
    rec.applied(await f.apply(replaced));
    k = await kernel(4);
    expect(k).toHaveLength(1000);
    expect(k.filter((r) => hops(r).includes('10.0.0.3%eth1'))).toHaveLength(1000);

    for (const r of routes(['10.0.0.3', '10.0.1.3']).slice(500)) rec.removeDesired(r.prefix);
    expect(await sync(f, rec)).toEqual({ failed: [] });
    expect(await kernel(4)).toHaveLength(500);
    expect(await f.dump()).toHaveLength(500);
  });

  it('after a restart adopts the earlier run’s routes: no duplicates, nothing lost, no rewrites', async () => {
    // The first instance still holds 500 routes; a new one starts as after SIGKILL.
    const f = fib();
    const rec = new FibReconciler();
    const want = routes(['10.0.0.3', '10.0.1.3']);
    for (const r of want.slice(0, 400)) rec.setDesired(r); // 100 of the old ones no longer wanted
    rec.setDesired({ ...want[0], nextHops: [{ via: '10.0.0.9' }] }); // one changed
    for (const r of want.slice(900)) rec.setDesired(r); // 100 new
    const changes = rec.startupReconcile(await f.dump());
    const ops: Record<string, number> = {};
    for (const c of changes) ops[c.op] = (ops[c.op] ?? 0) + 1;
    expect(ops).toEqual({ add: 100, replace: 1, delete: 100 });
    rec.applied(await f.apply(changes));
    const k = await kernel(4);
    expect(k).toHaveLength(500);
    expect(new Set(k.map((r) => r.dst)).size).toBe(500);
    expect(hops(k.find((r) => r.dst === want[0].prefix)!)).toEqual(['10.0.0.9%eth1']);
    expect(rec.shutdown(false)).toHaveLength(500);
  });

  it('removes everything on shutdown and leaves other protocols alone', async () => {
    await net.sh(
      'rib',
      `${IP} route add 172.31.0.0/24 via 10.0.0.2 metric 20 && ${IP} route add 172.31.1.0/24 via 10.0.0.2`,
    );
    const f = fib();
    const rec = new FibReconciler();
    rec.setDesired({ family: 4, prefix: '172.31.0.0/24', nextHops: [{ via: '10.0.1.2' }] });
    rec.setDesired({ family: 4, prefix: '172.31.1.0/24', nextHops: [{ via: '10.0.1.2' }] });
    const res = await f.apply(rec.startupReconcile(await f.dump()));
    rec.applied(res);
    // Same prefix and metric as a static route: `add` refuses instead of overwriting it.
    expect(res.failed.map((x) => [x.change.op, x.error])).toEqual([
      ['add', expect.stringMatching(/File exists/)],
    ]);
    expect((await kernel(4)).map((r) => r.dst).sort()).toEqual(['172.31.1.0/24']);
    rec.applied(await f.apply(rec.shutdown(false)));
    expect(await kernel(4)).toEqual([]);
    const left = await net.sh('rib', `${IP} route show root 172.31.0.0/16`);
    expect(left).toContain('172.31.0.0/24 via 10.0.0.2 dev eth1 metric 20');
    expect(left).toContain('172.31.1.0/24 via 10.0.0.2 dev eth1');
  });

  it('never overwrites another protocol’s route, not even where a route of ours was removed behind its back', async () => {
    const f = fib();
    const rec = new FibReconciler();
    rec.setDesired({ family: 4, prefix: '172.28.0.0/24', nextHops: [{ via: '10.0.0.2' }] });
    rec.setDesired({ family: 6, prefix: 'fd28::/64', nextHops: [{ via: 'fd00::2' }] });
    expect(await sync(f, rec)).toEqual({ failed: [] });
    // An operator deletes our routes and FRR's zebra installs its own (proto bgp, metric 20).
    await net.sh(
      'rib',
      [
        `${IP} route del 172.28.0.0/24 proto ${RTPROT_RACKBGP}`,
        `${IP} -6 route del fd28::/64 proto ${RTPROT_RACKBGP}`,
        `${IP} route add 172.28.0.0/24 via 10.0.1.2 proto bgp metric 20`,
        `${IP} -6 route add fd28::/64 via fd00::3 proto bgp metric 20`,
      ].join(' && '),
    );
    // Our next hops change: a kernel `replace` would now take FRR's routes' place.
    rec.setDesired({ family: 4, prefix: '172.28.0.0/24', nextHops: [{ via: '10.0.0.3' }] });
    rec.setDesired({ family: 6, prefix: 'fd28::/64', nextHops: [{ via: 'fd00::4' }] });
    const changes = rec.flush();
    expect(changes.map((c) => c.op)).toEqual(['replace', 'replace']);
    const res = await f.apply(changes);
    rec.applied(res);
    expect(res.failed.map((x) => x.error)).toEqual([
      expect.stringMatching(/File exists/),
      expect.stringMatching(/File exists/),
    ]);
    rec.applied(await f.apply(rec.shutdown(false)));
    const frr = await net.sh('rib', `${IP} route show proto bgp; ${IP} -6 route show proto bgp`);
    expect(frr).toContain('172.28.0.0/24 via 10.0.1.2 dev eth1 metric 20');
    expect(frr).toMatch(/fd28::\/64 via fd00::3 dev eth1 metric 20/);
    expect([...(await kernel(4)), ...(await kernel(6))]).toEqual([]);
    await net.sh('rib', `${IP} route del 172.28.0.0/24 proto bgp && ${IP} -6 route del fd28::/64 proto bgp`);
  });

  it('installs IPv6 routes with link-local next hops and ECMP over two interfaces', async () => {
    const f = fib();
    const rec = new FibReconciler();
    rec.setDesired({ family: 6, prefix: 'fd10::/64', nextHops: [{ via: 'fe80::2', dev: 'eth1' }] });
    rec.setDesired({
      family: 6,
      prefix: 'fd11::/48',
      nextHops: [
        { via: 'fe80::2', dev: 'eth1' },
        { via: 'fe80::3', dev: 'eth2' },
      ],
    });
    rec.setDesired({ family: 6, prefix: 'fd12::/64', nextHops: [{ via: 'fd00::2' }] });
    expect(await sync(f, rec)).toEqual({ failed: [] });
    const k = await kernel(6);
    expect(Object.fromEntries(k.map((r) => [r.dst, hops(r)]))).toEqual({
      'fd10::/64': ['fe80::2%eth1'],
      'fd11::/48': ['fe80::2%eth1', 'fe80::3%eth2'],
      'fd12::/64': ['fd00::2%eth1'],
    });
    // The dump matches what was wanted, so a restart rewrites nothing.
    const again = new FibReconciler();
    for (const r of await f.dump()) again.setDesired({ ...r, nextHops: [...r.nextHops].reverse() });
    expect(again.startupReconcile(await f.dump())).toEqual([]);
    rec.setDesired({ family: 6, prefix: 'fd11::/48', nextHops: [{ via: 'fe80::3', dev: 'eth2' }] });
    rec.removeDesired('fd10::/64');
    expect(await sync(f, rec)).toEqual({ failed: [] });
    expect(Object.fromEntries((await kernel(6)).map((r) => [r.dst, hops(r)]))).toEqual({
      'fd11::/48': ['fe80::3%eth2'],
      'fd12::/64': ['fd00::2%eth1'],
    });
    rec.applied(await f.apply(rec.shutdown(false)));
    expect(await kernel(6)).toEqual([]);
  });

  it('reports refused lines without stopping the batch, and survives an unknown multipath device', async () => {
    const f = fib();
    const res = await f.apply([
      { op: 'add', route: { family: 4, prefix: '172.30.0.0/24', nextHops: [{ via: '10.0.0.2' }] } },
      { op: 'add', route: { family: 4, prefix: '172.30.1.0/24', nextHops: [{ via: '192.0.2.1' }] } },
      {
        op: 'add',
        route: {
          family: 4,
          prefix: '172.30.2.0/24',
          nextHops: [
            { via: '10.0.0.2', dev: 'eth1' },
            { via: '10.0.0.3', dev: 'nosuch0' },
          ],
        },
      },
      { op: 'delete', family: 4, prefix: '172.30.9.0/24' },
      { op: 'add', route: { family: 4, prefix: '172.30.3.0/24', nextHops: [{ via: '10.0.0.2' }] } },
    ]);
    expect(
      res.failed.map((x) => [(x.change as { route?: FibRoute }).route?.prefix ?? 'delete', x.error]),
    ).toEqual([
      ['172.30.2.0/24', 'Cannot find device "nosuch0"'],
      ['172.30.1.0/24', expect.stringMatching(/invalid gateway|unreachable/i)],
      ['delete', expect.stringMatching(/No such process/)],
    ]);
    expect((await kernel(4)).map((r) => r.dst).sort()).toEqual(['172.30.0.0/24', '172.30.3.0/24']);
    const cleanup = await f.apply([
      { op: 'delete', family: 4, prefix: '172.30.0.0/24' },
      { op: 'delete', family: 4, prefix: '172.30.3.0/24' },
    ]);
    expect(cleanup.failed).toEqual([]);
  });

  it('keeps per-prefix order across recycled ip children and shards, and leaves no ip running', async () => {
    // Asked from outside the namespace (an `ip netns exec` would list itself).
    const pids = () => execFileSync(IP!, ['netns', 'pids', ns], { encoding: 'utf8' }).trim();
    const before = pids();
    const f = new LinuxFib({ netns: ns, ipPath: IP, recycleAfter: 1500, shards: 2 });
    const ps = Array.from({ length: 2500 }, (_, i) => `172.20.${i >> 8}.${i & 255}/32`);
    const route = (prefix: string, via: string): FibRoute => ({ family: 4, prefix, nextHops: [{ via }] });
    const res = await f.apply([
      ...ps.map((p) => ({ op: 'add' as const, route: route(p, '10.0.0.2') })),
      ...ps.map((p) => ({ op: 'replace' as const, route: route(p, '10.0.0.3') })),
      ...ps.slice(0, 1000).map((p) => ({ op: 'delete' as const, family: 4 as const, prefix: p })),
    ]);
    expect(res).toEqual({ failed: [] });
    const k = await kernel(4);
    expect(k).toHaveLength(1500);
    expect(k.every((r) => r.gateway === '10.0.0.3')).toBe(true);
    expect(
      (await f.apply(ps.slice(1000).map((prefix) => ({ op: 'delete', family: 4, prefix })))).failed,
    ).toEqual([]);
    await f.close();
    expect(pids()).toBe(before);
  });

  it('rejects apply when ip dies mid-batch, and starts a fresh ip for the next one', async () => {
    // Plays iproute2 exiting on a line it cannot parse, after taking the first line.
    const script = join(net.dir, 'dying-ip');
    writeFileSync(
      script,
      `#!/bin/sh\n[ -e ${net.dir}/died ] && exec ${IP} "$@"\nread line\ntouch ${net.dir}/died\necho 'Error: cannot parse nexthop' >&2\nexit 255\n`,
    );
    chmodSync(script, 0o755);
    const f = new LinuxFib({ netns: ns, ipPath: script });
    fibs.push(f);
    const route: FibRoute = { family: 4, prefix: '172.29.0.0/24', nextHops: [{ via: '10.0.0.2' }] };
    await expect(f.apply([{ op: 'add', route }])).rejects.toThrow(
      /ip exited \(255\): Error: cannot parse nexthop/,
    );
    expect(await f.apply([{ op: 'add', route }])).toEqual({ failed: [] });
    expect(await f.apply([{ op: 'delete', family: 4, prefix: route.prefix }])).toEqual({ failed: [] });
  });

  it('resolver: follows addresses added after start and resolves through a static route', async () => {
    const r = await KernelResolver.start({ netns: ns, ipPath: IP, debounceMs: 20 });
    try {
      const changes: ResolverChange[] = [];
      r.onChange((c) => changes.push(c));
      expect(r.resolve('10.0.0.2')).toMatchObject({ reachable: true, connected: true });
      expect(r.resolve('10.5.5.5')).toMatchObject({ reachable: false });
      expect(
        r
          .connectedByInterface()
          .get('eth1')
          ?.map((c) => c.prefix),
      ).toEqual(['10.0.0.0/24', '10.0.1.0/24', 'fd00::/64']);

      // containerlab-style: an address that appears after start.
      await net.sh('rib', `${IP} addr add 10.0.4.1/24 dev eth2`);
      await waitFor('address seen', async () =>
        changes.some((c) => c.added.some((a) => a.prefix === '10.0.4.0/24')),
      );
      expect(r.resolve('10.0.4.7')).toMatchObject({ nextHops: [{ via: '10.0.4.7', dev: 'eth2' }] });

      // A BGP next hop behind a static route resolves to the static route's gateway.
      await net.sh('rib', `${IP} route add 10.5.0.0/16 via 10.0.0.2`);
      await waitFor('static route seen', async () => r.resolve('10.5.5.5').reachable);
      expect(r.resolve('10.5.5.5')).toEqual({
        reachable: true,
        nextHops: [{ via: '10.0.0.2', dev: 'eth1' }],
        connected: false,
        via: '10.5.0.0/16',
        metric: 0, // the static route's metric: the IGP cost of RFC 4271 §9.1.2.2 (e)
      });

      // Our own routes change nothing the resolver uses: no event, no resolution through them.
      const before = changes.length;
      const f = fib();
      await f.apply([
        { op: 'add', route: { family: 4, prefix: '10.6.0.0/16', nextHops: [{ via: '10.0.0.2' }] } },
      ]);
      await net.sh('rib', `${IP} addr del 10.0.4.1/24 dev eth2`);
      await waitFor('address removal seen', async () =>
        changes.some((c) => c.removed.some((a) => a.prefix === '10.0.4.0/24')),
      );
      expect(changes.slice(before).filter((c) => !c.removed.length)).toEqual([]);
      expect(r.resolve('10.6.0.1')).toMatchObject({ reachable: false });
      await f.apply([{ op: 'delete', family: 4, prefix: '10.6.0.0/16' }]);
    } finally {
      await r.close();
    }
  });

  it('resolver: learns new protocols, follows link state, and catches up after a paused route watch', async () => {
    const r = await KernelResolver.start({ netns: ns, ipPath: IP, debounceMs: 20 });
    try {
      // A protocol it has not seen before (as another routing daemon would add).
      await net.sh('rib', `${IP} route add 10.7.0.0/16 via 10.0.3.2 proto 77`);
      await waitFor('proto 77 route seen', async () => r.resolve('10.7.0.1').reachable);
      expect(r.resolve('10.7.0.1')).toMatchObject({ nextHops: [{ via: '10.0.3.2', dev: 'eth2' }] });

      // Carrier lost on eth2 (its peer end goes down): connected and static routes through it go.
      await net.sh('peer', `${IP} link set eth2 down`);
      await waitFor('eth2 down seen', async () => !r.resolve('10.7.0.1').reachable);
      expect(r.resolve('10.0.3.2').reachable).toBe(false);
      await net.sh('peer', `${IP} link set eth2 up`);
      await waitFor('eth2 up seen', async () => r.resolve('10.7.0.1').reachable);

      // A static route added while the route watch is paused is found once it resumes.
      const resume = r.pauseRouteWatch();
      await net.sh('rib', `${IP} route add 10.8.0.0/16 via 10.0.0.2`);
      await new Promise((done) => setTimeout(done, 200));
      expect(r.resolve('10.8.0.1').reachable).toBe(false);
      resume();
      await waitFor('route added during the pause seen', async () => r.resolve('10.8.0.1').reachable);
    } finally {
      await r.close();
    }
  });
});
