/**
 * BIRD 2 as the reference of `npm run bench:fib`: the same N routes (same next hops) as static
 * routes exported by BIRD's kernel protocol (metric 20), in a namespace of its own. Two static
 * protocols start disabled: `enable s1` installs, `enable s2` (preference 250, the other next
 * hops) replaces every route, `disable s1` then `disable s2` deletes them. No config parsing
 * inside a clock. BIRD 2 writes each route synchronously with its ACK, so when the kernel
 * protocol's export counters (read over the control socket, every 10 ms) reach N, the kernel has
 * them; `ip route` confirms afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BirdCtl } from './harness/birdctl.js';

export const BIRD2 = '/opt/bird2/usr/sbin/bird';

export type Phase = 'install' | 'replace' | 'delete';

interface ExportCounts {
  updates: number;
  withdraws: number;
}

function exportCounts(text: string): ExportCounts {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    updates: num(/Export updates:(?:\s+(?:\d+|---)){4}\s+(\d+)/),
    withdraws: num(/Export withdraws:(?:\s+(?:\d+|---)){4}\s+(\d+)/),
  };
}

/** BIRD 2 static routes for prefixes[i] via the given gateways (odd ones 2-way ECMP). */
function staticRoutes(prefixes: readonly string[], gw: [string, string]): string {
  return prefixes
    .map((p, i) => (i % 2 ? `  route ${p} via ${gw[0]} via ${gw[1]};` : `  route ${p} via ${gw[0]};`))
    .join('\n');
}

export class BirdFib {
  private child: ChildProcess | null = null;
  private ctl: BirdCtl | null = null;
  private readonly dir = mkdtempSync(join(os.tmpdir(), 'rackbgp-fib-bird-'));

  constructor(
    private readonly netns: string,
    private readonly prefixes: readonly string[],
  ) {}

  async start(): Promise<void> {
    const conf = join(this.dir, 'bird.conf');
    const socket = join(this.dir, 'bird.ctl');
    writeFileSync(
      conf,
      `router id 10.0.0.1;
log stderr { warning, error, fatal, bug };
protocol device { scan time 10; }
protocol kernel k1 { ipv4 { export all; }; metric 20; }
protocol static s1 { disabled; ipv4;
${staticRoutes(this.prefixes, ['10.0.0.2', '10.0.1.2'])}
}
protocol static s2 { disabled; ipv4 { preference 250; };
${staticRoutes(this.prefixes, ['10.0.0.3', '10.0.1.3'])}
}
`,
    );
    this.child = spawn('ip', ['netns', 'exec', this.netns, BIRD2, '-f', '-c', conf, '-s', socket], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error('BIRD 2 did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.ctl = await BirdCtl.open(socket);
  }

  /** Runs one phase; resolves with its seconds (command sent → export counters at N). */
  async phase(p: Phase): Promise<number> {
    const ctl = this.ctl;
    if (!ctl) throw new Error('BIRD 2 not started');
    const n = this.prefixes.length;
    const before = exportCounts(await ctl.cmd('show protocols all k1'));
    const done = (c: ExportCounts) =>
      p === 'delete' ? c.withdraws - before.withdraws >= n : c.updates - before.updates >= n;
    if (p === 'delete') await ctl.cmd('disable s1'); // s1 is not best: nothing reaches the kernel
    const t0 = process.hrtime.bigint();
    await ctl.cmd(p === 'install' ? 'enable s1' : p === 'replace' ? 'enable s2' : 'disable s2');
    for (;;) {
      if (done(exportCounts(await ctl.cmd('show protocols all k1')))) break;
      if (this.child?.exitCode !== null) throw new Error('BIRD 2 died');
      await new Promise((r) => setTimeout(r, 10));
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  }

  async stop(): Promise<void> {
    this.ctl?.close();
    this.ctl = null;
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
