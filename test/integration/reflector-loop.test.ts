/**
 * RFC 4456 §8 at rackbgp: a reflected route that comes back with rackbgp's cluster id in its
 * CLUSTER_LIST is dropped. rackbgp (cluster 10.96.0.1) and two Calico reflectors (BIRD 1.6 from
 * Calico's template, clusters 10.96.0.2 and .3) are each other's clients, with ADD-PATH both ways,
 * and one calico-node client peers with all three. With a single BIRD reflector nothing comes back
 * (BIRD never sends a path to the peer it came from), so the route returns over a second one:
 * rackbgp → .2 → .3 → rackbgp. A capture shows those UPDATEs arriving; the RIB must not hold them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BIRD1, type BirdHandle, startBird } from './support/bird.js';
import { runTcpdump } from './support/capture.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { CLI, startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/tcpdump').length > 0;

const ASN = 64512;
const RB = '10.96.0.1';
const BIRD_RRS = [
  { name: 'rr2', ip: '10.96.0.2' },
  { name: 'rr3', ip: '10.96.0.3' },
];
const CLIENT = { name: 'node1', ip: '10.96.0.11', block: '10.244.11.0/26' };

/** An UPDATE announcing the client's block, as `rackbgp decode --pcap` printed it. */
interface Announcement {
  from: string;
  to: string;
  pathId: number;
  clusterList: string[];
}

/** Announcements of `prefix` in the capture, in order (ADD-PATH ids decoded from the OPENs). */
async function announcements(net: TestNet, pcap: string, prefix: string): Promise<Announcement[]> {
  const r = await net.exec('rb', process.execPath, [CLI, 'decode', '--pcap', pcap]);
  expect(r.code, r.stderr).toBe(0);
  const out: Announcement[] = [];
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const rec = JSON.parse(line) as {
      direction: string;
      message: {
        type: string;
        nlri?: { prefix: string; pathId: number }[];
        attributes?: { clusterList?: string[] };
      };
    };
    if (rec.message.type !== 'update') continue;
    const [from, to] = rec.direction.split('>').map((e) => e.replace(/:\d+$/, ''));
    for (const n of rec.message.nlri ?? []) {
      if (n.prefix === prefix)
        out.push({ from, to, pathId: n.pathId, clusterList: rec.message.attributes?.clusterList ?? [] });
    }
  }
  return out;
}

/** (peer, path id, CLUSTER_LIST) of every path rackbgp holds for the route. */
const pathsOf = (routes: RouteSnapshot[]) =>
  (routes[0]?.paths ?? []).map((p) => ({
    peer: p.peer,
    pathId: p.pathId,
    clusterList: (p.attributes.clusterList as string[] | undefined) ?? [],
  }));

describe.skipIf(skip)('route reflector loop (RFC 4456 §8)', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('rrloop');
    for (const n of ['rb', ...BIRD_RRS.map((r) => r.name), CLIENT.name]) await net.addNode(n);
    await net.lan('rack', [
      { node: 'rb', addrs: [`${RB}/24`] },
      ...BIRD_RRS.map((r) => ({ node: r.name, addrs: [`${r.ip}/24`] })),
      { node: CLIENT.name, addrs: [`${CLIENT.ip}/24`] },
    ]);
    await net.sh(CLIENT.name, `ip route add blackhole ${CLIENT.block}`);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('drops the paths that come back over the BIRD reflectors with its cluster id', async () => {
    const t0 = Date.now();
    const capture = await runTcpdump(net, 'rb', 'eth1', 'tcp port 179');
    const rb = await startRackbgp(
      net,
      'rb',
      `router-id: ${RB}
asn: ${ASN}
cluster-id: ${RB}
fib: false
defaults: { route-reflector-client: true, connect-retry-time: 1 }
neighbors:
${BIRD_RRS.map((r) => `  - { address: ${r.ip}, asn: ${ASN}, description: ${r.name}, add-paths: { receive: true, send: all } }`).join('\n')}
  - { address: ${CLIENT.ip}, asn: ${ASN}, description: ${CLIENT.name} }
`,
    );
    // Calico renders `rr client; rr cluster id <own>` towards same-AS peers with another cluster id.
    const birds: BirdHandle[] = [];
    for (const r of BIRD_RRS) {
      const peers = [
        { ip: RB, rrClusterId: RB },
        ...BIRD_RRS.filter((o) => o !== r).map((o) => ({ ip: o.ip, rrClusterId: o.ip })),
      ];
      const cfg = renderBirdConfig({
        name: r.name,
        family: 4,
        ip: r.ip,
        routerId: r.ip,
        asn: ASN,
        clusterId: r.ip,
        pools: ['10.244.0.0/16'],
        peers: [
          ...peers.map((p) => ({ ...p, asn: ASN, kind: 'Node' as const })),
          { ip: CLIENT.ip, asn: ASN, kind: 'Node' },
        ],
      });
      expect(cfg).toMatch(new RegExp(`rr cluster id ${r.ip.replace(/\./g, '\\.')};`));
      birds.push(await startBird(net, r.name, BIRD1, cfg));
    }
    const client = await startBird(
      net,
      CLIENT.name,
      BIRD1,
      renderBirdConfig({
        name: CLIENT.name,
        family: 4,
        ip: CLIENT.ip,
        routerId: CLIENT.ip,
        asn: ASN,
        pools: ['10.244.0.0/16'],
        peers: [RB, ...BIRD_RRS.map((r) => r.ip)].map((ip) => ({
          ip,
          asn: ASN,
          kind: 'Node' as const,
          rrClusterId: ip,
        })),
      }),
    );
    for (const ip of [RB, ...BIRD_RRS.map((r) => r.ip)])
      await client.waitEstablished(`Node_${ip.replace(/\./g, '_')}`);

    // Converged: every loop-free path, from each peer, at rackbgp — the client's own, and from each
    // BIRD reflector the client's path and the other reflector's reflection of it.
    const want = [
      { peer: CLIENT.ip, clusterList: [] as string[] },
      ...BIRD_RRS.flatMap((r) => [
        { peer: r.ip, clusterList: [r.ip] },
        { peer: r.ip, clusterList: BIRD_RRS.map((o) => o.ip) },
      ]),
    ];
    const key = (p: { peer: string; clusterList: string[] }) => `${p.peer} [${p.clusterList.join(' ')}]`;
    const held = await waitFor('rackbgp holds the loop-free paths', async () => {
      const paths = pathsOf(await rb.routes(CLIENT.block));
      const have = paths.map(key).sort().join(', ');
      if (have !== want.map(key).sort().join(', ')) throw new Error(`holds ${have}`);
      return paths;
    });
    const converged = ((Date.now() - t0) / 1000).toFixed(1);
    // Each BIRD reflector holds its peer reflector's path carrying 10.96.0.1 (rackbgp reflected it
    // there) and sends it on to rackbgp over ADD-PATH, with its own cluster id added.
    for (const [i, b] of birds.entries()) {
      const other = BIRD_RRS[1 - i].ip;
      const text = await waitFor(
        `${BIRD_RRS[i].name} holds a path with 10.96.0.1 from ${other}`,
        async () => {
          const t = await b.cli(`show route all ${CLIENT.block}`);
          const fromOther = t.split(/\n(?=\s+via )/).filter((e) => e.includes(`from ${other}]`));
          return fromOther.some((e) => /BGP\.cluster_list: .*10\.96\.0\.1\b/.test(e)) ? t : undefined;
        },
      );
      expect(text).toMatch(/BGP\.originator_id: 10\.96\.0\.11/);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = pathsOf(await rb.routes(CLIENT.block));
    expect(after.map(key).sort()).toEqual(held.map(key).sort());
    for (const p of after) expect(p.clusterList).not.toContain(RB);

    // The wire: the route came back to rackbgp from both BIRD reflectors with 10.96.0.1 in its
    // CLUSTER_LIST, and the last word on those path ids is that looped route: none is in the RIB.
    const pcap = await capture.stop();
    const seen = await announcements(net, pcap, CLIENT.block);
    const toRb = seen.filter((a) => a.to === RB);
    const looped = toRb.filter((a) => a.clusterList.includes(RB));
    expect(new Set(looped.map((a) => a.from))).toEqual(new Set(BIRD_RRS.map((r) => r.ip)));
    for (const a of looped) {
      const last = toRb.filter((b) => b.from === a.from && b.pathId === a.pathId).at(-1);
      expect(last?.clusterList).toContain(RB);
      expect(after.find((p) => p.peer === a.from && p.pathId === a.pathId)).toBeUndefined();
    }
    // rackbgp reflected to the BIRD reflectors with its cluster id first (RFC 4456 §8 prepend).
    const fromRb = seen.filter((a) => a.from === RB);
    expect(fromRb.length).toBeGreaterThan(0);
    for (const a of fromRb) expect(a.clusterList[0]).toBe(RB);
    console.log(
      `[reflector-loop] converged in ${converged} s; dropped: ${looped.map((a) => `${a.from}#${a.pathId} [${a.clusterList.join(' ')}]`).join(', ')}`,
    );
    // Nothing flapped on the way.
    for (const n of await rb.neighbors()) expect(n.counters.establishedTransitions, n.address).toBe(1);
  }, 60_000);
});
