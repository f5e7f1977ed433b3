/**
 * Policy proven against GoBGP 3.10 over iBGP, judged by GoBGP's own RIB (`gobgp global rib -j`):
 * rackbgp's export policy sets LOCAL_PREF (iBGP only, RFC 4271 §5.1.5), MED, communities, large
 * communities (RFC 8092) and the next hop; its import policy matches GoBGP's
 * community and sets local-pref and a large community on what GoBGP announced.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GOBGP, type GobgpHandle, startGobgp } from './support/gobgp.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { startRackbgp } from './support/rackbgp.js';

const missing = requireTools(GOBGP.daemon, GOBGP.client);
const skip = !isRoot() || missing.length > 0;

/** One path of `gobgp global rib -j` (attrs as GoBGP's JSON encodes them, by type code). */
interface GobgpPath {
  best?: boolean;
  attrs: ({ type: number } & Record<string, unknown>)[];
}

async function gobgpPaths(gobgp: GobgpHandle, prefix: string): Promise<GobgpPath[]> {
  const rib = JSON.parse(await gobgp.cli('global', 'rib', '-a', 'ipv4', '-j')) as Record<string, GobgpPath[]>;
  return rib[prefix] ?? [];
}

const attr = (p: GobgpPath, type: number) => p.attrs.find((a) => a.type === type);

describe.skipIf(skip)('interop proofs: GoBGP 3.10', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('pgobgp');
    addr = await pairNodes(net, 6);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('iBGP policy both ways: local-pref, MED, communities, large communities and next hop seen in GoBGP’s RIB', async () => {
    const gobgp = await startGobgp(
      net,
      'peer',
      `[global.config]
  as = ${LEAF_ASN}
  router-id = "${addr.peer4}"
  local-address-list = ["${addr.peer4}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${addr.leaf4}"
    peer-as = ${LEAF_ASN}
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`,
    );
    await gobgp.cli('global', 'rib', 'add', '10.13.1.0/24', 'community', '65003:1', '-a', 'ipv4');
    await gobgp.cli('global', 'rib', 'add', '10.13.2.0/24', '-a', 'ipv4');
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: ${addr.leaf4}
asn: ${LEAF_ASN}
listen: { address: ["${addr.leaf4}"], port: 179 }
fib: false
networks: [10.11.1.0/24, 10.11.2.0/24]
policies:
  to-gobgp:
    - { name: keep-plain, match: { prefix-list: [10.11.2.0/24] }, then: accept }
    - name: mark
      then:
        local-pref: 300
        med: 17
        community: { add: ["65001:100", no-export] }
        large-community: { add: "65001:0:7" }
        next-hop: 10.99.6.9
  from-gobgp:
    - name: tagged
      match: { community: ["65003:1"] }
      then: { action: accept, local-pref: 250, large-community: { add: "65001:1:1" } }
neighbors:
  - { address: ${addr.peer4}, asn: ${LEAF_ASN}, connect-retry-time: 1, import: [from-gobgp], export: [to-gobgp] }
`,
    );
    await gobgp.waitEstablished(addr.leaf4);
    await leaf.waitState(addr.peer4, 'Established');

    // Export, as GoBGP stored it: every attribute the policy set.
    const [marked] = await waitFor('GoBGP has 10.11.1.0/24', async () => {
      const p = await gobgpPaths(gobgp, '10.11.1.0/24');
      return p.length ? p : undefined;
    });
    expect(attr(marked, 3)).toMatchObject({ nexthop: '10.99.6.9' });
    expect(attr(marked, 4)).toMatchObject({ metric: 17 });
    expect(attr(marked, 5)).toMatchObject({ value: 300 });
    // iBGP: no AS added on the way (RFC 4271 §5.1.2). (No prepend here: our AS in the path is an
    // AS loop to GoBGP, which shares it; the prepend is proven at FRR.)
    expect(attr(marked, 2)?.as_paths ?? []).toEqual([]);
    // 65001:100 = 0xFDE90064, NO_EXPORT = 0xFFFFFF01 (RFC 1997).
    expect([...((attr(marked, 8)?.communities as number[] | undefined) ?? [])].sort()).toEqual([
      0xfde90064, 0xffffff01,
    ]);
    expect(attr(marked, 32)).toMatchObject({
      value: [{ ASN: 65001, LocalData1: 0, LocalData2: 7 }],
    });
    // The route the first term accepted as is: iBGP default local-pref 100, no MED or communities,
    // next hop self, empty AS path.
    const [plain] = await waitFor('GoBGP has 10.11.2.0/24', async () => {
      const p = await gobgpPaths(gobgp, '10.11.2.0/24');
      return p.length ? p : undefined;
    });
    expect(attr(plain, 5)).toMatchObject({ value: 100 });
    expect(attr(plain, 3)).toMatchObject({ nexthop: addr.leaf4 });
    expect(attr(plain, 4)).toBeUndefined();
    expect(attr(plain, 8)).toBeUndefined();

    // Import: GoBGP's tagged route got local-pref 250 and the large community at rackbgp; the
    // untagged one kept GoBGP's local-pref (100).
    const [tagged] = await waitFor('rackbgp has 10.13.1.0/24', async () => {
      const r = await leaf.routes('10.13.1.0/24');
      return r.length ? r : undefined;
    });
    expect(tagged.paths[0].attributes).toMatchObject({ localPref: 250, communities: ['65003:1'] });
    expect(tagged.paths[0].attributes.largeCommunities).toEqual(['65001:1:1']);
    const [untagged] = await waitFor('rackbgp has 10.13.2.0/24', async () => {
      const r = await leaf.routes('10.13.2.0/24');
      return r.length ? r : undefined;
    });
    expect(untagged.paths[0].attributes.localPref).toBe(100);
    expect(untagged.paths[0].attributes).not.toHaveProperty('largeCommunities');
  });
});
