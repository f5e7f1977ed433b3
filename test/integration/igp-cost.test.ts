/**
 * RFC 4271 §9.1.2.2 (e) end to end: rackbgp (fib: true, maximum-paths 2) learns one prefix over
 * iBGP from two speakers whose NEXT_HOPs (loopbacks, set by their export policy) are reached
 * through kernel routes of different metrics in rackbgp's namespace. The lower metric wins, over a
 * lower router id, and only its gateway is installed; a metric change flips the best path (the
 * resolver sees the route change and the decision runs again); equal metrics make both multipath.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const PREFIX = '10.200.0.0/24';
/** The speakers' loopbacks: the BGP next hops, never on a subnet rackbgp shares. */
const LOOPBACK = { a: '10.210.1.1', b: '10.210.2.1' } as const;
/** rackbgp's neighbors on the two links. */
const GATEWAY = { a: '10.96.1.2', b: '10.96.2.2' } as const;
/** rackbgp's own addresses on those links. */
const OWN = { a: '10.96.1.1', b: '10.96.2.1' } as const;

interface IpRoute {
  dst: string;
  gateway?: string;
  nexthops?: { gateway: string }[];
}

describe.skipIf(!isRoot())('decision: IGP cost from kernel route metrics', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('igp');
    for (const n of ['r', 'a', 'b']) await net.addNode(n);
    await net.link('r', 'a', { a: [`${OWN.a}/24`], b: [`${GATEWAY.a}/24`] });
    await net.link('r', 'b', { a: [`${OWN.b}/24`], b: [`${GATEWAY.b}/24`] });
    await net.sh('a', `ip addr add ${LOOPBACK.a}/32 dev lo`);
    await net.sh('b', `ip addr add ${LOOPBACK.b}/32 dev lo`);
  });
  afterEach(async () => {
    await net.destroy();
  });

  /** Sets the metric of r's only route to a speaker's loopback (add the new one, then drop the others). */
  const setMetric = async (to: 'a' | 'b', metric: number) => {
    await net.sh('r', `ip route add ${LOOPBACK[to]}/32 via ${GATEWAY[to]} metric ${metric}`);
    const routes = JSON.parse(await net.sh('r', `ip -j route show ${LOOPBACK[to]}/32`)) as {
      metric?: number;
    }[];
    for (const x of routes)
      if ((x.metric ?? 0) !== metric)
        await net.sh('r', `ip route del ${LOOPBACK[to]}/32 via ${GATEWAY[to]} metric ${x.metric ?? 0}`);
  };

  const kernelRoute = async (): Promise<IpRoute | undefined> =>
    (JSON.parse(await net.sh('r', `ip -j route show proto ${RTPROT_RACKBGP}`)) as IpRoute[]).find(
      (x) => x.dst === PREFIX,
    );

  /** Waits until the best path comes from `peer` for `reason` and the kernel forwards via `gateways`. */
  const expectBest = async (r: RackbgpHandle, peer: string, reason: string, gateways: string[]) => {
    const snap = await waitFor(`best from ${peer} (${reason})`, async () => {
      const [s] = (await r.routes(PREFIX)) as RouteSnapshot[];
      const best = s?.paths.find((p) => p.best);
      return best?.peer === peer && s.reason === reason && s.paths.length === 2 ? s : undefined;
    });
    const route = await waitFor(`kernel route via ${gateways.join(', ')}`, async () => {
      const k = await kernelRoute();
      const via = (k?.nexthops?.map((h) => h.gateway) ?? (k?.gateway ? [k.gateway] : [])).sort();
      return via.join() === [...gateways].sort().join() ? k : undefined;
    });
    return { snap, route };
  };

  it('prefers the lower metric, flips when the metrics change, and is ECMP when equal', async () => {
    await setMetric('a', 10);
    await setMetric('b', 20);
    const r = await startRackbgp(
      net,
      'r',
      `router-id: ${OWN.a}
asn: 65100
fib: true
maximum-paths: 2
neighbors:
  - { address: ${GATEWAY.a}, asn: 65100, passive: true }
  - { address: ${GATEWAY.b}, asn: 65100, passive: true }
`,
    );
    // a has the higher router id: without the IGP-cost step b would win at 'lower router id'.
    for (const [n, routerId] of [
      ['a', '10.250.0.9'],
      ['b', '10.250.0.1'],
    ] as const) {
      await startRackbgp(
        net,
        n,
        `router-id: ${routerId}
asn: 65100
fib: false
networks: [${PREFIX}]
policies:
  via-loopback: [{ name: nh, then: { next-hop: ${LOOPBACK[n]}, action: accept } }]
neighbors:
  - { address: ${OWN[n]}, asn: 65100, connect-retry-time: 1, export: [via-loopback] }
`,
      );
    }

    const first = await expectBest(r, GATEWAY.a, 'lower IGP cost', [GATEWAY.a]);
    expect(first.snap.paths.find((p) => p.best)?.nextHop).toBe(LOOPBACK.a);
    expect(first.snap.paths.some((p) => p.multipath)).toBe(false);

    // a's loopback is now farther than b's: the resolver re-reads the routes and the decision flips.
    await setMetric('a', 30);
    const flipped = await expectBest(r, GATEWAY.b, 'lower IGP cost', [GATEWAY.b]);
    expect(flipped.snap.paths.find((p) => p.best)?.nextHop).toBe(LOOPBACK.b);

    // Equal costs: the router id decides the best, and both paths are multipath in the kernel.
    await setMetric('b', 30);
    const equal = await expectBest(r, GATEWAY.b, 'lower router id', [GATEWAY.a, GATEWAY.b]);
    expect(equal.snap.paths.filter((p) => p.multipath)).toHaveLength(2);
  });
});
