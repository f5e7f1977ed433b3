/**
 * Features proven against FRR 8.4 bgpd, each judged by FRR's own view (`vtysh … json`) or by
 * tshark on the wire, not by rackbgp's: 4-octet AS toward a 2-octet-only speaker (RFC 6793 §4.2),
 * MP-BGP IPv4 + IPv6 on one session (RFC 4760), route refresh both ways (RFC 2918), reload
 * without a reset, export policy (prepend, MED, communities, large communities, next hop), ADD-PATH
 * send (all, best N; RFC 7911) and eBGP multihop through a router namespace.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTcpdump } from './support/capture.js';
import { FRR, type FrrHandle, type FrrNeighbor, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { forwardedByRouter, pathSources, routedPath } from './support/proof-topologies.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';
import { runTshark, summarizeTshark, values } from './tshark-json.js';

type WireSummary = { type: string; myAs?: number };

/** The ASNs of AS_PATH (code 2) and AS4_PATH (code 17) of one UPDATE as tshark decoded them. */
function twoPaths(tree: unknown): { asPath?: number[]; as4Path?: number[] } {
  const out: { asPath?: number[]; as4Path?: number[] } = {};
  for (const a of values(tree, 'bgp.update.path_attribute')) {
    const code = Number(a['bgp.update.path_attribute.type_code']);
    const asns = [
      ...values(a, 'bgp.update.path_attribute.as_path_segment.as2'),
      ...values(a, 'bgp.update.path_attribute.as_path_segment.as4'),
    ].map(Number);
    if (code === 2) out.asPath = asns;
    if (code === 17) out.as4Path = asns;
  }
  return out;
}

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh, '/usr/bin/tshark', '/usr/bin/tcpdump');
const skip = !isRoot() || missing.length > 0;

const FRR_ASN = 65002;
const AS_TRANS = 23456;

/** FRR's `show bgp ipv4|ipv6 unicast PREFIX json` (the fields read here). */
interface FrrPath {
  valid?: boolean;
  aspath: { string: string; segments?: { type: string; list: number[] }[] };
  /** MED. */
  metric?: number;
  locPrf?: number;
  community?: { string: string };
  largeCommunity?: { string: string };
  nexthops: { ip: string; afi: string; scope?: string }[];
  peer?: { peerId: string };
  addpathRxId?: number;
}

async function frrPaths(frr: FrrHandle, family: 'ipv4' | 'ipv6', prefix: string): Promise<FrrPath[]> {
  const r = JSON.parse(await frr.vtysh(`show bgp ${family} unicast ${prefix} json`)) as {
    paths?: FrrPath[];
  };
  return r.paths ?? [];
}

/** FRR's bgpd.conf: one router, `body` inside `router bgp`, `tail` after it (route-maps, lists). */
const frrConf = (addr: PairAddresses, body: string, tail = '') => `frr defaults traditional
hostname frr
log stdout informational
!
router bgp ${FRR_ASN}
 bgp router-id ${addr.peer4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
${body}
!
${tail}
`;

/** rackbgp on the leaf: `extra` global keys, then `neighbors`. */
const leafConf = (
  addr: PairAddresses,
  asn: number,
  extra: string,
  neighbors: string,
) => `router-id: ${addr.leaf4}
asn: ${asn}
listen: { address: ["${addr.leaf4}", "${addr.leaf6}"], port: 179 }
fib: false
${extra}
neighbors:
${neighbors}
`;

/** FRR: one session to rackbgp's IPv4 address carrying IPv4 and IPv6 unicast. */
const dualStackFrr = (
  addr: PairAddresses,
  extra4 = '',
  extra6 = '',
) => ` neighbor ${addr.leaf4} remote-as ${LEAF_ASN}
 neighbor ${addr.leaf4} timers connect 1
 address-family ipv4 unicast
  network 10.12.1.0/24
  network 10.12.2.0/24
  neighbor ${addr.leaf4} activate
${extra4} exit-address-family
 address-family ipv6 unicast
  network 2001:db8:12:1::/64
  neighbor ${addr.leaf4} activate
${extra6} exit-address-family`;

/** rackbgp: the matching neighbor with both families, `policies` and neighbor keys added. */
const dualStackLeaf = (addr: PairAddresses, neighborKeys = '', policies = '') =>
  leafConf(
    addr,
    LEAF_ASN,
    `networks: [10.11.1.0/24, 10.11.2.0/24, "2001:db8:11:1::/64"]\n${policies}`,
    `  - { address: ${addr.peer4}, asn: ${FRR_ASN}, families: [ipv4-unicast, ipv6-unicast], connect-retry-time: 1${neighborKeys} }`,
  );

async function frrPathsOrUndefined(frr: FrrHandle, family: 'ipv4' | 'ipv6', prefix: string) {
  const p = await frrPaths(frr, family, prefix);
  return p.length ? p : undefined;
}

/** FRR's message counters for one neighbor (`show bgp neighbors X json` messageStats). */
interface FrrMessageStats {
  updatesSent: number;
  updatesRecv: number;
  routeRefreshSent: number;
  routeRefreshRecv: number;
  notificationsSent: number;
  notificationsRecv: number;
}
/** Session counters of `show bgp neighbors X json` that a reset moves. */
interface FrrSessionCounters {
  connectionsEstablished: number;
  connectionsDropped: number;
  bgpTimerUpEstablishedEpoch: number;
}

const frrStats = async (frr: FrrHandle, address: string) =>
  (await frr.neighbor(address))?.messageStats as FrrMessageStats;

describe.skipIf(skip)('interop proofs: FRR 8.4', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('pfrr');
    addr = await pairNodes(net, 3);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('4-octet AS toward a 2-octet-only FRR: AS_TRANS and AS4_PATH on the wire, the path FRR sent rebuilt (RFC 6793 §4.2)', async () => {
    const LEAF_ASN4 = 4200000001;
    const FAR_ASN4 = 4200000099;
    // dont-capability-negotiate: FRR's OPEN carries no capabilities, so the session is 2-octet.
    // FRR prepends a 4-octet AS toward rackbgp, which it can only send as AS_TRANS + AS4_PATH.
    const frr = await startFrr(
      net,
      'peer',
      frrConf(
        addr,
        ` neighbor ${addr.leaf4} remote-as ${LEAF_ASN4}
 neighbor ${addr.leaf4} timers connect 1
 neighbor ${addr.leaf4} dont-capability-negotiate
 address-family ipv4 unicast
  network 10.12.1.0/24
  neighbor ${addr.leaf4} activate
  neighbor ${addr.leaf4} route-map far-as out
 exit-address-family`,
        `route-map far-as permit 10\n set as-path prepend ${FAR_ASN4}\n!`,
      ),
    );
    const capture = await runTcpdump(net, 'leaf', 'to-peer', 'tcp port 179');
    const leaf = await startRackbgp(
      net,
      'leaf',
      leafConf(
        addr,
        LEAF_ASN4,
        'networks: [10.11.1.0/24]\ndefaults: { connect-retry-time: 1 }',
        `  - { address: ${addr.peer4}, asn: ${FRR_ASN} }`,
      ),
    );
    const n = await leaf.waitState(addr.peer4, 'Established');
    expect(n.negotiated).toMatchObject({ fourOctetAs: false, families: ['ipv4-unicast'] });

    // FRR got rackbgp's route. It shows AS_TRANS: having received rackbgp's AS4 capability it
    // takes rackbgp for a NEW speaker and ignores AS4_PATH (bgp_attr_munge_as4_attrs); ExaBGP
    // with asn4 disabled, a real 2-octet-only peer, rebuilds it (interop-proofs-exabgp).
    await waitFor('FRR has 10.11.1.0/24', async () => (await frrPaths(frr, 'ipv4', '10.11.1.0/24')).length);
    // rackbgp rebuilt FRR's path: its own AS, then the prepended 4-octet one.
    const [route] = await waitFor('rackbgp has 10.12.1.0/24', async () => {
      const r = await leaf.routes('10.12.1.0/24');
      return r.length ? r : undefined;
    });
    expect(route.paths[0].attributes.asPath).toEqual([{ type: 'sequence', asns: [FRR_ASN, FAR_ASN4] }]);
    expect(route.paths[0].attributes).not.toHaveProperty('as4Path');

    // tshark, an independent decoder, on what crossed the wire (per BGP message, not per frame).
    // (Polled until both UPDATEs are in the file: tcpdump gets packets from the kernel in batches.)
    await waitFor('both UPDATEs captured', async () => {
      const nlri = runTshark(capture.file).messages.flatMap((m) => summarizeTshark(m.tree).nlri ?? []);
      return nlri.includes('10.11.1.0/24') && nlri.includes('10.12.1.0/24');
    });
    const wire = runTshark(await capture.stop()).messages.map((m) => summarizeTshark(m.tree) as WireSummary);
    expect(wire.filter((m) => m.type === 'open').map((m) => m.myAs)).toEqual(
      expect.arrayContaining([AS_TRANS, FRR_ASN]),
    );
    const updates = runTshark(capture.file).messages.map((m) => ({
      nlri: summarizeTshark(m.tree).nlri ?? [],
      ...twoPaths(m.tree),
    }));
    // rackbgp's own route: AS_PATH (2-octet) holds AS_TRANS, AS4_PATH the real AS.
    expect(updates).toContainEqual({ nlri: ['10.11.1.0/24'], asPath: [AS_TRANS], as4Path: [LEAF_ASN4] });
    // FRR's: the same encoding, which rackbgp rebuilt above.
    expect(updates).toContainEqual({
      nlri: ['10.12.1.0/24'],
      asPath: [FRR_ASN, AS_TRANS],
      as4Path: [FRR_ASN, FAR_ASN4],
    });
  });

  it('MP-BGP: IPv4 and IPv6 unicast on one IPv4 session, both ways, usable next hops (RFC 4760, RFC 2545)', async () => {
    const frr = await startFrr(net, 'peer', frrConf(addr, dualStackFrr(addr)));
    await runTcpdump(net, 'leaf', 'to-peer', 'tcp port 179'); // DEBUG
    const leaf = await startRackbgp(net, 'leaf', dualStackLeaf(addr));
    const n = await leaf.waitState(addr.peer4, 'Established');
    expect(n.negotiated?.families).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    const f = await frr.waitEstablished(addr.leaf4);
    expect(f.neighborCapabilities).toMatchObject({
      multiprotocolExtensions: {
        ipv4Unicast: { advertisedAndReceived: true },
        ipv6Unicast: { advertisedAndReceived: true },
      },
    });
    // FRR has both of rackbgp's routes from the one session; the IPv6 one with rackbgp's global
    // IPv6 address as next hop (not an IPv4-mapped one), so FRR can use it.
    const [v4] = await waitFor('FRR has 10.11.1.0/24', async () =>
      frrPathsOrUndefined(frr, 'ipv4', '10.11.1.0/24'),
    );
    const [v6] = await waitFor('FRR has 2001:db8:11:1::/64', async () =>
      frrPathsOrUndefined(frr, 'ipv6', '2001:db8:11:1::/64'),
    );
    expect(v4.nexthops[0].ip).toBe(addr.leaf4);
    expect(v6.nexthops.map((h) => h.ip)).toContain(addr.leaf6);
    expect(v4.peer?.peerId ?? addr.leaf4).toBe(addr.leaf4);
    // …and rackbgp FRR's, both from the same neighbor.
    await waitFor("rackbgp has FRR's IPv4 and IPv6 routes", async () => {
      const [a, b] = [await leaf.routes('10.12.1.0/24'), await leaf.routes('2001:db8:12:1::/64')];
      return a[0]?.paths[0]?.peer === addr.peer4 && b[0]?.paths[0]?.peer === addr.peer4;
    });
    const [v6AtLeaf] = await leaf.routes('2001:db8:12:1::/64');
    expect(v6AtLeaf.paths[0].nextHop).toBe(addr.peer6);
    expect(f.addressFamilyInfo?.ipv4Unicast?.acceptedPrefixCounter).toBeGreaterThanOrEqual(0);
  });

  it("route refresh both ways (RFC 2918): FRR's `clear bgp soft in` and rackbgp's `neighbor refresh --in`, no reset", async () => {
    const frr = await startFrr(net, 'peer', frrConf(addr, dualStackFrr(addr)));
    const leaf = await startRackbgp(net, 'leaf', dualStackLeaf(addr));
    await leaf.waitState(addr.peer4, 'Established');
    await waitFor(
      "FRR has both of rackbgp's routes",
      async () =>
        (await frrPaths(frr, 'ipv6', '2001:db8:11:1::/64')).length === 1 &&
        (await frrPaths(frr, 'ipv4', '10.11.1.0/24')).length === 1,
    );
    await waitFor(
      "rackbgp has FRR's routes",
      async () => (await leaf.neighbor(addr.peer4))?.prefixesReceived === 3,
    );
    const before = await frrStats(frr, addr.leaf4);
    const leafBefore = (await leaf.neighbor(addr.peer4))!.counters;

    // FRR asks (no soft-reconfiguration inbound at FRR): rackbgp answers with its Adj-RIB-Out.
    await frr.vtysh(`clear bgp ipv4 unicast ${addr.leaf4} soft in`);
    await frr.vtysh(`clear bgp ipv6 unicast ${addr.leaf4} soft in`);
    await waitFor("rackbgp was asked twice and FRR got rackbgp's routes again", async () => {
      const [s, l] = [await frrStats(frr, addr.leaf4), (await leaf.neighbor(addr.peer4))!.counters];
      return (
        l.messagesIn['route-refresh'] === leafBefore.messagesIn['route-refresh'] + 2 &&
        s.updatesRecv >= before.updatesRecv + 2
      );
    });
    const afterFrrAsked = await frrStats(frr, addr.leaf4);

    // rackbgp asks: FRR counts the ROUTE-REFRESH messages and sends its routes again.
    const r = await leaf.cli(['neighbor', 'refresh', addr.peer4, '--in']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor("FRR answered rackbgp's refresh", async () => {
      const s = await frrStats(frr, addr.leaf4);
      return s.routeRefreshSent > afterFrrAsked.routeRefreshSent && s.updatesSent > afterFrrAsked.updatesSent;
    });
    // Both ends count the same ROUTE-REFRESH messages (type 5, including the BoRR/EoRR of RFC 7313
    // §4 around each answer): what one sent, the other received.
    const agreed = await waitFor('both ends agree on the counts', async () => {
      const [s, l] = [await frrStats(frr, addr.leaf4), (await leaf.neighbor(addr.peer4))!.counters];
      const sent = l.messagesOut['route-refresh'] - leafBefore.messagesOut['route-refresh'];
      const received = l.messagesIn['route-refresh'] - leafBefore.messagesIn['route-refresh'];
      return sent === s.routeRefreshRecv - before.routeRefreshRecv &&
        received === s.routeRefreshSent - before.routeRefreshSent
        ? { sent, received }
        : undefined;
    });
    // rackbgp's two requests at least (one per family), FRR's two and its BoRR/EoRR pairs.
    expect(agreed.sent).toBeGreaterThanOrEqual(2);
    expect(agreed.received).toBeGreaterThanOrEqual(4);
    await waitFor(
      "rackbgp still has FRR's 3 routes",
      async () => (await leaf.neighbor(addr.peer4))?.prefixesReceived === 3,
    );
    // Neither side reset the session.
    const fn = await frr.neighbor(addr.leaf4);
    expect(fn?.connectionsEstablished).toBe(1);
    expect((await leaf.neighbor(addr.peer4))?.counters.establishedTransitions).toBe(1);
  });

  it('reload: new export and import policies reach FRR without a reset (prepend, MED, communities, large communities, next hop)', async () => {
    const frr = await startFrr(net, 'peer', frrConf(addr, dualStackFrr(addr)));
    const leaf = await startRackbgp(net, 'leaf', dualStackLeaf(addr));
    await leaf.waitState(addr.peer4, 'Established');
    await waitFor('FRR has 10.11.2.0/24', async () => frrPathsOrUndefined(frr, 'ipv4', '10.11.2.0/24'));
    await waitFor(
      "rackbgp has FRR's 3 routes",
      async () => (await leaf.neighbor(addr.peer4))?.prefixesReceived === 3,
    );
    const before = (await frr.neighbor(addr.leaf4)) as FrrNeighbor & FrrSessionCounters;
    const statsBefore = await frrStats(frr, addr.leaf4);

    leaf.writeConfig(
      dualStackLeaf(
        addr,
        ', import: [from-frr], export: [to-frr]',
        `policies:
  to-frr:
    - { name: drop, match: { prefix-list: [10.11.2.0/24] }, then: reject }
    - name: mark
      then:
        med: 42
        prepend: 2
        community: { add: ["65001:100"] }
        large-community: { add: "65001:0:7" }
    - { name: nh4, match: { family: ipv4-unicast }, then: { next-hop: 10.99.3.5 } }
    - { name: nh6, match: { family: ipv6-unicast }, then: { next-hop: "fd99:3::5" } }
  from-frr:
    - { name: drop, match: { prefix-list: [10.12.2.0/24] }, then: reject }
    - { name: tag, then: { local-pref: 250, community: { add: ["65001:9"] } } }
`,
      ),
    );
    leaf.signal('SIGHUP');

    // Export: FRR withdrew the rejected prefix and sees every change on the others.
    await waitFor(
      'FRR lost 10.11.2.0/24',
      async () => (await frrPaths(frr, 'ipv4', '10.11.2.0/24')).length === 0,
    );
    const [v4] = await waitFor('FRR has the new attributes', async () => {
      const p = await frrPaths(frr, 'ipv4', '10.11.1.0/24');
      return p[0]?.metric === 42 ? p : undefined;
    });
    expect(v4.aspath.string).toBe('65001 65001 65001');
    expect(v4.community?.string).toBe('65001:100');
    expect(v4.largeCommunity?.string).toBe('65001:0:7');
    expect(v4.nexthops[0].ip).toBe('10.99.3.5');
    const [v6] = await waitFor('FRR has the new IPv6 attributes', async () => {
      const p = await frrPaths(frr, 'ipv6', '2001:db8:11:1::/64');
      return p[0]?.metric === 42 ? p : undefined;
    });
    expect(v6.aspath.string).toBe('65001 65001 65001');
    expect(v6.nexthops.map((h) => h.ip)).toContain('fd99:3::5');

    // Import: rackbgp asked FRR again (ROUTE-REFRESH) and applied the new policy to the answer.
    await waitFor(
      'rackbgp dropped 10.12.2.0/24',
      async () => (await leaf.routes('10.12.2.0/24')).length === 0,
    );
    const [mine] = await waitFor('rackbgp tagged 10.12.1.0/24', async () => {
      const r = await leaf.routes('10.12.1.0/24');
      return r[0]?.paths[0]?.attributes.localPref === 250 ? r : undefined;
    });
    expect(mine.paths[0].attributes.communities).toContain('65001:9');
    expect((await frrStats(frr, addr.leaf4)).routeRefreshRecv).toBeGreaterThan(statsBefore.routeRefreshRecv);

    // No reset: FRR's session counters and uptime stamp did not move, no NOTIFICATION either way.
    const after = (await frr.neighbor(addr.leaf4)) as FrrNeighbor & FrrSessionCounters;
    expect(after.bgpState).toBe('Established');
    expect(after.connectionsEstablished).toBe(before.connectionsEstablished);
    expect(after.connectionsDropped).toBe(before.connectionsDropped);
    // FRR derives the epoch from its uptime each time: ±1 s of rounding, a reset would move it more.
    expect(
      Math.abs(after.bgpTimerUpEstablishedEpoch - before.bgpTimerUpEstablishedEpoch),
    ).toBeLessThanOrEqual(1);
    const statsAfter = await frrStats(frr, addr.leaf4);
    expect([statsAfter.notificationsSent, statsAfter.notificationsRecv]).toEqual([0, 0]);
    expect((await leaf.neighbor(addr.peer4))?.counters.establishedTransitions).toBe(1);
  });

  it("ADD-PATH send (RFC 7911): all paths, then the best 2, each seen in FRR's own table", async () => {
    const src = await pathSources(net, 3, LEAF_ASN, '10.30.0.0/24');
    const frr = await startFrr(
      net,
      'peer',
      frrConf(
        addr,
        ` neighbor ${addr.leaf4} remote-as ${LEAF_ASN}
 neighbor ${addr.leaf4} timers connect 1
 address-family ipv4 unicast
  neighbor ${addr.leaf4} activate
 exit-address-family`,
      ),
    );
    const yaml = (send: string) =>
      leafConf(
        addr,
        LEAF_ASN,
        'listen: { address: 0.0.0.0, port: 179 }',
        `  - { address: ${addr.peer4}, asn: ${FRR_ASN}, connect-retry-time: 1, add-paths: { send: ${send} } }\n${src.neighborsYaml}`,
      ).replace(/^listen: .*\n/m, '');
    const leaf = await startRackbgp(net, 'leaf', yaml('all'));
    await waitFor(
      'rackbgp has the 3 source paths',
      async () => (await leaf.routes('10.30.0.0/24'))[0]?.paths.length === 3,
    );
    const n = await frr.waitEstablished(addr.leaf4);
    expect(n.neighborCapabilities).toMatchObject({ addPath: { ipv4Unicast: { rxAdvertised: true } } });

    const asPaths = (paths: FrrPath[]) => paths.map((p) => p.aspath.string).sort();
    const all = await waitFor('FRR has 3 paths for 10.30.0.0/24', async () => {
      const p = await frrPaths(frr, 'ipv4', '10.30.0.0/24');
      return p.length === 3 ? p : undefined;
    });
    expect(asPaths(all)).toEqual(['65001 65101', '65001 65102', '65001 65103']);
    expect(new Set(all.map((p) => p.addpathRxId)).size).toBe(3);

    // best 2: the session restarts with the new mode (a reset key), FRR then holds rackbgp's two best.
    const [route] = await leaf.routes('10.30.0.0/24');
    const bestAs = route.paths.find((p) => p.best)?.attributes.asPath as { asns: number[] }[];
    leaf.writeConfig(yaml('2'));
    leaf.signal('SIGHUP');
    await waitFor(
      'FRR saw the reset',
      async () =>
        ((await frr.neighbor(addr.leaf4)) as unknown as FrrSessionCounters).connectionsEstablished === 2,
    );
    await frr.waitEstablished(addr.leaf4);
    const two = await waitFor('FRR has 2 paths for 10.30.0.0/24', async () => {
      const p = await frrPaths(frr, 'ipv4', '10.30.0.0/24');
      return p.length === 2 ? p : undefined;
    });
    expect(asPaths(two)).toContain(`65001 ${bestAs[0].asns[0]}`);
    expect(src.sources).toHaveLength(3);
  });

  it('eBGP multihop over a routed path: a router namespace between rackbgp and FRR', async () => {
    const hop = await routedPath(net, 3);
    const frr = await startFrr(
      net,
      'peer',
      frrConf(
        addr,
        ` neighbor ${hop.leaf4} remote-as ${LEAF_ASN}
 neighbor ${hop.leaf4} timers connect 1
 neighbor ${hop.leaf4} ebgp-multihop 2
 neighbor ${hop.leaf4} update-source ${hop.peer4}
 address-family ipv4 unicast
  network 10.12.1.0/24
  neighbor ${hop.leaf4} activate
 exit-address-family`,
      ),
    );
    const forwardedBefore = await forwardedByRouter(net);
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: ${hop.leaf4}
asn: ${LEAF_ASN}
listen: { address: ${hop.leaf4}, port: 179 }
fib: false
networks: [10.11.1.0/24]
neighbors:
  - { address: ${hop.peer4}, asn: ${FRR_ASN}, ebgp-multihop: 2, source-address: ${hop.leaf4}, connect-retry-time: 1 }
`,
    );
    const n = await frr.waitEstablished(hop.leaf4);
    expect(n.remoteAs).toBe(LEAF_ASN);
    // rackbgp's route at FRR: next hop rackbgp's address two hops away, resolved through the router.
    const [p] = await waitFor('FRR has a valid 10.11.1.0/24', async () => {
      const paths = await frrPaths(frr, 'ipv4', '10.11.1.0/24');
      return paths[0]?.valid ? paths : undefined;
    });
    expect(p.nexthops[0].ip).toBe(hop.leaf4);
    // FRR's at rackbgp, next hop FRR's address (not on any subnet of the leaf).
    const [r] = await waitFor('rackbgp has 10.12.1.0/24', async () => {
      const routes = await leaf.routes('10.12.1.0/24');
      return routes.length ? routes : undefined;
    });
    expect(r.paths[0].nextHop).toBe(hop.peer4);
    // The session's packets went through the router.
    expect(await forwardedByRouter(net)).toBeGreaterThan(forwardedBefore);
    expect((await leaf.neighbor(hop.peer4))?.localAddress).toBe(hop.leaf4);
  });
});

export type { RackbgpHandle };
