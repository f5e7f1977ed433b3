/**
 * Unnumbered BGP against FRR 8.4 (zebra + bgpd): two links with link-local addresses only, FRR
 * `neighbor to-rN interface remote-as external` with `capability extended-nexthop`, rackbgp
 * `{ interface: to-fN, asn: external }`. Each side learns the other's address from Router
 * Advertisements; IPv4 (RFC 8950, IPv6 next hops) and IPv6 loopbacks go both ways; rackbgp installs
 * FRR's IPv4 loopback as one ECMP route `via inet6 fe80::… dev to-f1` + `… dev to-f2`, and pings
 * go through the kernel routes of both namespaces. tshark reads our RAs and our MP_REACH_NLRI
 * from a capture; BFD runs over the link-local addresses and a silent cut of one link takes its
 * session and next hop; a change of FRR's link-local address moves the session to the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { type Capture, runTcpdump, tsharkFields } from './support/capture.js';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh, '/usr/bin/tcpdump', '/usr/bin/tshark');

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
  let capture: Capture;

  beforeAll(async () => {
    net = new TestNet('unnfrr');
    await net.addNode('r');
    await net.addNode('f');
    await net.link('r', 'f', { a: [], b: [] }, { a: 'to-f1', b: 'to-r1' });
    await net.link('r', 'f', { a: [], b: [] }, { a: 'to-f2', b: 'to-r2' });
    await net.sh('r', 'ip addr add 10.77.0.1/32 dev lo && ip -6 addr add 2001:db8:770::1/128 dev lo');
    await net.sh('f', 'ip addr add 10.77.1.1/32 dev lo && ip -6 addr add 2001:db8:771::1/128 dev lo');
    await net.sh('f', 'sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1');
    capture = await runTcpdump(net, 'r', 'to-f1', 'tcp port 179 or icmp6');
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
  - { interface: to-f1, asn: external, bfd: true }
  - { interface: to-f2, asn: external, bfd: true }
`,
    );
    const neighbor = (dev: string) => `
 neighbor ${dev} interface remote-as external
 neighbor ${dev} capability extended-nexthop
 neighbor ${dev} timers connect 1
 neighbor ${dev} bfd`;
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
      { kernel: true, bfdd: 'hostname f-bfdd\nlog stdout informational\n' },
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
    for (const n of up) expect(n.address).toMatch(/^fe80::[0-9a-f:]+%to-f[12]$/);
    expect(up.map((n) => n.address.split('%')[1]).sort()).toEqual(['to-f1', 'to-f2']);
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

  it('sends what tshark reads as an RA and as IPv4 NLRI with an IPv6 next hop', async () => {
    const file = await capture.stop();
    // RFC 4861 §6.1.2: hop limit 255; router lifetime 0: not a default router.
    const ras = await tsharkFields(file, 'icmpv6.type == 134 && ipv6.hlim == 255', [
      'ipv6.src',
      'icmpv6.nd.ra.router_lifetime',
    ]);
    expect(ras.some(([src, life]) => src[0]?.startsWith('fe80::') && life[0] === '0')).toBe(true);
    const reach = await tsharkFields(file, 'bgp.mp_reach_nlri_ipv4_prefix == 10.77.0.1', [
      'ipv6.src',
      'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6',
      'bgp.update.path_attribute.mp_reach_nlri.afi',
    ]);
    // Ours: AFI 1 with our own link-local address as the next hop (RFC 8950 §3).
    const ours = reach.filter(([src, nh]) => nh[0] === src[0]);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours[0][0][0]).toMatch(/^fe80::/);
    expect(ours[0][2][0]).toBe('1');
  });

  it('runs BFD to both link-local peers; a silent cut of one link takes its session and next hop', async () => {
    type Bfd = { sessions: { peer: string; state: string }[] };
    const bfd = async () => (JSON.parse((await r.cli(['show', 'bfd', '--json'])).stdout) as Bfd).sessions;
    const up = await waitFor('BFD Up on both links', async () => {
      const s = (await bfd()).filter((x) => x.state === 'Up');
      return s.length === 2 ? s : undefined;
    });
    expect(up.map((x) => x.peer.split('%')[1]).sort()).toEqual(['to-f1', 'to-f2']);
    for (const x of up) expect(x.peer).toMatch(/^fe80::/);
    const peer1 = up.find((x) => x.peer.endsWith('%to-f1'))!.peer;
    // FRR's bfdd sees rackbgp's session Up too (single hop, over the link-local addresses).
    await waitFor('FRR BFD peer up', async () => /Status: up/i.test(await frr.vtysh('show bfd peers')));

    const rules = (op: '-I' | '-D') =>
      ['iptables', 'ip6tables']
        .flatMap((t) => [`${t} ${op} INPUT -i to-r1 -j DROP`, `${t} ${op} OUTPUT -o to-r1 -j DROP`])
        .join(' && ');
    type Ev = { t: number; type: string; peer?: string; to?: string };
    const t0 = Date.now();
    await net.sh('f', rules('-I'));
    // Timed by the journal's own clock (epoch ms), not by how fast the CLI can be polled.
    const down = await waitFor('BFD Down on to-f1 in the journal', async () => {
      const e = (
        JSON.parse((await r.cli(['events', '--json', '--type', 'bfd-state'])).stdout) as { events: Ev[] }
      ).events;
      return e.find((x) => x.peer === peer1 && x.to === 'Down' && x.t >= t0);
    });
    const detected = Math.round(down.t - t0);
    console.log(`BFD on an unnumbered link: silent cut detected in ${detected} ms`);
    expect(detected).toBeLessThanOrEqual(3 * 300 + 300);
    const n = (await r.neighbors()).find((x) => x.address === peer1);
    expect(n?.state).not.toBe('Established');
    await waitFor('one next hop left', async () => {
      const rs = JSON.parse(await net.sh('r', `ip -j -4 route show proto ${RTPROT_RACKBGP}`)) as IpRoute[];
      const x = rs.find((a) => a.dst === '10.77.1.1');
      return x !== undefined && x.nexthops === undefined && x.dev === 'to-f2';
    });
    await net.sh('f', rules('-D'));
    await r.waitState(peer1, 'Established', 30_000);
  }, 60_000);

  it("follows a change of the peer's link-local address", async () => {
    // The peer's session goes down (FRR shuts it), its address changes, it comes back: rackbgp
    // hears the new address in the next RA and moves the session there.
    await frr.vtysh('configure terminal', 'router bgp 65201', 'neighbor to-r2 shutdown');
    await net.sh('f', 'ip -6 addr flush dev to-r2 scope link && ip -6 addr add fe80::99/64 dev to-r2');
    await frr.vtysh('configure terminal', 'router bgp 65201', 'no neighbor to-r2 shutdown');
    const t0 = Date.now();
    await r.waitState('fe80::99%to-f2', 'Established', 30_000);
    console.log(`re-established over the new address in ${Date.now() - t0} ms`);
    const ns = await r.neighbors();
    expect(ns.filter((n) => n.address.endsWith('%to-f2')).map((n) => n.address)).toEqual(['fe80::99%to-f2']);
  }, 40_000);
});
