/**
 * The FIB end to end: two upstreams (different ASes) announce the same prefix; rackbgp with
 * maximum-paths 2 and multipath-relax installs one ECMP route (`proto rackbgp`, 179) in its namespace's
 * kernel, and a ping from rackbgp's namespace reaches a host behind the upstreams. When both
 * sessions go, the route leaves the kernel; on shutdown rackbgp removes what it installed, or keeps it
 * with fib-keep-on-shutdown.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

interface IpRoute {
  dst: string;
  protocol?: string;
  gateway?: string;
  nexthops?: { gateway: string; dev: string }[];
}

describe.skipIf(!isRoot())('FIB: ECMP into the kernel', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('fib');
    for (const n of ['r', 'u1', 'u2', 'h']) await net.addNode(n);
    await net.link('r', 'u1', { a: ['10.95.1.1/24'], b: ['10.95.1.2/24'] });
    await net.link('r', 'u2', { a: ['10.95.2.1/24'], b: ['10.95.2.2/24'] });
    await net.lan('edge', [
      { node: 'u1', addrs: ['10.200.0.1/24'] },
      { node: 'u2', addrs: ['10.200.0.2/24'] },
      { node: 'h', addrs: ['10.200.0.10/24'] },
    ]);
    for (const n of ['r', 'u1', 'u2']) await net.sh(n, 'sysctl -qw net.ipv4.ip_forward=1');
    await net.sh('h', 'ip route add default via 10.200.0.1');
    // The kernel hashes a flow onto one ECMP next hop with a random per-namespace seed (Linux 6.11+
    // fib_multipath_hash_seed): a ping may leave through u2 with u2's source address, and h answers
    // through u1, so the upstreams route each other's link.
    await net.sh('u1', 'ip route add 10.95.2.0/24 via 10.200.0.2');
    await net.sh('u2', 'ip route add 10.95.1.0/24 via 10.200.0.1');
  });
  afterEach(async () => {
    await net.destroy();
  });

  const bgpRoutes = async (): Promise<IpRoute[]> =>
    JSON.parse(await net.sh('r', `ip -j route show proto ${RTPROT_RACKBGP}`));

  it('installs an ECMP route, forwards a ping, and removes the route when the paths go', async () => {
    const r = await startRackbgp(
      net,
      'r',
      `router-id: 10.95.1.1
asn: 65100
fib: true
maximum-paths: 2
multipath-relax: true
neighbors:
  - { address: 10.95.1.2, asn: 65101, passive: true }
  - { address: 10.95.2.2, asn: 65102, passive: true }
`,
    );
    const ups = [];
    for (const [i, asn] of [
      [1, 65101],
      [2, 65102],
    ]) {
      ups.push(
        await startRackbgp(
          net,
          `u${i}`,
          `router-id: 10.95.${i}.2
asn: ${asn}
fib: false
networks: [10.200.0.0/24]
neighbors: [{ address: 10.95.${i}.1, asn: 65100, connect-retry-time: 1 }]
`,
        ),
      );
    }
    const [route] = await waitFor('ECMP route in the kernel', async () => {
      const rs = (await bgpRoutes()).filter((x) => x.dst === '10.200.0.0/24');
      return rs.length === 1 && rs[0].nexthops?.length === 2 ? rs : undefined;
    });
    expect(route.nexthops!.map((h) => h.gateway).sort()).toEqual(['10.95.1.2', '10.95.2.2']);
    const [snap] = await r.routes('10.200.0.0/24');
    expect(snap.paths.filter((p) => p.multipath)).toHaveLength(2);

    const ping = await net.exec('r', 'ping', ['-c', '3', '-W', '2', '10.200.0.10']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);

    // One upstream gone: a single next hop remains; both gone: no route.
    await ups[0].stop();
    await waitFor('single next hop', async () => {
      const rs = (await bgpRoutes()).filter((x) => x.dst === '10.200.0.0/24');
      return rs.length === 1 && rs[0].gateway === '10.95.2.2' ? rs : undefined;
    });
    await ups[1].stop();
    await waitFor('route withdrawn from the kernel', async () => (await bgpRoutes()).length === 0);
  });

  it('removes its routes on shutdown and reconciles routes left by a killed run', async () => {
    const cfg = `router-id: 10.95.1.1
asn: 65100
fib: true
neighbors: [{ address: 10.95.1.2, asn: 65101, passive: true }]
`;
    const up = await startRackbgp(
      net,
      'u1',
      `router-id: 10.95.1.2
asn: 65101
fib: false
networks: [10.200.0.0/24, 10.201.0.0/24]
neighbors: [{ address: 10.95.1.1, asn: 65100, connect-retry-time: 1 }]
`,
    );
    let r = await startRackbgp(net, 'r', cfg);
    await waitFor('two routes', async () => (await bgpRoutes()).length === 2);
    // SIGKILL leaves the routes behind; a new run adopts them without duplicates.
    await r.kill();
    expect(await bgpRoutes()).toHaveLength(2);
    r = await startRackbgp(net, 'r', cfg, 50180);
    await waitFor('re-established', async () => (await r.neighbor('10.95.1.2'))?.state === 'Established');
    await new Promise((res) => setTimeout(res, 1000));
    expect((await bgpRoutes()).map((x) => x.dst).sort()).toEqual(['10.200.0.0/24', '10.201.0.0/24']);
    await r.stop();
    await waitFor('routes removed on shutdown', async () => (await bgpRoutes()).length === 0, 10_000);
    await up.stop();
  });

  it('keeps its routes in the kernel after SIGTERM with fib-keep-on-shutdown: true', async () => {
    const up = await startRackbgp(
      net,
      'u1',
      `router-id: 10.95.1.2
asn: 65101
fib: false
networks: [10.200.0.0/24, 10.201.0.0/24]
neighbors: [{ address: 10.95.1.1, asn: 65100, connect-retry-time: 1 }]
`,
    );
    const r = await startRackbgp(
      net,
      'r',
      `router-id: 10.95.1.1
asn: 65100
fib: true
fib-keep-on-shutdown: true
neighbors: [{ address: 10.95.1.2, asn: 65101, passive: true }]
`,
    );
    await waitFor('two routes', async () => (await bgpRoutes()).length === 2);
    await r.stop();
    // A clean stop (not the SIGKILL after the grace time): the Cease went out and the FIB was closed.
    expect(readFileSync(r.log, 'utf8')).toMatch(/"fibKept":true,"msg":"stopped"/);
    await waitFor(
      'Cease 6/2 at the upstream',
      async () => (await up.neighbor('10.95.1.1'))?.counters.notificationsIn['6/2'] === 1,
    );
    expect((await bgpRoutes()).map((x) => x.dst).sort()).toEqual(['10.200.0.0/24', '10.201.0.0/24']);
    await up.stop();
  });
});
