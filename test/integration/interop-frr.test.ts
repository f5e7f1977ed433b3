/**
 * rackbgp ↔ FRR 8.4 bgpd, eBGP over IPv4 and IPv6 (one session each), rackbgp active and passive.
 * FRR's `show bgp neighbors X json` is the judge: Established, and each capability rackbgp offered
 * seen as advertisedAndReceived (ADD-PATH both ways with `addpath-tx-all-paths`, GR helper, EoR).
 * FRR's own `show bgp summary json` is the model of `rackbgp show summary --json --frr`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRR, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import {
  expectDialledBy,
  expectLeafSessions,
  expectPrefixes,
  LEAF_ASN,
  leafYaml,
  type PairAddresses,
  pairNodes,
  startListenerFirst,
} from './support/pair.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65002;

function frrConfig(addr: PairAddresses, passive: boolean, asn = PEER_ASN): string {
  const nb = (a: string) =>
    [`neighbor ${a} remote-as ${LEAF_ASN}`, `neighbor ${a} timers connect 1`]
      .concat(passive ? [`neighbor ${a} passive`] : [])
      .map((l) => ` ${l}`)
      .join('\n');
  return `frr defaults traditional
hostname frr
log stdout informational
!
router bgp ${asn}
 bgp router-id ${addr.peer4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
${nb(addr.leaf4)}
${nb(addr.leaf6)}
 !
 address-family ipv4 unicast
  network 10.12.1.0/24
  network 10.12.2.0/24
  neighbor ${addr.leaf4} activate
  neighbor ${addr.leaf4} addpath-tx-all-paths
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:12:1::/64
  neighbor ${addr.leaf6} activate
  neighbor ${addr.leaf6} addpath-tx-all-paths
 exit-address-family
!
`;
}

describe.skipIf(skip)('interop: FRR 8.4', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('frr');
    addr = await pairNodes(net, 2);
  });
  afterEach(async () => {
    await net.destroy();
  });

  for (const rackbgpPassive of [false, true]) {
    it(`establishes IPv4 and IPv6 with rackbgp ${rackbgpPassive ? 'passive' : 'active'}`, async () => {
      const [leaf, frr] = await startListenerFirst(
        rackbgpPassive,
        () => startRackbgp(net, 'leaf', leafYaml(addr, PEER_ASN, rackbgpPassive)),
        () => startFrr(net, 'peer', frrConfig(addr, !rackbgpPassive)),
      );

      for (const [address, af] of [
        [addr.leaf4, 'ipv4Unicast'],
        [addr.leaf6, 'ipv6Unicast'],
      ] as const) {
        const n = await frr.waitEstablished(address);
        expect(n.remoteAs).toBe(LEAF_ASN);
        expect(n.remoteRouterId).toBe(addr.leaf4);
        expect(n.neighborCapabilities).toMatchObject({
          '4byteAs': 'advertisedAndReceived',
          extendedMessage: 'advertisedAndReceived',
          addPath: { [af]: { txAdvertisedAndReceived: true, rxAdvertisedAndReceived: true } },
          // rackbgp sends only the RFC 2918 code (2), not the pre-standard 128: "New".
          routeRefresh: 'advertisedAndReceivedNew',
          enhancedRouteRefresh: 'advertisedAndReceived',
          multiprotocolExtensions: { [af]: { advertisedAndReceived: true } },
          gracefulRestart: 'advertisedAndReceived',
        });
        // RFC 4724: restarting-capable (fib: false: families listed with F), and End-of-RIB sent after the initial table (which
        // follows Established after the coalesce time: waited for, not assumed).
        const gr = await waitFor(`FRR ${address} End-of-RIB`, async () => {
          const info = (await frr.neighbor(address))?.gracefulRestartInfo as
            | { endOfRibRecv?: Record<string, boolean> }
            | undefined;
          return info?.endOfRibRecv?.[af] ? info : undefined;
        });
        expect(gr).toMatchObject({ remoteGrMode: 'Restart', endOfRibRecv: { [af]: true } });
        // Who dialled: FRR's end is port 179 when rackbgp connected to it.
        expect(rackbgpPassive ? n.portForeign : n.portLocal).toBe(179);
      }
      await expectLeafSessions(leaf, addr, PEER_ASN, {
        addPath: true,
        enhancedRouteRefresh: true,
        extendedMessage: true,
        holdTime: 90,
      });
      await expectPrefixes(leaf, addr, 2, 1);
      await expectDialledBy(net, !rackbgpPassive);
    });
  }

  it("show summary --json --frr has the shape of FRR's own show bgp summary json, with matching counts", async () => {
    const yaml = `${leafYaml(addr, PEER_ASN, true)}networks: [10.11.0.0/24, "2001:db8:11::/64"]\n`;
    const [leaf, frr] = await startListenerFirst(
      true,
      () => startRackbgp(net, 'leaf', yaml),
      () => startFrr(net, 'peer', frrConfig(addr, false)),
    );
    await expectPrefixes(leaf, addr, 2, 1);
    type Summary = Record<
      string,
      { peers: Record<string, Record<string, unknown>> } & Record<string, unknown>
    >;
    // Both views once each side has the other's routes (FRR: rackbgp's 10.11.0.0/24 and 2001:db8:11::/64).
    const theirs = await waitFor('FRR received both prefixes', async () => {
      const s = JSON.parse(await frr.vtysh('show bgp summary json')) as Summary;
      return s.ipv4Unicast?.peers[addr.leaf4]?.pfxRcd === 1 && s.ipv6Unicast?.peers[addr.leaf6]?.pfxRcd === 1
        ? s
        : undefined;
    });
    const r = await leaf.cli(['show', 'summary', '--json', '--frr']);
    expect(r.code).toBe(0);
    const ours = JSON.parse(r.stdout) as Summary;

    // Same families, same keys with the same JSON types at every level (the peer objects of one
    // Established eBGP session each), so a jq path written for FRR finds a value of the same type.
    const shape = (v: unknown): unknown =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]))
        : Array.isArray(v)
          ? 'array'
          : typeof v;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const [family, frrPeer, ourPeer] of [
      ['ipv4Unicast', addr.leaf4, addr.peer4],
      ['ipv6Unicast', addr.leaf6, addr.peer6],
    ] as const) {
      const { peers: frrPeers, ...frrTop } = theirs[family];
      const { peers: ourPeers, ...ourTop } = ours[family];
      expect(shape(ourTop)).toEqual(shape(frrTop));
      expect(Object.keys(ourPeers)).toEqual([ourPeer]);
      expect(shape(ourPeers[ourPeer])).toEqual(shape(frrPeers[frrPeer]));
      // The same session seen from both ends.
      const o = ourPeers[ourPeer];
      const f = frrPeers[frrPeer];
      expect([o.state, o.peerState, f.state, f.peerState]).toEqual([
        'Established',
        'OK',
        'Established',
        'OK',
      ]);
      expect([o.remoteAs, o.localAs]).toEqual([f.localAs, f.remoteAs]);
      // FRR also sends rackbgp's own route back (no sender-side AS-path check); rackbgp drops it
      // (AS loop, RFC 4271 §9.1.2), so it accepted one fewer than FRR sent.
      expect([o.pfxRcd, o.pfxSnt]).toEqual([(f.pfxSnt as number) - 1, f.pfxRcd]);
      expect([o.connectionsEstablished, o.idType]).toEqual([f.connectionsEstablished, f.idType]);
      expect(
        Math.abs((o.peerUptimeEstablishedEpoch as number) - (f.peerUptimeEstablishedEpoch as number)),
      ).toBeLessThanOrEqual(2);
      expect([ours[family].routerId, ours[family].as]).toEqual([addr.leaf4, LEAF_ASN]);
    }
  });

  it('announces IPv6 with its link-local address beside the global next hop (RFC 2545 §3)', async () => {
    const yaml = `${leafYaml(addr, PEER_ASN, true)}networks: ["2001:db8:11::/64"]\n`;
    const [, frr] = await startListenerFirst(
      true,
      () => startRackbgp(net, 'leaf', yaml),
      () => startFrr(net, 'peer', frrConfig(addr, false)),
    );
    const [own] = JSON.parse(await net.sh('leaf', 'ip -j -6 addr show dev to-peer scope link')) as {
      addr_info: { local?: string }[];
    }[];
    // ip -j lists the addresses the filter leaves out as {}.
    const linkLocal = own.addr_info.find((a) => a.local?.startsWith('fe80:'))?.local;
    expect(linkLocal).toBeDefined();
    const hops = await waitFor('FRR has the route', async () => {
      const r = JSON.parse(await frr.vtysh('show bgp ipv6 unicast 2001:db8:11::/64 json')) as {
        paths?: { nexthops: { ip: string; scope: string }[] }[];
      };
      return r.paths?.[0]?.nexthops;
    });
    expect(hops).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ip: addr.leaf6, scope: 'global' }),
        expect.objectContaining({ ip: linkLocal, scope: 'link-local' }),
      ]),
    );
  });
});
