/**
 * lab/services.yaml end to end: the seed topology plus Services, communities and a BGPFilter,
 * every node's BIRD rendered by Calico's templates from the datastore confd builds (service
 * ranges and Local /32s as static routes), kube-proxy's rules in every node. `lab verify` must
 * pass, then fail with the expected lines when the running cluster changes under the lab file as
 * confd and kube-proxy would apply it: an endpoint removed, keep-original-next-hop dropped.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLab } from '../../src/lab/load.js';
import { plan } from '../../src/lab/plan.js';
import type { Lab } from '../../src/lab/schema.js';
import { reconcileNodes } from '../../src/lab/services-observe.js';
import type { VerifyReport } from '../../src/lab/verify.js';
import { BIRD1 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools } from './support/netns.js';

const skip =
  !isRoot() ||
  requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping', '/usr/sbin/iptables-restore').length > 0;
const FILE = resolve(import.meta.dirname, '../../lab/services.yaml');
const TEXT = readFileSync(FILE, 'utf8');

const failuresOf = (r: VerifyReport, id: string) => r.checks.find((c) => c.id === id)?.failures ?? [];

describe.skipIf(skip)('services lab in network namespaces', () => {
  const lab = new LabCli(`sv${process.pid % 100000}`);

  beforeAll(async () => {
    const up = await lab.up(FILE);
    expect(up.code, up.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    const down = await lab.down();
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
    expect(down.run.code, down.run.stderr).toBe(0);
  }, 30_000);

  /** The running lab reconfigured from a changed lab file, as confd and kube-proxy would. */
  const apply = async (text: string) => {
    const state = lab.state();
    const running = plan(state.lab, { workDir: state.workDir, node: process.execPath, cli: 'unused' });
    const changed: Lab = { ...parseLab(text, 'changed.yaml'), name: state.lab.name };
    await reconcileNodes(running, changed);
  };
  /** verify until `until` holds for the report (the change takes BIRD a few seconds). */
  const verifyUntil = async (until: (r: VerifyReport) => boolean, ms: number) => {
    const t0 = Date.now();
    for (;;) {
      const v = await lab.verify(0);
      if (until(v.report) || Date.now() - t0 > ms) return v;
    }
  };

  it('passes lab verify: service next hops, communities, filtered routes absent, reachability', async () => {
    const v = await lab.verify(30);
    expect(v.stdout.length).toBeGreaterThan(0);
    const ids = v.report.checks.map((c) => `${c.id} ${c.passed}/${c.total}`);
    console.log(ids.join(', '));
    expect(v.report.checks.filter((c) => !c.ok).flatMap((c) => c.failures)).toEqual([]);
    expect(v.report.ok).toBe(true);
    const routes = v.report.checks.find((c) => c.id === 'service-routes')!;
    expect(routes.notes).toContain(
      'leaf1: 10.100.0.10/32 (web) via node3 172.20.0.13: keep-original-next-hop: the endpoint node of rack1',
    );
    expect(routes.notes).toContain(
      'leaf1: 10.101.0.200/32 (internal) absent: BGPFilter rack-only-externals rejects it toward leaf1',
    );
    expect(routes.notes).toContain(
      'leaf2: 10.100.0.20/32 (api) via spine 10.0.2.2: the spine (no endpoint of api in rack2: not announced from it)',
    );
    const communities = v.report.checks.find((c) => c.id === 'service-communities')!;
    expect(communities.notes).toContain('leaf2: 10.100.0.10/32 carries 65010:100, 65010:1:2');
    const reach = v.report.checks.find((c) => c.id === 'service-reach')!;
    expect(reach.passed).toBe(10);
  }, 60_000);

  it('fails when node6 no longer runs a web endpoint: leaf2 reaches web through the spine', async () => {
    await apply(TEXT.replace('endpoints: [node3, node6] }', 'endpoints: [node3] }'));
    const v = await verifyUntil((r) => failuresOf(r, 'service-routes').length === 2, 30_000);
    expect(v.code).toBe(1);
    expect(failuresOf(v.report, 'service-routes')).toEqual([
      'leaf2: 10.96.0.100/32 (web) goes via spine 10.0.2.2, want node6 173.20.0.13: keep-original-next-hop: the endpoint node of rack2',
      'leaf2: 10.100.0.10/32 (web) goes via spine 10.0.2.2, want node6 173.20.0.13: keep-original-next-hop: the endpoint node of rack2',
    ]);
    await apply(TEXT);
    expect((await lab.verify(30)).report.ok).toBe(true);
  }, 90_000);

  it("fails without keep-original-next-hop: the reflectors are the next hop and drop web's packets", async () => {
    await apply(TEXT.replaceAll('keep-original-next-hop: true', 'keep-original-next-hop: false'));
    const webViaReflectors =
      'leaf1: 10.100.0.10/32 (web) goes via node1 172.20.0.11 + node2 172.20.0.12, want node3 172.20.0.13';
    const v = await verifyUntil(
      (r) =>
        failuresOf(r, 'service-reach').length >= 2 &&
        failuresOf(r, 'service-routes').some((f) => f.startsWith(webViaReflectors)),
      30_000,
    );
    expect(v.code).toBe(1);
    expect(failuresOf(v.report, 'service-routes')).toContain(
      'leaf1: 10.100.0.10/32 (web) goes via node1 172.20.0.11 + node2 172.20.0.12, want node3 172.20.0.13: keep-original-next-hop: the endpoint node of rack1; the leaf sees the reflectors as next hop, as without keep-original-next-hop (Calico issue 6451)',
    );
    expect(failuresOf(v.report, 'service-reach')).toContain(
      "node1-pod1 (rack1) → web 10.100.0.10: no reply: leaf1 forwards it to node1, node2, which run no endpoint, and kube-proxy drops Local traffic there (the reflectors' next hop self without keep-original-next-hop, Calico issue 6451) (its /32 from rack1, rack2)",
    );
    await apply(TEXT);
    expect((await lab.verify(30)).report.ok).toBe(true);
  }, 90_000);
});
