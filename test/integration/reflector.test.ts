/**
 * rackbgp as route reflector (RFC 4456) for four calico-node BIRD 1.6 clients on one rack segment:
 * each client learns the other three pod blocks with ORIGINATOR_ID and CLUSTER_LIST.
 * (The CLUSTER_LIST loop check on import is covered by test/unit/rib/import-rules.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderBirdConfig } from '../../src/lab/calico-bird.js';
import { BIRD1, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { startRackbgp } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client).length > 0;
const NODES = [1, 2, 3, 4].map((i) => ({ name: `node${i}`, ip: `10.96.0.1${i}`, block: `10.244.${i}.0/26` }));

describe.skipIf(skip)('route reflector for Calico nodes', () => {
  let net: TestNet;
  beforeEach(async () => {
    net = new TestNet('rr');
    await net.addNode('rr');
    for (const n of NODES) await net.addNode(n.name);
    await net.lan('rack', [
      { node: 'rr', addrs: ['10.96.0.1/24'] },
      ...NODES.map((n) => ({ node: n.name, addrs: [`${n.ip}/24`] })),
    ]);
    for (const n of NODES) await net.sh(n.name, `ip route add blackhole ${n.block}`);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('reflects every client block to the other clients with ORIGINATOR_ID and CLUSTER_LIST', async () => {
    const rr = await startRackbgp(
      net,
      'rr',
      `router-id: 10.96.0.1
asn: 64512
cluster-id: 10.96.0.1
fib: false
defaults: { route-reflector-client: true, passive: true }
neighbors:
${NODES.map((n) => `  - { address: ${n.ip}, asn: 64512, description: ${n.name} }`).join('\n')}
`,
    );
    const birds: BirdHandle[] = [];
    for (const n of NODES) {
      const cfg = renderBirdConfig({
        name: n.name,
        family: 4,
        ip: n.ip,
        routerId: n.ip,
        asn: 64512,
        pools: ['10.244.0.0/16'],
        peers: [{ ip: '10.96.0.1', asn: 64512, kind: 'Node' }],
      });
      birds.push(await startBird(net, n.name, BIRD1, cfg));
    }
    for (const b of birds) await b.waitEstablished('Node_10_96_0_1');
    for (const [i, b] of birds.entries()) {
      const others = NODES.filter((_, j) => j !== i);
      const text = await waitFor(`${NODES[i].name} learns the other blocks`, async () => {
        const t = await b.cli('show route all protocol Node_10_96_0_1');
        return others.every((o) => t.includes(o.block)) ? t : undefined;
      });
      for (const o of others) {
        const entry = text.slice(text.indexOf(o.block)).split(/\n(?=\S)/)[0];
        expect(entry).toMatch(new RegExp(`BGP.originator_id: ${o.ip.replace(/\./g, '\\.')}`));
        expect(entry).toMatch(/BGP\.cluster_list: 10\.96\.0\.1/);
        expect(entry).toMatch(new RegExp(`BGP.next_hop: ${o.ip.replace(/\./g, '\\.')}`));
      }
    }
    // The reflector holds each block once, from its own node.
    const routes = await rr.routes();
    expect(routes.map((r) => r.prefix).sort()).toEqual(NODES.map((n) => n.block).sort());
    for (const r of routes) expect(r.paths).toHaveLength(1);
    // The four clients are one update group: each reflected block was packed once for all of them.
    const summary = await rr.cli(['show', 'rib', 'summary', '--json']);
    const rib = JSON.parse(summary.stdout) as { updateGroups: number[]; sharedUpdates: number };
    expect(rib.updateGroups).toEqual([4]);
    expect(rib.sharedUpdates).toBeGreaterThan(0);
  });
});
