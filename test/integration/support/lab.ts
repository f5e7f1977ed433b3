/** Runs `rackbgp lab …` (the built CLI) with its state under a test directory, and checks cleanup. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type LabState, monotonicMs } from '../../../src/lab/executor.js';
import type { VerifyReport } from '../../../src/lab/verify.js';
import { CLI } from './rackbgp.js';

export interface LabRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export class LabCli {
  readonly base = mkdtempSync(join(tmpdir(), 'rackbgp-lab-test-'));
  private readonly env = { ...process.env, RACKBGP_LAB_DIR: this.base };
  /** Every PID the lab recorded or the test started, to check none outlives `lab down`. */
  readonly pids: number[] = [];

  constructor(readonly name: string) {}

  async run(...args: string[]): Promise<LabRun> {
    const t0 = Date.now();
    try {
      const r = await promisify(execFile)(process.execPath, [CLI, 'lab', ...args], {
        env: this.env,
        maxBuffer: 32 << 20,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '', ms: Date.now() - t0 };
    }
  }

  state(): LabState {
    return JSON.parse(readFileSync(join(this.base, `${this.name}.json`), 'utf8')) as LabState;
  }

  async up(file: string): Promise<LabRun> {
    const r = await this.run('up', file, '--name', this.name);
    if (r.code === 0) this.pids.push(...this.state().processes.map((p) => p.pid));
    return r;
  }

  async verify(wait: number): Promise<LabRun & { report: VerifyReport & { elapsedMs: number } }> {
    const r = await this.run('verify', '--name', this.name, '--json', '--wait', String(wait));
    return { ...r, report: JSON.parse(r.stdout) };
  }

  /** `lab down`, then what must hold: no namespace, no process, no state left. */
  async down(): Promise<{
    run: LabRun;
    namespacesLeft: boolean;
    processesLeft: number[];
    filesLeft: string[];
  }> {
    const run = await this.run('down', '--name', this.name);
    const { stdout } = await promisify(execFile)('ip', ['netns', 'list']);
    const processesLeft = this.pids.filter((pid) => cmdline(pid).includes(this.base));
    const filesLeft = readdirSync(this.base);
    rmSync(this.base, { recursive: true, force: true });
    return { run, namespacesLeft: stdout.includes(`rbl-${this.name}-`), processesLeft, filesLeft };
  }
}

/** Waits until CLOCK_MONOTONIC (whose whole seconds BIRD 1.6's timers tick in) reads `atMs`. */
export async function untilMonotonic(atMs: number): Promise<void> {
  const wait = atMs - monotonicMs();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
