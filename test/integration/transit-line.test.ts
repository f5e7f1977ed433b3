/**
 * Three rackbgp speakers in a line, each in its own namespace (A — B — C, eBGP): originated
 * networks cross B with the right AS_PATH, next hop, communities and no MED/LOCAL_PREF; withdrawals
 * follow a session going down.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

describe.skipIf(!isRoot())('transit through rackbgp', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('line');
    for (const n of ['a', 'b', 'c']) await net.addNode(n);
    await net.link('a', 'b', { a: ['10.98.1.1/24'], b: ['10.98.1.2/24'] });
    await net.link('b', 'c', { a: ['10.98.2.2/24'], b: ['10.98.2.3/24'] });
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('carries originated networks A → B → C and withdraws them when A goes away', async () => {
    const c = await startRackbgp(
      net,
      'c',
      `router-id: 10.98.2.3
asn: 65003
fib: false
neighbors: [{ address: 10.98.2.2, asn: 65002, passive: true }]
`,
    );
    const b = await startRackbgp(
      net,
      'b',
      `router-id: 10.98.1.2
asn: 65002
fib: false
neighbors:
  - { address: 10.98.1.1, asn: 65001, passive: true }
  - { address: 10.98.2.3, asn: 65003, connect-retry-time: 1 }
`,
    );
    const a = await startRackbgp(
      net,
      'a',
      `router-id: 10.98.1.1
asn: 65001
fib: false
networks: [10.244.1.0/26, { prefix: 10.244.2.0/26, communities: ["65001:7"], med: 5 }]
neighbors: [{ address: 10.98.1.2, asn: 65002, connect-retry-time: 1 }]
`,
    );
    const [route] = await waitFor('10.244.2.0/26 at C', async () => {
      const r = await c.routes('10.244.2.0/26');
      return r.length && r[0].paths.length ? r : undefined;
    });
    const best = route.paths.find((p) => p.best)!;
    expect(best.nextHop).toBe('10.98.2.2');
    expect(best.attributes).toEqual({
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: [65002, 65001] }],
      communities: ['65001:7'],
    });
    await waitFor(
      'C holds both prefixes',
      async () => (await c.neighbor('10.98.2.2'))?.prefixesReceived === 2,
    );
    expect((await b.neighbor('10.98.2.3'))?.prefixesSent).toBe(2);
    expect((await b.routes('10.244.1.0/26'))[0].paths[0]).toMatchObject({
      peer: '10.98.1.1',
      nextHop: '10.98.1.1',
    });

    await a.stop();
    await waitFor('withdrawn at C', async () => (await c.neighbor('10.98.2.2'))?.prefixesReceived === 0);
  });

  it('max-prefix: Cease 6/1 with AFI, SAFI and the limit (RFC 4486 §4), then a restart after the interval', async () => {
    const b = await startRackbgp(
      net,
      'b',
      `router-id: 10.98.1.2
asn: 65002
fib: false
neighbors: [{ address: 10.98.1.1, asn: 65001, passive: true, max-prefix: { limit: 2, restart-after: 2 } }]
`,
    );
    const a = await startRackbgp(
      net,
      'a',
      `router-id: 10.98.1.1
asn: 65001
fib: false
networks: [10.244.1.0/26, 10.244.2.0/26, 10.244.3.0/26]
neighbors: [{ address: 10.98.1.2, asn: 65002, connect-retry-time: 1 }]
`,
    );
    const err = await waitFor('A told the limit', async () => {
      const e = (await a.neighbor('10.98.1.2'))?.counters.lastError;
      return e?.direction === 'received' ? e : undefined;
    });
    expect([err.code, err.subcode, err.data]).toEqual([6, 1, '00010100000002']); // AFI 1, SAFI 1, limit 2
    // restart-after: B starts the neighbor again and the same thing happens once more, not before
    // the 2 s are up (timed by B's journal: polling through the CLI can take longer than 2 s).
    await waitFor(
      'second Cease 6/1',
      async () => ((await b.neighbor('10.98.1.1'))?.counters.notificationsOut['6/1'] ?? 0) >= 2,
      15_000,
    );
    const downs = (
      JSON.parse(
        (await b.cli(['events', '--json', '--type', 'session-down', '--peer', '10.98.1.1'])).stdout,
      ) as {
        events: { t: number; cause: string; notification?: { code: number; subcode: number } }[];
      }
    ).events;
    expect(downs.slice(0, 2).map((e) => [e.cause, e.notification?.code, e.notification?.subcode])).toEqual([
      ['notification-sent', 6, 1],
      ['notification-sent', 6, 1],
    ]);
    expect(downs[1].t - downs[0].t).toBeGreaterThanOrEqual(1_900);
  });

  it('applies import/export policies at B, and RFC 8212 blocks an eBGP session without policy', async () => {
    const c = await startRackbgp(
      net,
      'c',
      `router-id: 10.98.2.3
asn: 65003
fib: false
neighbors: [{ address: 10.98.2.2, asn: 65002, passive: true }]
`,
    );
    await startRackbgp(
      net,
      'b',
      `router-id: 10.98.1.2
asn: 65002
fib: false
ebgp-requires-policy: true
policies:
  from-a:
    - name: pods-only
      match: { prefix-list: ["10.244.0.0/16 le 26"] }
      then: { action: accept, community: { add: ["65002:100"] } }
    - { name: rest, then: reject }
  to-c:
    - name: hide-2
      match: { prefix-list: ["10.244.2.0/26"] }
      then: reject
    - { name: all, then: { action: accept, prepend: 2 } }
neighbors:
  - { address: 10.98.1.1, asn: 65001, passive: true, import: [from-a], export: [to-c] }
  - { address: 10.98.2.3, asn: 65003, connect-retry-time: 1, export: [to-c] }
`,
    );
    const a = await startRackbgp(
      net,
      'a',
      `router-id: 10.98.1.1
asn: 65001
fib: false
networks: [10.244.1.0/26, 10.244.2.0/26, 192.168.50.0/24]
neighbors: [{ address: 10.98.1.2, asn: 65002, connect-retry-time: 1 }]
`,
    );
    await waitFor('10.244.1.0/26 at C', async () => (await c.routes('10.244.1.0/26')).length === 1);
    // A's routes reach B only through the import policy; C gets what the export policy lets out.
    await waitFor('A sent all three', async () => (await a.neighbor('10.98.1.2'))?.prefixesSent === 3);
    const atC = await c.routes();
    expect(atC.map((r) => r.prefix)).toEqual(['10.244.1.0/26']);
    expect(atC[0].paths[0].attributes).toMatchObject({
      asPath: [{ type: 'sequence', asns: [65002, 65002, 65002, 65001] }],
      communities: ['65002:100'],
    });
    // B sends nothing back to A: that session has an import policy but no export policy (RFC 8212).
    expect((await a.neighbor('10.98.1.2'))?.prefixesReceived).toBe(0);
  });

  it('redistribute connected follows interfaces and addresses added after start', async () => {
    const b = await startRackbgp(
      net,
      'b',
      `router-id: 10.98.1.2
asn: 65002
fib: false
neighbors: [{ address: 10.98.1.1, asn: 65001, passive: true }]
`,
    );
    await startRackbgp(
      net,
      'a',
      `router-id: 10.98.1.1
asn: 65001
fib: true
redistribute: { connected: [eth1, 10.151.0.0/16] }
neighbors: [{ address: 10.98.1.2, asn: 65002, connect-retry-time: 1 }]
`,
    );
    await waitFor('session', async () => (await b.neighbor('10.98.1.1'))?.state === 'Established');
    expect(await b.routes()).toEqual([]);
    // As containerlab does: eth1 appears after the daemon started, and its address later still.
    await net.sh(
      'a',
      'ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip link set eth1 up',
    );
    await net.sh('a', 'ip addr add 10.150.0.1/24 dev eth1');
    await net.sh(
      'a',
      'ip link add eth2 type veth peer name eth2p && ip link set eth2p up && ip link set eth2 up && ip addr add 10.151.3.1/24 dev eth2',
    );
    await waitFor('both subnets at B', async () => (await b.routes()).length === 2);
    expect((await b.routes()).map((r) => r.prefix).sort()).toEqual(['10.150.0.0/24', '10.151.3.0/24']);
    expect((await b.routes('10.150.0.0/24'))[0].paths[0].attributes).toMatchObject({ origin: 'incomplete' });
    await net.sh('a', 'ip addr del 10.150.0.1/24 dev eth1');
    await waitFor('withdrawn at B', async () => (await b.routes()).length === 1);
  });

  it('eBGP packets leave with TTL 1, or the ebgp-multihop value (seen by tcpdump on the wire)', async () => {
    const ttlsFrom = async (node: string, src: string) => {
      const r = await net.exec(node, 'timeout', [
        '8',
        'tcpdump',
        '-n',
        '-v',
        '-c',
        '4',
        '-i',
        'any',
        `tcp port 179 and src host ${src} and tcp[tcpflags] & tcp-push != 0`,
      ]);
      return [...r.stdout.matchAll(/ttl (\d+)/g)].map((m) => Number(m[1]));
    };
    const capture = ttlsFrom('b', '10.98.1.1');
    await startRackbgp(
      net,
      'b',
      `router-id: 10.98.1.2
asn: 65002
fib: false
neighbors: [{ address: 10.98.1.1, asn: 65001, passive: true, ebgp-multihop: 5 }]
`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const a = await startRackbgp(
      net,
      'a',
      `router-id: 10.98.1.1
asn: 65001
fib: false
neighbors: [{ address: 10.98.1.2, asn: 65002, connect-retry-time: 1, hold-time: 3 }]
`,
    );
    await waitFor('session', async () => (await a.neighbor('10.98.1.2'))?.state === 'Established');
    const ttls = await capture;
    expect(ttls.length).toBeGreaterThan(0);
    expect(new Set(ttls)).toEqual(new Set([1]));
    const back = await ttlsFrom('a', '10.98.1.2');
    expect(back.length).toBeGreaterThan(0);
    expect(new Set(back)).toEqual(new Set([5]));
  });
});
