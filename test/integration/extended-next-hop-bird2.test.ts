/**
 * RFC 8950 with BIRD 2.0.12 over an IPv6 session (global addresses, no IPv4 on the link): BIRD's
 * `ipv4 { extended next hop on; }` channel and rackbgp's `extended-next-hop: true`. IPv4 routes
 * go both ways with IPv6 next hops (rackbgp's own: its global address plus its link-local one);
 * rackbgp installs `via inet6 fd96::2`, BIRD's kernel protocol the reverse, and a ping crosses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD2.daemon, BIRD2.client);

describe.skipIf(!isRoot() || missing.length > 0)('RFC 8950 with BIRD 2 on an IPv6 session', () => {
  let net: TestNet;
  let r: RackbgpHandle;
  let bird: BirdHandle;

  beforeAll(async () => {
    net = new TestNet('enhb2');
    await net.addNode('r');
    await net.addNode('b');
    await net.link('r', 'b', { a: ['fd96::1/64'], b: ['fd96::2/64'] });
    await net.sh('r', 'ip addr add 10.78.0.1/32 dev lo');
    await net.sh('b', 'ip addr add 10.78.1.1/32 dev lo');
    r = await startRackbgp(
      net,
      'r',
      `router-id: 10.78.0.1
asn: 65300
fib: true
listen: { address: "::", port: 179 }
networks: [10.78.0.1/32]
neighbors:
  - { address: "fd96::2", asn: 65302, families: [ipv4-unicast, ipv6-unicast], extended-next-hop: true }
`,
    );
    bird = await startBird(
      net,
      'b',
      BIRD2,
      `log stderr all;
router id 10.78.1.1;
protocol device { scan time 2; }
protocol direct { ipv4; interface "lo"; }
protocol kernel { ipv4 { export filter { if proto = "r" then accept; reject; }; }; }
protocol bgp r {
  local fd96::2 as 65302;
  neighbor fd96::1 as 65300;
  connect delay time 1;
  connect retry time 2;
  error wait time 1,2;
  ipv4 { extended next hop on; import all; export where proto = "direct1"; };
  ipv6 { import all; export none; };
}
`,
      'bird2',
    );
  }, 40_000);

  afterAll(async () => {
    await net?.destroy();
  });

  it('negotiates Extended Next Hop and exchanges IPv4 routes with IPv6 next hops', async () => {
    const text = await bird.waitEstablished('r');
    expect(text.split('Neighbor capabilities')[1]).toMatch(/Extended next hop\n\s+IPv6 nexthop: ipv4/);
    await r.waitState('fd96::2', 'Established');
    const [route] = await waitFor('10.78.1.1/32 in rackbgp', async () => {
      const rs = await r.routes('10.78.1.1/32');
      return rs.length ? rs : undefined;
    });
    expect(route?.paths?.[0]).toMatchObject({ nextHop: 'fd96::2', best: true });
    const kernel = await waitFor('rackbgp kernel route via inet6', async () => {
      const t = await net.sh('r', `ip -4 route show proto ${RTPROT_RACKBGP}`);
      return t.includes('10.78.1.1') ? t : undefined;
    });
    expect(kernel).toMatch(/10\.78\.1\.1 via inet6 fd96::2 dev to-b/);
    const birdRoute = await waitFor('BIRD has 10.78.0.1/32', async () => {
      const t = await bird.cli('show route 10.78.0.1/32 all');
      return t.includes('BGP.next_hop') ? t : undefined;
    });
    // RFC 8950 §3 with RFC 2545 §3: our global IPv6 address and our link-local one.
    expect(birdRoute).toMatch(/BGP\.next_hop: fd96::1 fe80::/);
  }, 40_000);

  it('forwards a ping over the IPv4-via-IPv6 routes', async () => {
    await waitFor(
      'IPv4 ping loopback to loopback',
      async () =>
        (await net.exec('r', 'ping', ['-c', '1', '-W', '1', '-I', '10.78.0.1', '10.78.1.1'])).code === 0,
      20_000,
    );
  }, 30_000);
});
