/**
 * Two rackbgp speakers on one link without IPv4 addresses, iBGP: one configures its peer by
 * link-local address (`address: fe80::2%to-s`), the other by interface with `asn: internal`. The
 * session comes up, and each side's IPv4 loopback reaches the other with a link-local IPv6 next
 * hop (RFC 8950, on by default for such neighbors), installed `via inet6 … dev` and pinged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { isRoot, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

describe.skipIf(!isRoot())('link-local neighbors between two rackbgp speakers (iBGP)', () => {
  let net: TestNet;
  let r: RackbgpHandle;
  let s: RackbgpHandle;

  beforeAll(async () => {
    net = new TestNet('llnbr');
    await net.addNode('r');
    await net.addNode('s');
    await net.link('r', 's', { a: [], b: ['fe80::2/64'] });
    await net.sh('r', 'ip addr add 10.79.0.1/32 dev lo');
    await net.sh('s', 'ip addr add 10.79.1.1/32 dev lo');
    const yaml = (id: string, neighbor: string) => `router-id: ${id}
asn: 65400
fib: true
listen: { address: "::", port: 179 }
networks: [${id}/32]
neighbors:
  - ${neighbor}
`;
    r = await startRackbgp(net, 'r', yaml('10.79.0.1', '{ address: "fe80::2%to-s", asn: 65400 }'));
    s = await startRackbgp(net, 's', yaml('10.79.1.1', '{ interface: to-r, asn: internal }'));
  }, 40_000);

  afterAll(async () => {
    await net?.destroy();
  });

  it('comes up and installs each IPv4 loopback via the other side link-local address', async () => {
    const up = await r.waitState('fe80::2%to-s', 'Established', 20_000);
    expect(up.address).toBe('fe80::2%to-s');
    await waitFor('s Established', async () =>
      (await s.neighbors()).some((n) => /^fe80::.+%to-r$/.test(n.address) && n.state === 'Established'),
    );
    const atR = await waitFor('10.79.1.1 at r', async () => {
      const t = await net.sh('r', `ip -4 route show proto ${RTPROT_RACKBGP}`);
      return t.includes('10.79.1.1') ? t : undefined;
    });
    expect(atR).toMatch(/10\.79\.1\.1 via inet6 fe80::2 dev to-s/);
    const atS = await waitFor('10.79.0.1 at s', async () => {
      const t = await net.sh('s', `ip -4 route show proto ${RTPROT_RACKBGP}`);
      return t.includes('10.79.0.1') ? t : undefined;
    });
    expect(atS).toMatch(/10\.79\.0\.1 via inet6 fe80::\S+ dev to-r/);
    await waitFor(
      'ping loopback to loopback',
      async () =>
        (await net.exec('r', 'ping', ['-c', '1', '-W', '1', '-I', '10.79.0.1', '10.79.1.1'])).code === 0,
      15_000,
    );
  }, 40_000);

  it('applies a reload to the interface neighbor at its learned address', async () => {
    s.writeConfig(`router-id: 10.79.1.1
asn: 65400
fib: true
listen: { address: "::", port: 179 }
networks: [10.79.1.1/32]
neighbors:
  - { interface: to-r, asn: internal, shutdown: true }
`);
    s.signal('SIGHUP');
    await waitFor(
      'r sees the session go down',
      async () => (await r.neighbor('fe80::2%to-s'))?.state !== 'Established',
      15_000,
    );
    const mine = (await s.neighbors()).filter((n) => n.address.endsWith('%to-r'));
    expect(mine.map((n) => n.state)).toEqual(['Idle']);
  }, 30_000);
});
