/** The README's library example, verbatim (README "Library API": keep the two the same). */
import { Speaker } from 'rackbgp';
import { expect, it } from 'vitest';

it('learns the pod block a node announces', async () => {
  const rr = Speaker.fromConfig({
    'router-id': '10.0.0.1',
    asn: 64512,
    fib: false, // in-process, in the test's own namespace: keep the kernel's routes alone
    listen: { address: '127.0.0.1', port: 17921 },
    neighbors: [
      {
        address: '127.0.0.2',
        asn: 64512,
        port: 17922,
        'source-address': '127.0.0.1',
        passive: true,
        'route-reflector-client': true,
      },
    ],
  });
  const node = Speaker.fromConfig({
    'router-id': '10.0.0.2',
    asn: 64512,
    fib: false, // in-process, in the test's own namespace: keep the kernel's routes alone
    listen: { address: '127.0.0.2', port: 17922 },
    networks: ['10.244.1.0/26'],
    // Loopback next hops are martians (rejected on import): announce a documentation address instead.
    // biome-ignore lint/suspicious/noThenProperty: `then` is a policy term's action, as in the YAML file
    policies: { 'next-hop': [{ name: 'doc-address', then: { action: 'accept', 'next-hop': '192.0.2.2' } }] },
    neighbors: [
      {
        address: '127.0.0.1',
        asn: 64512,
        port: 17921,
        'source-address': '127.0.0.2',
        'connect-retry-time': 1,
        export: ['next-hop'],
      },
    ],
  });
  try {
    await rr.start();
    await node.start();
    await rr.waitForEstablished('127.0.0.2', { timeout: 10_000 });
    const route = await rr.waitForPrefix('10.244.1.0/26', { neighbor: '127.0.0.2', timeout: 10_000 });
    expect(route.paths[0]).toMatchObject({ peer: '127.0.0.2', best: true, nextHop: '192.0.2.2' });
  } finally {
    await Promise.all([rr.stop(), node.stop()]);
  }
});
