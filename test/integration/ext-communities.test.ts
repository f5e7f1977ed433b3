/**
 * Extended communities in policy against FRR 8.4, eBGP over IPv4. rackbgp → FRR: an export policy
 * adds route targets in the 2-octet AS, 4-octet AS (RFC 5668) and IPv4 forms, a route origin and
 * a link bandwidth, and removes some by wildcard; FRR's `show bgp ipv4 unicast PREFIX json` shows
 * them in its own words. FRR → rackbgp: a route-map sets `extcommunity rt`, `soo` and `bandwidth`;
 * rackbgp's import policy matches them (local-pref, reject) and keeps the values as received.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
import { formatExtCommunity } from '../../src/policy/ext-community.js';
import { FRR, type FrrHandle, startFrr } from './support/frr.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools(FRR.bgpd, FRR.zebra, FRR.vtysh);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65002;

function leafYaml(addr: PairAddresses): string {
  return `router-id: ${addr.leaf4}
asn: ${LEAF_ASN}
fib: false
networks: [10.11.1.0/24, 10.11.2.0/24]
policies:
  to-frr:
    - name: tag-all
      then:
        extended-community:
          add: ["rt:65001:100", "rt:4200000000:1", "rt:10.0.0.1:5", "soo:65001:7", "lb:65001:10Mbps"]
    - name: second-without-rt-65001
      match: { prefix-list: 10.11.2.0/24 }
      then: { extended-community: { remove: "rt:65001:*" }, action: accept }
  from-frr:
    - name: rt7-preferred
      match: { extended-community: "rt:65002:7" }
      then: { local-pref: 200, action: accept }
    - name: rt8-rejected
      match: { extended-community: "rt:*:8" }
      then: reject
    - name: bandwidth-and-origin
      match: { extended-community: { all: ["lb:65002:*", "soo:65002:*"] } }
      then: { local-pref: 300, extended-community: { add: "rt:65001:300" }, action: accept }
neighbors:
  - { address: ${addr.peer4}, asn: ${PEER_ASN}, passive: true, import: [from-frr], export: [to-frr] }
`;
}

function frrConfig(addr: PairAddresses): string {
  return `frr defaults traditional
hostname frr
log stdout informational
!
ip prefix-list RT7 seq 5 permit 10.12.1.0/24
ip prefix-list RT8 seq 5 permit 10.12.2.0/24
ip prefix-list LB seq 5 permit 10.12.3.0/24
!
route-map TAG permit 10
 match ip address prefix-list RT7
 set extcommunity rt 65002:7
route-map TAG permit 20
 match ip address prefix-list RT8
 set extcommunity rt 65002:8
route-map TAG permit 30
 match ip address prefix-list LB
 set extcommunity soo 65002:9
 set extcommunity bandwidth 100
route-map TAG permit 100
!
router bgp ${PEER_ASN}
 bgp router-id ${addr.peer4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor ${addr.leaf4} remote-as ${LEAF_ASN}
 neighbor ${addr.leaf4} timers connect 1
 !
 address-family ipv4 unicast
  network 10.12.1.0/24
  network 10.12.2.0/24
  network 10.12.3.0/24
  neighbor ${addr.leaf4} route-map TAG out
 exit-address-family
!
`;
}

/** FRR's view of one prefix: its extended communities as FRR prints them, or undefined while absent. */
async function frrExtended(frr: FrrHandle, prefix: string): Promise<string | undefined> {
  const r = JSON.parse(await frr.vtysh(`show bgp ipv4 unicast ${prefix} json`)) as {
    paths?: { extendedCommunity?: { string: string } }[];
  };
  const path = r.paths?.[0];
  return path ? (path.extendedCommunity?.string ?? '(none)') : undefined;
}

describe.skipIf(skip)('extended communities: rackbgp policy ↔ FRR 8.4', () => {
  let net: TestNet;
  let addr: PairAddresses;
  let leaf: RackbgpHandle;
  let frr: FrrHandle;
  beforeEach(async () => {
    net = new TestNet('extc');
    addr = await pairNodes(net, 7);
    leaf = await startRackbgp(net, 'leaf', leafYaml(addr));
    frr = await startFrr(net, 'peer', frrConfig(addr));
    await frr.waitEstablished(addr.leaf4);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('sets route targets, a route origin and a link bandwidth that FRR reads back', async () => {
    const first = await waitFor('FRR has 10.11.1.0/24', () => frrExtended(frr, '10.11.1.0/24'));
    // FRR 8.4 ecommunity_ecom2str: RT:AS:N (4-octet AS and IPv4 forms too), SoO:, LB:AS:bytes/s (Mbps).
    expect(first.split(' ').sort()).toEqual(
      expect.arrayContaining(['RT:65001:100', 'RT:4200000000:1', 'RT:10.0.0.1:5', 'SoO:65001:7']),
    );
    expect(first).toMatch(/LB:65001:1250000 \(10\.000 Mbps\)/);
    // The second prefix: the wildcard removed rt:65001:100 and nothing else.
    const second = await waitFor('FRR has 10.11.2.0/24', () => frrExtended(frr, '10.11.2.0/24'));
    expect(second).not.toContain('RT:65001:');
    expect(second).toContain('RT:4200000000:1');
    expect(second).toContain('RT:10.0.0.1:5');
    expect(second).toContain('SoO:65001:7');
  });

  it("matches FRR's extcommunity rt, soo and bandwidth in its import policy", async () => {
    const routes = await waitFor('10.12.1.0/24 and 10.12.3.0/24 from FRR', async () => {
      const all = (await leaf.routes()) as RouteSnapshot[];
      const got = new Map(all.map((r) => [r.prefix, r.paths[0]]));
      return got.has('10.12.1.0/24') && got.has('10.12.3.0/24') ? got : undefined;
    });
    const ext = (prefix: string) =>
      ((routes.get(prefix)?.attributes.extendedCommunities as string[]) ?? []).map(formatExtCommunity);
    const localPref = (prefix: string) => routes.get(prefix)?.attributes.localPref;

    expect(ext('10.12.1.0/24')).toEqual(['rt:65002:7']);
    expect(localPref('10.12.1.0/24')).toBe(200);
    // 100 Mbps = 12,500,000 bytes/s as FRR encodes it (IEEE float, RFC 10005 §2).
    expect(ext('10.12.3.0/24').sort()).toEqual(['lb:65002:12500000', 'rt:65001:300', 'soo:65002:9']);
    expect(localPref('10.12.3.0/24')).toBe(300);
    // rt:*:8 was rejected: received (FRR counts it sent) but not in the RIB.
    expect(routes.has('10.12.2.0/24')).toBe(false);
    const n = await leaf.neighbor(addr.peer4);
    expect(n?.prefixesReceived).toBe(2);
    const sent = JSON.parse(await frr.vtysh('show bgp summary json')) as {
      ipv4Unicast: { peers: Record<string, { pfxSnt: number }> };
    };
    expect(sent.ipv4Unicast.peers[addr.leaf4].pfxSnt).toBeGreaterThanOrEqual(3);
  });
});
