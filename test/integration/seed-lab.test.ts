/**
 * The seed lab end to end through the CLI, as a user runs it: `lab up` builds the guide's topology
 * in namespaces (rackbgp spine and leaves, six calico-node BIRDs, two reflectors per rack), `lab
 * verify` must pass (sessions, blocks on every node, leaf FIBs, cross-rack pings through
 * leaf → spine → leaf), a reflector's BIRD stopped leaves the rack reachable through the other one,
 * and `lab down` leaves no namespace or process behind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/executor.js';
import type { VerifyReport } from '../../src/lab/verify.js';
import { BIRD1 } from './support/bird.js';
import { isRoot, requireTools } from './support/netns.js';
import { CLI } from './support/rackbgp.js';

const skip = !isRoot() || requireTools(BIRD1.daemon, BIRD1.client, '/usr/bin/ping').length > 0;
const SEED = resolve(import.meta.dirname, '../../lab/seed.yaml');
const NAME = `it${process.pid % 100000}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

describe.skipIf(skip)('seed lab in network namespaces', () => {
  const base = mkdtempSync(join(tmpdir(), 'rackbgp-lab-test-'));
  const env = { ...process.env, RACKBGP_LAB_DIR: base };
  const lab = async (...args: string[]): Promise<Run> => {
    const t0 = Date.now();
    try {
      const r = await promisify(execFile)(process.execPath, [CLI, 'lab', ...args], {
        env,
        maxBuffer: 32 << 20,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '', ms: Date.now() - t0 };
    }
  };
  const state = (): LabState => JSON.parse(readFileSync(join(base, `${NAME}.json`), 'utf8'));
  const verify = async (wait: number) => {
    const r = await lab('verify', '--name', NAME, '--json', '--wait', String(wait));
    return { ...r, report: JSON.parse(r.stdout) as VerifyReport & { elapsedMs: number } };
  };
  let pids: number[] = [];

  beforeAll(async () => {
    const up = await lab('up', SEED, '--name', NAME);
    expect(up.code, up.stderr).toBe(0);
    pids = state().processes.map((p) => p.pid);
    console.log(`lab up: ${up.ms} ms — ${up.stdout.split('\n')[0]}`);
  }, 60_000);

  afterAll(async () => {
    // Whatever happened above, nothing may stay behind.
    const down = await lab('down', '--name', NAME);
    console.log(`lab down: ${down.ms} ms — ${down.stdout.trim() || down.stderr.trim()}`);
    const namespaces = await promisify(execFile)('ip', ['netns', 'list']);
    expect(namespaces.stdout).not.toContain(`rbl-${NAME}-`);
    for (const pid of pids)
      expect(readProcessCmdline(pid).includes(base), `process ${pid} still runs`).toBe(false);
    expect(readdirSync(base)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
    expect(down.code, down.stderr).toBe(0);
  }, 30_000);

  it('passes lab verify: sessions Established, every block on every node, leaf FIBs, pings across racks', async () => {
    const v = await verify(30);
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
    expect(pings.notes[0]).toMatch(
      /node1-pod1 → node4-pod1 10\.233\.67\.1: [\d.]+ ms via node1-pod1 → node1 → leaf1 → spine → leaf2 → node4 → node4-pod1/,
    );
  }, 60_000);

  it('shows status and runs commands in a node', async () => {
    const status = await lab('status', '--name', NAME);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /✓ node3 172\.20\.0\.13 ↔ node1 172\.20\.0\.11 \(client-reflector, iBGP IPv4\) {2}Established/,
    );
    expect(status.stdout).toMatch(/├─ leaf1 {2}AS65001/);
    const json = JSON.parse((await lab('status', '--name', NAME, '--json')).stdout);
    expect(json.sessions).toHaveLength(12);
    const birdc = await lab('exec', '--name', NAME, 'node1', '--', 'birdc', 'show', 'protocols');
    expect(birdc.code).toBe(0);
    expect(birdc.stdout).toMatch(/Node_172_20_0_1\s+BGP\s+master\s+up\s+\S+\s+Established/);
  }, 30_000);

  it("keeps the rack reachable through its other reflector when one reflector's BIRD stops", async () => {
    const node1 = state().processes.find((p) => p.device === 'node1' && p.name === 'bird')!;
    process.kill(node1.pid, 'SIGTERM');
    const ping = (from: string, dst: string) =>
      lab('exec', '--name', NAME, from, '--', 'ping', '-c', '3', '-i', '0.2', '-W', '1', '-q', dst);
    // node3's block is still announced to leaf1 by node2; node4's pod answers node3's pod.
    const r = await ping('node3-pod1', '10.233.67.1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = await verify(0);
    const sessions = v.report.checks.find((c) => c.id === 'sessions')!;
    expect(sessions.failures.every((f) => f.includes('node1 172.20.0.11'))).toBe(true);
    expect(sessions.passed).toBe(9);
    const fib = v.report.checks.find((c) => c.id === 'fib')!;
    expect(fib.failures.every((f) => f.includes('10.233.64.0/26'))).toBe(true);
  }, 60_000);
});

function readProcessCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
