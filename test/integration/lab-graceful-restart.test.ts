/**
 * Graceful restart of a switch in the seed lab (RFC 4724 §4.1), proven by traffic: pods ping across
 * racks at 100 packets/s while `rackbgp lab restart leaf1 --graceful` restarts leaf1's rackbgp (no
 * NOTIFICATION, kernel routes kept, selection deferred until End-of-RIB): no packet is lost, and
 * the reflectors' BIRDs keep leaf1's routes as GR helpers meanwhile. The same restart --hard (Cease
 * first, so every peer drops leaf1's routes at once) loses packets. `lab verify` passes after each.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet } from '../../src/lab/executor.js';
import { BIRD1 } from './support/bird.js';
import { LabCli } from './support/lab.js';
import { isRoot, requireTools, waitFor } from './support/netns.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping').length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');

interface GrView {
  restarting: {
    restarted: boolean;
    deferring: boolean;
    endOfRib: Record<string, number>;
    ended?: { why: string; ms: number };
  } | null;
  helper: { neighbors: Record<string, unknown> };
}

describe.skipIf(skip)('seed lab: leaf1 restarts gracefully under traffic', () => {
  const lab = new LabCli(`gr${process.pid % 100000}`);
  const NAME = lab.name;
  const ns = (d: string) => `rbl-${NAME}-${d}`;

  beforeAll(async () => {
    const up = await lab.up(SEED);
    expect(up.code, up.stderr).toBe(0);
    const v = await lab.verify(60);
    expect(v.code, v.stdout).toBe(0);
  }, 120_000);

  afterAll(async () => {
    const down = await lab.down();
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
    expect(down.run.code, down.run.stderr).toBe(0);
  }, 30_000);

  /** node1-pod1 → node4-pod1 (rack1 → leaf1 → spine → leaf2 → rack2) at 100 packets/s for `seconds`. */
  const ping = (seconds: number) =>
    promisify(execFile)('ip', [
      'netns',
      'exec',
      ns('node1-pod1'),
      'ping',
      '-i',
      '0.01',
      '-c',
      String(seconds * 100),
      '-q',
      '10.233.67.1',
    ]).then(
      (r) => {
        const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
        if (!m) throw new Error(`ping said: ${r.stdout}`);
        return { sent: Number(m[1]), received: Number(m[2]) };
      },
      (e: { stdout?: string }) => {
        const m = /(\d+) packets transmitted, (\d+) received/.exec(e.stdout ?? '');
        if (!m) throw e;
        return { sent: Number(m[1]), received: Number(m[2]) };
      },
    );

  /** What node1's BIRD (a reflector, GR helper for leaf1) says about leaf1's session and one route from it. */
  const birdView = async () => {
    const birdc = async (...args: string[]) =>
      (await lab.run('exec', '--name', NAME, 'node1', '--', 'birdc', ...args)).stdout;
    return {
      protocol: await birdc('show', 'protocols', 'all', 'Node_172_20_0_1'),
      route: await birdc('show', 'route', 'all', '10.233.67.0/26'),
    };
  };

  it('graceful: 0 of the pings lost, BIRD keeps the routes stale, leaf1 defers until End-of-RIB', async () => {
    const traffic = ping(15);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await lab.run('restart', '--name', NAME, 'leaf1', '--graceful', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      device: 'leaf1',
      graceful: true,
      daemons: [{ name: 'rackbgp', signal: 'SIGUSR2' }],
    });
    // Right after the restart: leaf1 defers or has just finished; BIRD on node1 kept the route.
    const during = await birdView();
    console.log(`node1's BIRD during leaf1's restart:\n${during.protocol}\n${during.route}`);
    expect(during.route).toContain('10.233.67.0/26');
    const gr = await waitFor(
      'leaf1 deferral over',
      async () => {
        const g = await apiGet<GrView>(ns('leaf1'), '/api/graceful-restart');
        return g?.restarting && !g.restarting.deferring ? g : undefined;
      },
      40_000,
    );
    console.log(`leaf1 after the restart: ${JSON.stringify(gr.restarting)}`);
    expect(gr.restarting).toMatchObject({
      restarted: true,
      ended: { why: 'End-of-RIB from every GR neighbor' },
    });
    expect(Object.keys(gr.restarting!.endOfRib).sort()).toEqual(['10.0.1.2', '172.20.0.11', '172.20.0.12']);
    const { sent, received } = await traffic;
    console.log(`graceful restart of leaf1: ${sent} pings sent, ${received} received`);
    expect(sent).toBe(1500);
    expect(received).toBe(sent);
    const after = await birdView();
    expect(after.protocol).toMatch(/Established/);
    expect(after.route).toContain('10.233.67.0/26');
    const v = await lab.verify(30);
    expect(v.code, v.stdout).toBe(0);
  }, 120_000);

  it('hard: the same restart with Cease first loses pings', async () => {
    const traffic = ping(12);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await lab.run('restart', '--name', NAME, 'leaf1', '--hard', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ graceful: false, daemons: [{ signal: 'SIGTERM' }] });
    const { sent, received } = await traffic;
    console.log(`hard restart of leaf1: ${sent} pings sent, ${received} received (${sent - received} lost)`);
    expect(received).toBeLessThan(sent);
    const g = await apiGet<GrView>(ns('leaf1'), '/api/graceful-restart');
    expect(g?.restarting).toBeNull();
    const v = await lab.verify(60);
    expect(v.code, v.stdout).toBe(0);
  }, 120_000);
});
