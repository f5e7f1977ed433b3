/**
 * IPv6 link-local next hops (RFC 2545 §3) against ExaBGP: a peer announces a prefix with only its
 * link-local address as next hop (16 octets, fe80::/10). rackbgp must resolve it through the
 * interface the session runs over, install `via fe80::… dev <that interface>` in its namespace's
 * kernel, and forward a ping to an address behind the peer. A second prefix with a global next hop
 * on the shared subnet is installed as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { EXABGP, startExabgp } from './support/exabgp.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(EXABGP);

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

describe.skipIf(!isRoot() || missing.length > 0)('IPv6 link-local next hop via ExaBGP', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('lladdr');
    await net.addNode('r');
    await net.addNode('p');
    await net.link('r', 'p', { a: ['fd95:7::1/64'], b: ['fd95:7::2/64', 'fe80::7:2/64'] });
    await net.sh('p', 'ip -6 addr add 2001:db8:77::1/128 dev lo && ip -6 addr add 2001:db8:78::1/128 dev lo');
  });
  afterEach(async () => {
    await net.destroy();
  });

  it("installs a link-local-only next hop through the session's interface and forwards to it", async () => {
    const r = await startRackbgp(
      net,
      'r',
      `router-id: 10.95.7.1
asn: 65100
fib: true
listen: { address: ["fd95:7::1"], port: 179 }
neighbors:
  - { address: "fd95:7::2", asn: 65107, passive: true }
`,
    );
    await startExabgp(
      net,
      'p',
      `neighbor fd95:7::1 {
  router-id 10.95.7.2;
  local-address fd95:7::2;
  local-as 65107;
  peer-as 65100;
  family { ipv6 unicast; }
  api { processes [ events ]; neighbor-changes; }
  api { processes [ commands ]; }
  static {
    route 2001:db8:77::/64 next-hop fe80::7:2;
    route 2001:db8:78::/64 next-hop fd95:7::2;
  }
}
`,
      { bind: ['fd95:7::2'] },
    );
    await r.waitState('fd95:7::2', 'Established');
    const routes = await waitFor('both prefixes in the kernel', async () => {
      const rs = JSON.parse(await net.sh('r', `ip -j -6 route show proto ${RTPROT_RACKBGP}`)) as IpRoute[];
      return rs.length === 2 ? rs : undefined;
    });
    const byDst = new Map(routes.map((x) => [x.dst, x]));
    expect(byDst.get('2001:db8:77::/64')).toMatchObject({ gateway: 'fe80::7:2', dev: 'to-p' });
    expect(byDst.get('2001:db8:78::/64')).toMatchObject({ gateway: 'fd95:7::2', dev: 'to-p' });
    // rackbgp's own view: the path is best (eligible), its next hop as received.
    const [ll] = await r.routes('2001:db8:77::/64');
    expect(ll?.paths).toMatchObject([{ nextHop: 'fe80::7:2', best: true }]);
    await net.sh('r', 'ping -6 -c 1 -W 2 2001:db8:77::1');
    await net.sh('r', 'ping -6 -c 1 -W 2 2001:db8:78::1');
  });
});
