/**
 * rackbgp ↔ calico-node's BIRD 1.6 (Debian's bird and bird6 with Calico's template options),
 * IPv4 and IPv6, rackbgp active and passive. What BIRD itself reports is the judge.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BIRD1, BIRD6, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(BIRD1.daemon, BIRD6.daemon, BIRD1.client);
const skip = !isRoot() || missing.length > 0;

describe.skipIf(skip)('interop: calico-node BIRD 1.6', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('bird1');
    await net.addNode('leaf');
    await net.addNode('node1');
    await net.link('leaf', 'node1', {
      a: ['10.99.1.1/24', 'fd99:1::1/64'],
      b: ['10.99.1.11/24', 'fd99:1::11/64'],
    });
    // The node's pod block, as Felix programs it: a blackhole route BIRD's kernel protocol learns.
    await net.sh(
      'node1',
      'ip route add blackhole 10.244.1.0/26 && ip -6 route add blackhole fd00:244:1::/122',
    );
  });
  afterEach(async () => {
    await net.destroy();
  });

  const node = (family: 4 | 6, leafPassive: boolean) =>
    renderBirdConfig({
      name: 'node1',
      family,
      ip: family === 4 ? '10.99.1.11' : 'fd99:1::11',
      routerId: '10.99.1.11',
      asn: 64512,
      pools: family === 4 ? ['10.244.0.0/16'] : ['fd00:244::/32'],
      peers: [{ ip: family === 4 ? '10.99.1.1' : 'fd99:1::1', asn: 65001, calicoNode: false }],
    }).replace(
      'connect delay time 2;',
      leafPassive ? 'connect delay time 2;' : 'connect delay time 2;\n  passive on;',
    );

  for (const rackbgpPassive of [false, true]) {
    it(`establishes IPv4 and IPv6 with rackbgp ${rackbgpPassive ? 'passive' : 'active'}`, async () => {
      const bird = await startBird(net, 'node1', BIRD1, node(4, rackbgpPassive), 'bird');
      const bird6 = await startBird(net, 'node1', BIRD6, node(6, rackbgpPassive), 'bird6');
      const leaf = await startRackbgp(
        net,
        'leaf',
        `router-id: 10.99.1.1
asn: 65001
listen: { address: ["10.99.1.1", "fd99:1::1"], port: 179 }
fib: false
defaults: { passive: ${rackbgpPassive}, add-path: both, connect-retry-time: 2 }
neighbors:
  - { address: 10.99.1.11, asn: 64512, description: node1 }
  - { address: "fd99:1::11", asn: 64512, families: [ipv6-unicast] }
`,
      );
      const v4 = await bird.waitEstablished('Global_10_99_1_1');
      const v6 = await bird6.waitEstablished('Global_fd99_1__1');
      for (const text of [v4, v6]) {
        // BIRD's view of what we announced: route refresh, GR (helper), 4-octet AS, ADD-PATH both ways.
        expect(text).toMatch(/Neighbor caps:.*refresh/);
        expect(text).toMatch(/Neighbor caps:.*AS4/);
        expect(text).toMatch(/Neighbor caps:.*add-path-rx/);
        expect(text).toMatch(/Neighbor caps:.*add-path-tx/);
        // RFC 4724 §3: with fib: false our capability lists the family with F, so BIRD 1.6 sees a
        // speaker able to restart ("restart-able"), not only a helper ("restart-aware").
        expect(text).toMatch(/Neighbor caps:.*restart-able/);
        expect(text).toMatch(/Neighbor AS:\s+65001/);
      }
      const n4 = await leaf.waitState('10.99.1.11', 'Established');
      const n6 = await leaf.waitState('fd99:1::11', 'Established');
      expect(n4.negotiated).toMatchObject({
        fourOctetAs: true,
        families: ['ipv4-unicast'],
        addPathRx: ['ipv4-unicast'],
        addPathTx: ['ipv4-unicast'],
        enhancedRouteRefresh: true,
        peerGracefulRestart: true,
      });
      expect(n6.negotiated).toMatchObject({ families: ['ipv6-unicast'], addPathRx: ['ipv6-unicast'] });
      // The node's pod blocks arrive (IPv4 as classic NLRI from BIRD 1.x, IPv6 in MP_REACH).
      await waitFor('pod blocks received', async () => {
        const [a, b] = [await leaf.neighbor('10.99.1.11'), await leaf.neighbor('fd99:1::11')];
        return a?.prefixesReceived === 1 && b?.prefixesReceived === 1;
      });
    });
  }
});
