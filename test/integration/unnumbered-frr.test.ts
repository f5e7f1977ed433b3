/**
 * Unnumbered BGP against FRR 8.4 (zebra + bgpd): two links with link-local addresses only, FRR
 * `neighbor to-rN interface remote-as external` with `capability extended-nexthop`, rackbgp
 * `{ interface: to-fN, asn: external }`. Each side learns the other's address from Router
 * Advertisements; IPv4 (RFC 8950, IPv6 next hops) and IPv6 loopbacks go both ways; rackbgp installs
 * FRR's IPv4 loopback as one ECMP route `via inet6 fe80::… dev to-f1` + `… dev to-f2`, and pings
 * go through the kernel routes of both namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh);

interface IpNextHop {
  via?: { family: string; host: string };
  gateway?: string;
  dev?: string;
}
type IpRoute = IpNextHop & { dst: string; nexthops?: IpNextHop[] };

describe.skipIf(!isRoot() || missing.length > 0)('unnumbered BGP with FRR (RFC 8950)', () => {
  let net: TestNet;
  let r: RackbgpHandle;
  let frr: Awaited<ReturnType<typeof startFrr>>;

  beforeAll(async () => {
    net = new TestNet('unnfrr');
    await net.addNode('r');
    await net.addNode('f');
    await net.link('r', 'f', { a: [], b: [] }, { a: 'to-f1', b: 'to-r1' });
    await net.link('r', 'f', { a: [], b: [] }, { a: 'to-f2', b: 'to-r2' });
    await net.sh('r', 'ip addr add 10.77.0.1/32 dev lo && ip -6 addr add 2001:db8:770::1/128 dev lo');
    await net.sh('f', 'ip addr add 10.77.1.1/32 dev lo && ip -6 addr add 2001:db8:771::1/128 dev lo');
    await net.sh('f', 'sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1');
    r = await startRackbgp(
      net,
      'r',
      `router-id: 10.77.0.1
asn: 65200
fib: true
maximum-paths: 4
listen: { address: "::", port: 179 }
networks: [10.77.0.1/32, 2001:db8:770::1/128]
neighbors:
  - { interface: to-f1, asn: external }
  - { interface: to-f2, asn: external }
`,
    );
    const neighbor = (dev: string) => `
 neighbor ${dev} interface remote-as external
 neighbor ${dev} capability extended-nexthop
 neighbor ${dev} timers connect 1`;
    frr = await startFrr(
      net,
      'f',
      `hostname f
log stdout informational
router bgp 65201
 bgp router-id 10.77.1.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax${neighbor('to-r1')}${neighbor('to-r2')}
 address-family ipv4 unicast
  network 10.77.1.1/32
  maximum-paths 4
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:771::1/128
  neighbor to-r1 activate
  neighbor to-r2 activate
  maximum-paths 4
 exit-address-family
`,
      'frr',
      { kernel: true },
    );
  }, 60_000);

  afterAll(async () => {
    await net?.destroy();
  });

  it('learns both link-local peers and comes up on both links', async () => {
    const up = await waitFor(
      'two unnumbered sessions Established',
      async () => {
        const ns = (await r.neighbors()).filter((n) => n.state === 'Established');
        return ns.length === 2 ? ns : undefined;
      },
      40_000,
    );
    expect(up.map((n) => n.address).sort()).toEqual([
      expect.stringMatching(/^fe80::[0-9a-f:]+%to-f1$/),
      expect.stringMatching(/^fe80::[0-9a-f:]+%to-f2$/),
    ]);
    const n = await frr.waitEstablished('to-r1', 30_000);
    expect(JSON.stringify(n.neighborCapabilities ?? {})).toMatch(/extendedNexthop/i);
  }, 60_000);

  it('installs IPv4 via IPv6 link-local gateways as one ECMP route, and IPv6 too', async () => {
    const v4 = await waitFor('10.77.1.1/32 with two next hops', async () => {
      const rs = JSON.parse(await net.sh('r', `ip -j -4 route show proto ${RTPROT_RACKBGP}`)) as IpRoute[];
      const x = rs.find((a) => a.dst === '10.77.1.1');
      return x?.nexthops?.length === 2 ? x : undefined;
    });
    expect(v4.nexthops?.map((h) => [h.via?.family, h.via?.host?.slice(0, 6), h.dev]).sort()).toEqual([
      ['inet6', 'fe80::', 'to-f1'],
      ['inet6', 'fe80::', 'to-f2'],
    ]);
    const text = await net.sh('r', 'ip -4 route show 10.77.1.1');
    expect(text).toMatch(/nexthop via inet6 fe80::\S+ dev to-f1/);
    await waitFor('2001:db8:771::1/128 in the kernel', async () =>
      (await net.sh('r', `ip -6 route show proto ${RTPROT_RACKBGP}`)).includes('2001:db8:771::1'),
    );
    // FRR took ours with our link-local address as next hop (IPv4: RFC 8950).
    const frrV4 = await waitFor('FRR has 10.77.0.1/32', async () => {
      const t = await frr.vtysh('show bgp ipv4 unicast 10.77.0.1/32 json');
      return t.includes('fe80') ? t : undefined;
    });
    expect(frrV4).toMatch(/"afi":"ipv6"|fe80::/);
    await waitFor('FRR has 2001:db8:770::1/128', async () =>
      (await frr.vtysh('show bgp ipv6 unicast 2001:db8:770::1/128 json')).includes('fe80'),
    );
  }, 40_000);

  it('forwards pings through the installed routes, both families', async () => {
    await waitFor(
      'IPv4 ping loopback to loopback',
      async () =>
        (await net.exec('r', 'ping', ['-c', '1', '-W', '1', '-I', '10.77.0.1', '10.77.1.1'])).code === 0,
      20_000,
    );
    await waitFor(
      'IPv6 ping loopback to loopback',
      async () =>
        (
          await net.exec('r', 'ping', [
            '-6',
            '-c',
            '1',
            '-W',
            '1',
            '-I',
            '2001:db8:770::1',
            '2001:db8:771::1',
          ])
        ).code === 0,
      20_000,
    );
  }, 45_000);
});
