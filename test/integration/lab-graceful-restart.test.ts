/**
 * Graceful restart of a switch in the seed lab (RFC 4724 §4.1), proven by traffic: pods ping across
 * racks at 100 packets/s while `rackbgp lab restart leaf1 --graceful` (then the spine) restarts its rackbgp (no
 * NOTIFICATION, kernel routes kept, selection deferred until End-of-RIB): no packet is lost, and
 * the reflectors' BIRDs keep leaf1's routes as GR helpers meanwhile. The same restart --hard (Cease
 * first, so every peer drops leaf1's routes at once) loses packets. `lab verify` passes after each.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
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
    promisify(execFile)(
      'ip',
      [
        'netns',
        'exec',
        ns('node1-pod1'),
        'ping',
        '-i',
        '0.01',
        '-c',
        String(seconds * 100),
        '-D',
        '-O',
        '10.233.67.1',
      ],
      { maxBuffer: 16 << 20 },
    ).then(
      (r) => counts(r.stdout),
      (e: { stdout?: string }) => counts(e.stdout ?? ''),
    );

  /** Sent and received from ping's summary, and the lines of unanswered packets (-O, with -D times). */
  const counts = (out: string) => {
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    if (!m) throw new Error(`ping said: ${out.slice(-500)}`);
    return {
      sent: Number(m[1]),
      received: Number(m[2]),
      lost: out.split('\n').filter((l) => l.includes('no answer')),
    };
  };

  /** What node1's BIRD (a reflector, GR helper for leaf1) says about leaf1's session and one route from it. */
  const birdView = async () => {
    const birdc = async (...args: string[]) =>
      (await lab.run('exec', '--name', NAME, 'node1', '--', 'birdc', ...args)).stdout;
    return {
      protocol: await birdc('show', 'protocols', 'all', 'Node_172_20_0_1'),
      route: await birdc('show', 'route', 'all', '10.233.67.0/26'),
    };
  };

  /**
   * Samples, until stopped, node1's BIRD (session with leaf1 and a route learned from it) and the
   * spine's paths from leaf1: what both GR helpers hold while leaf1 is away.
   */
  function sampleHelpers() {
    const sock = join(lab.state().workDir, 'node1', 'bird.ctl');
    const birdc = async (...args: string[]) =>
      (await promisify(execFile)('ip', ['netns', 'exec', ns('node1'), BIRD1.client, '-s', sock, ...args]))
        .stdout;
    const samples: { protocol: string; route: string; spine: RouteSnapshot['paths'] }[] = [];
    let running = true;
    const done = (async () => {
      while (running) {
        const [protocol, route, spine] = await Promise.all([
          birdc('show', 'protocols', 'all', 'Node_172_20_0_1'),
          birdc('show', 'route', 'all', '10.233.67.0/26'),
          apiGet<RouteSnapshot[]>(ns('spine'), '/api/routes?prefix=10.233.64.0/26').catch(() => undefined),
        ]);
        samples.push({ protocol, route, spine: spine?.[0]?.paths ?? [] });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return {
      samples,
      stop: async () => {
        running = false;
        await done;
      },
    };
  }

  it('graceful: 0 of the pings lost, BIRD keeps the routes stale, leaf1 defers until End-of-RIB', async () => {
    const traffic = ping(15);
    await new Promise((r) => setTimeout(r, 1000));
    const helpers = sampleHelpers();
    const restartAt = Date.now();
    const r = await lab.run('restart', '--name', NAME, 'leaf1', '--graceful', '--json');
    await new Promise((r) => setTimeout(r, 500));
    await helpers.stop();
    // While leaf1 was away: node1's BIRD had no session with it but kept the route it had learned
    // from it (RFC 4724 §4.2), and the spine kept leaf1's path to rack1, marked stale.
    const away = helpers.samples.filter((x) => !/BGP state:\s+Established/.test(x.protocol));
    console.log(
      `node1's BIRD while leaf1 was away (${away.length} of ${helpers.samples.length} samples):\n${away[0]?.protocol}\n${away[0]?.route}`,
    );
    expect(away.length).toBeGreaterThan(0);
    expect(away.every((x) => x.route.includes('10.233.67.0/26 '))).toBe(true);
    const spineStale = helpers.samples.filter((x) => x.spine.some((p) => p.peer === '10.0.1.1' && p.stale));
    expect(spineStale.length).toBeGreaterThan(0);
    expect(away[0].protocol).toMatch(/Neighbor graceful restart active/);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      device: 'leaf1',
      graceful: true,
      daemons: [{ name: 'rackbgp', signal: 'SIGUSR2' }],
    });
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
    // leaf1's table and End-of-RIB reached the spine: its paths there are fresh again.
    await waitFor('leaf1 paths fresh at the spine', async () => {
      const ps = (await apiGet<RouteSnapshot[]>(ns('spine'), '/api/routes?prefix=10.233.64.0/26'))?.[0]
        ?.paths;
      return ps?.some((p) => p.peer === '10.0.1.1') && ps.every((p) => !p.stale);
    });
    const { sent, received, lost } = await traffic;
    console.log(
      `graceful restart of leaf1 (asked at ${restartAt / 1000}): ${sent} pings sent, ${received} received${lost.length ? `; unanswered:\n${lost.join('\n')}` : ''}`,
    );
    expect(sent).toBe(1500);
    expect(received).toBe(sent);
    const after = await birdView();
    expect(after.protocol).toMatch(/Established/);
    expect(after.route).toContain('10.233.67.0/26');
    const v = await lab.verify(30);
    expect(v.code, v.stdout).toBe(0);
  }, 120_000);

  it('graceful spine restart: 0 of the pings lost, both leaves keep its routes meanwhile', async () => {
    const traffic = ping(10);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await lab.run('restart', '--name', NAME, 'spine', '--json');
    expect(r.code, r.stderr).toBe(0);
    const gr = await waitFor(
      'spine deferral over',
      async () => {
        const g = await apiGet<GrView>(ns('spine'), '/api/graceful-restart');
        return g?.restarting && !g.restarting.deferring ? g : undefined;
      },
      40_000,
    );
    expect(gr.restarting).toMatchObject({
      restarted: true,
      ended: { why: 'End-of-RIB from every GR neighbor' },
    });
    expect(Object.keys(gr.restarting!.endOfRib).sort()).toEqual(['10.0.1.1', '10.0.2.1']);
    const { sent, received, lost } = await traffic;
    console.log(`graceful restart of the spine: ${sent} pings sent, ${received} received ${lost.join(' ')}`);
    expect(received).toBe(sent);
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
