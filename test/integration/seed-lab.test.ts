/**
 * The seed lab end to end through the CLI, as a user runs it: `lab up` builds the guide's topology
 * in namespaces (rackbgp spine and leaves, six calico-node BIRDs, two reflectors per rack), `lab
 * verify` must pass (sessions, blocks on every node, leaf FIBs, cross-rack pings through
 * leaf → spine → leaf), a reflector restarted with graceful restart loses no ping (the leaf keeps
 * its paths stale meanwhile), a reflector's BIRD stopped leaves the rack reachable through the
 * other one, and `lab down` leaves no namespace or process behind.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSnapshot } from '../../src/core/snapshot.js';
import { apiGet, monotonicMs } from '../../src/lab/executor.js';
import { BIRD1 } from './support/bird.js';
import { LabCli, untilMonotonic } from './support/lab.js';
import { isRoot, requireTools, waitFor } from './support/netns.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping').length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');

describe.skipIf(skip)('seed lab in network namespaces', () => {
  const lab = new LabCli(`it${process.pid % 100000}`);
  const NAME = lab.name;

  /** A namespace and a process left over by an earlier, half-built instance (no state file). */
  let leftover: number | undefined;

  beforeAll(async () => {
    await promisify(execFile)('ip', ['netns', 'add', `rbl-${NAME}-node3`]);
    const stray = spawn('ip', ['netns', 'exec', `rbl-${NAME}-node3`, 'sleep', '300'], {
      stdio: 'ignore',
      detached: true,
    });
    stray.unref();
    leftover = stray.pid;
    const up = await lab.up(SEED);
    expect(up.code, up.stderr).toBe(0);
    console.log(`lab up: ${up.ms} ms — ${up.stdout.split('\n')[0]}`);
  }, 60_000);

  it('cleaned up the half-built instance it found first', () => {
    expect(leftover).toBeDefined();
    expect(
      existsSync(`/proc/${leftover}`) && !readFileSync(`/proc/${leftover}/stat`, 'utf8').includes(') Z '),
    ).toBe(false);
  });

  afterAll(async () => {
    // Whatever happened above, nothing may stay behind.
    const down = await lab.down();
    console.log(`lab down: ${down.run.ms} ms — ${down.run.stdout.trim() || down.run.stderr.trim()}`);
    expect(down.namespacesLeft).toBe(false);
    expect(down.processesLeft).toEqual([]);
    expect(down.filesLeft).toEqual([]);
    expect(down.run.code, down.run.stderr).toBe(0);
  }, 30_000);

  it('passes lab verify: sessions Established, every block on every node, leaf FIBs, pings across racks', async () => {
    // Calico's selector BGPPeers: both BIRDs of a pair dial, and BIRD 1.6 takes the second connection
    // for a graceful restart of the first; lab up staggers the BIRDs so that each pair has one first
    // dialer (plan.ts birdStartAt), and the lab converges within 10 s of lab up (measured, loaded).
    const v = await lab.verify(30);
    const text = v.report.checks
      .map((c) => `${c.id} ${c.passed}/${c.total}\n  ${c.failures.join('\n  ')}`)
      .join('\n');
    console.log(`lab verify: ${v.report.elapsedMs} ms\n${text}`);
    expect(v.report.checks.map((c) => [c.id, c.passed, c.total])).toEqual([
      ['sessions', 12, 12],
      ['blocks', 30, 30],
      ['fib', 18, 18],
      ['pings', 9, 9],
    ]);
    expect(v.code).toBe(0);
    expect(v.report.elapsedMs).toBeLessThan(30_000);
    const pings = v.report.checks.find((c) => c.id === 'pings')!;
    // leaf2 holds node4's block by ECMP over both reflectors (node5 re-announces it next hop self,
    // BIRD's multihop default): the kernel's hash picks node4 directly or node5, which forwards.
    expect(pings.notes[0]).toMatch(
      /node1-pod1 → node4-pod1 10\.233\.67\.1: [\d.]+ ms via node1-pod1 → node1 → leaf1 → spine → leaf2 → (?:node5 → )?node4 → node4-pod1/,
    );
    // The spine's leaves, on /30 links (no third party there), are one update group.
    const rib = await apiGet<{ updateGroups: number[] }>(`rbl-${NAME}-spine`, '/api/rib/summary');
    expect(rib?.updateGroups).toEqual([2]);
    // The block's blackhole is BIRD's (bird_aggr.cfg's protocol static, exported to the kernel).
    const block = await promisify(execFile)('ip', [
      '-n',
      `rbl-${NAME}-node1`,
      'route',
      'show',
      '10.233.64.0/26',
    ]);
    expect(block.stdout.trim()).toBe('blackhole 10.233.64.0/26 proto bird');
  }, 60_000);

  it('shows status and runs commands in a node', async () => {
    const status = await lab.run('status', '--name', NAME);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /✓ node3 172\.20\.0\.13 ↔ node1 172\.20\.0\.11 \(client-reflector, iBGP IPv4\) {2}Established/,
    );
    expect(status.stdout).toMatch(/├─ leaf1 {2}AS65001/);
    const json = JSON.parse((await lab.run('status', '--name', NAME, '--json')).stdout);
    expect(json.sessions).toHaveLength(12);
    const birdc = await lab.run('exec', '--name', NAME, 'node1', '--', 'birdc', 'show', 'protocols');
    expect(birdc.code).toBe(0);
    expect(birdc.stdout).toMatch(/Node_172_20_0_1\s+BGP\s+master\s+up\s+\S+\s+Established/);
  }, 30_000);

  it('a reflector restarted with graceful restart: the leaf keeps its routes stale meanwhile, no ping is lost', async () => {
    const st = lab.state();
    const node2 = st.processes.find((p) => p.device === 'node2' && p.name === 'bird')!;
    const leaf1 = `rbl-${NAME}-leaf1`;
    const paths = async () =>
      ((await apiGet<RouteSnapshot[]>(leaf1, '/api/routes?prefix=10.233.65.0/26')) ?? [])[0]?.paths ?? [];
    // node2's own pod, reached from the other rack: only node2 announces its block.
    const ping = promisify(execFile)('ip', [
      'netns',
      'exec',
      `rbl-${NAME}-node4-pod1`,
      'ping',
      '-i',
      '0.1',
      '-c',
      '70',
      '-q',
      '10.233.65.1',
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    // Killed 0.3 s into a monotonic second: node1 and node3 see the session drop then and re-dial
    // node2 2 s later, every 2 s while it is down (connect delay time 2).
    const killedAt = Math.ceil(monotonicMs() / 1000) * 1000 + 300;
    await untilMonotonic(killedAt);
    process.kill(node2.pid, 'SIGKILL'); // no Cease: the peers act as GR helpers (RFC 4724 §4.2)
    const stale = await waitFor('node2 paths stale at leaf1', async () => {
      const ps = await paths();
      return ps.some((x) => x.peer === '172.20.0.12' && x.stale) ? ps : undefined;
    });
    expect(stale.filter((x) => x.peer === '172.20.0.12').every((x) => x.stale)).toBe(true);
    const route = await promisify(execFile)('ip', ['-n', leaf1, 'route', 'show', '10.233.65.0/26']);
    // The lab names rackbgp's protocol for ip (rt_protos.d/rackbgp.conf).
    expect(route.stdout).toContain('proto rackbgp');
    // calico-node restarts BIRD with -R (graceful restart recovery). It starts in a second between
    // two of its peers' dials: the next dial finds it listening and not yet due to dial them itself
    // (due 2 s after its start second), so the pairs do not both dial (plan.ts birdStartAt).
    let restartAt = Math.floor(killedAt / 1000) * 1000 + 1000;
    while (restartAt < monotonicMs()) restartAt += 2000;
    await untilMonotonic(restartAt);
    const dir = join(st.workDir, 'node2');
    const bird = spawn(
      'ip',
      [
        'netns',
        'exec',
        `rbl-${NAME}-node2`,
        BIRD1.daemon,
        '-R',
        '-s',
        join(dir, 'bird.ctl'),
        '-d',
        '-c',
        join(dir, 'bird.cfg'),
      ],
      {
        stdio: 'ignore',
        detached: true,
      },
    );
    bird.unref();
    lab.pids.push(bird.pid!);
    await waitFor('node2 paths fresh again at leaf1', async () => {
      const ps = await paths();
      return ps.some((x) => x.peer === '172.20.0.12') && ps.every((x) => !x.stale);
    });
    const { stdout } = await ping;
    expect(stdout).toMatch(/70 packets transmitted, 70 received, 0% packet loss/);
  }, 60_000);

  it("keeps the rack reachable through its other reflector when one reflector's BIRD stops", async () => {
    // node2's restart above: its sessions with node1 and node3 are back (timed as lab up times).
    const settled = await lab.verify(30);
    console.log(`lab verify after node2's restart: ${settled.report.elapsedMs} ms`);
    expect(settled.code, settled.stdout).toBe(0);
    const node1 = lab.state().processes.find((p) => p.device === 'node1' && p.name === 'bird')!;
    process.kill(node1.pid, 'SIGTERM');
    const ping = (from: string, dst: string) =>
      lab.run('exec', '--name', NAME, from, '--', 'ping', '-c', '3', '-i', '0.2', '-W', '1', '-q', dst);
    // node3's block is still announced to leaf1 by node2; node4's pod answers node3's pod.
    const r = await ping('node3-pod1', '10.233.67.1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = await lab.verify(0);
    const sessions = v.report.checks.find((c) => c.id === 'sessions')!;
    expect(sessions.failures.every((f) => f.includes('node1 172.20.0.11'))).toBe(true);
    expect(sessions.passed).toBe(9);
    const fib = v.report.checks.find((c) => c.id === 'fib')!;
    expect(fib.failures.every((f) => f.includes('10.233.64.0/26'))).toBe(true);
  }, 90_000);
});
