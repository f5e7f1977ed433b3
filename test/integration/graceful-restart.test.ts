/**
 * rackbgp as graceful-restart helper (RFC 4724) for calico-node's BIRD: when BIRD dies without a
 * NOTIFICATION its routes stay (stale); when it comes back with -R and sends End-of-RIB, what it
 * re-announced is fresh and what it did not is purged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BIRD1, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { findPid } from './support/procs.js';
import { startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client).length > 0;

describe.skipIf(skip)('graceful restart helper', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('gr');
    await net.addNode('leaf');
    await net.addNode('node1');
    await net.link('leaf', 'node1', { a: ['10.97.1.1/24'], b: ['10.97.1.11/24'] });
    await net.sh('node1', 'ip route add blackhole 10.244.1.0/26 && ip route add blackhole 10.244.1.64/26');
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('keeps routes stale across a BIRD restart and purges what is not re-announced after End-of-RIB', async () => {
    const config = renderBirdConfig({
      name: 'node1',
      family: 4,
      ip: '10.97.1.11',
      routerId: '10.97.1.11',
      asn: 64512,
      pools: ['10.244.0.0/16'],
      peers: [{ ip: '10.97.1.1', asn: 65001 }],
    });
    const bird = await startBird(net, 'node1', BIRD1, config, 'bird');
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: 10.97.1.1
asn: 65001
fib: false
neighbors: [{ address: 10.97.1.11, asn: 64512, passive: true }]
`,
    );
    await bird.waitEstablished('Global_10_97_1_1');
    await waitFor('two blocks', async () => (await leaf.routes()).length === 2);

    // BIRD dies without a NOTIFICATION (as calico-node does when its pod is killed).
    // By PID in node1's namespace: pkill sees the whole host and would kill every BIRD on it.
    process.kill(await findPid(net, 'node1', /^\/usr\/sbin\/bird /), 'SIGKILL');
    await waitFor('session down, routes stale', async () => {
      const n = await leaf.neighbor('10.97.1.11');
      const routes = await leaf.routes();
      return n?.state !== 'Established' &&
        routes.length === 2 &&
        routes.every((r) => r.paths.every((p) => p.stale))
        ? n
        : undefined;
    });
    expect((await leaf.neighbor('10.97.1.11'))?.gracefulRestart?.families).toEqual(['ipv4-unicast']);

    // The node comes back without one of its blocks, in graceful-restart recovery mode.
    await net.sh('node1', 'ip route del blackhole 10.244.1.64/26');
    const again = await startBird(net, 'node1', BIRD1, config, 'bird-restarted', ['-R']);
    await again.waitEstablished('Global_10_97_1_1');
    await waitFor('stale block purged after End-of-RIB', async () => {
      const routes = await leaf.routes();
      return routes.length === 1 && routes[0].prefix === '10.244.1.0/26' && !routes[0].paths[0].stale
        ? routes
        : undefined;
    });
    expect((await leaf.neighbor('10.97.1.11'))?.gracefulRestart).toBeUndefined();
  });
});
