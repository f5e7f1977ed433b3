/**
 * The dual-stack seed lab (lab/dual-stack.yaml): bird6 beside bird on every node, an IPv6 session
 * beside each IPv4 one (rackbgp listening on ::), IPv6 blocks in every node and leaf FIB, and pods
 * pinging across racks in both families; `lab down` leaves nothing behind.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIRD1, BIRD6 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools } from './support/netns.js';

const skip =
  !isRoot() ||
  requireTools(BIRD1.daemon, BIRD1.client, BIRD6.daemon, BIRD6.client, '/usr/bin/ping').length > 0;

describe.skipIf(skip)('dual-stack seed lab', () => {
  const lab = new LabCli(`ds${process.pid % 100000}`);

  afterAll(async () => {
    const down = await lab.down();
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
    expect(down.filesLeft).toEqual([]);
  }, 30_000);

  it('passes lab verify in both families', async () => {
    const up = await lab.up(resolve(import.meta.dirname, '../../lab/dual-stack.yaml'));
    expect(up.code, up.stderr).toBe(0);
    expect(lab.state().processes.filter((p) => p.name === 'bird6')).toHaveLength(6);
    // Both BIRDs of a selector BGPPeer dial; lab up staggers them (plan.ts birdStartAt), bird6 as bird.
    const v = await lab.verify(30);
    console.log(`dual stack: up ${up.ms} ms, verify ${v.report.elapsedMs} ms`);
    expect(v.report.checks.map((c) => [c.id, c.passed, c.total, c.failures])).toEqual([
      ['sessions', 24, 24, []],
      ['blocks', 60, 60, []],
      ['fib', 36, 36, []],
      ['pings', 18, 18, []],
    ]);
    const v6 = v.report.checks
      .find((c) => c.id === 'pings')!
      .notes.filter((n) => n.includes('fd00:10:233::'));
    expect(v6).toHaveLength(9);
  }, 90_000);
});
