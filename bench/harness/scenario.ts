/**
 * What every scenario shares: its options and interface, the generator process (spawned in its
 * namespace, JSON events on stdout), the polling loop that stops the clock, and the end of a DUT
 * run (CPU seconds, peak RSS, graceful stop, rackbgp's profile).
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DutName, RunningDut } from './duts.js';
import { built, deathNote, maxLoopDelay, newestProfile } from './duts.js';
import { type BenchNet, nowMs, sleep } from './netns.js';
import { alive, sumCpu, sumPeakRss } from './proc.js';
import { summarize } from './profile.js';
import type { DutResult } from './report.js';

export interface Options {
  /** Routes (transit, churn's table, fib) or blocks per client (calico-rr). */
  readonly routes?: number;
  /** Reflector clients (calico-rr). */
  readonly peers?: number;
  /** Routes withdrawn and re-announced (churn). */
  readonly churn?: number;
  readonly quick: boolean;
  readonly cpuProf: boolean;
  readonly rackbgp: string;
  /** Keep namespaces' files (configs, logs, captures) after the run. */
  readonly keep: boolean;
  /** rackbgp's `journal.size` (absent: its default). */
  readonly journal?: number;
  /** Seconds one DUT may take to converge before it counts as failed. */
  readonly timeoutS: number;
  readonly log: (msg: string) => void;
}

export interface Scenario {
  readonly name: string;
  readonly reference: DutName;
  describe(o: Options): string;
  params(o: Options): Record<string, number | string | boolean>;
  run(dut: DutName, o: Options): Promise<DutResult>;
}

export const GEN_SCRIPT = built('bench/harness/generator.js');

export interface GenEvent {
  readonly event: 'connected' | 'established' | 'written' | 'error' | 'stats';
  readonly t?: number;
  readonly t0?: number;
  readonly t1?: number;
  readonly what?: string;
  readonly why?: string;
}

/** The generator (bench/harness/generator.ts) in its namespace. */
export class Generator {
  private readonly events: GenEvent[] = [];
  private readonly waiters: { test: (e: GenEvent) => boolean; resolve: (e: GenEvent) => void }[] = [];
  error: string | undefined;
  private readonly child: ChildProcess;

  constructor(
    private readonly net: BenchNet,
    node: string,
    args: { connect: string; local: string; asn: number; routerId: string; stream: string },
  ) {
    const s = net.spawn(
      node,
      'generator',
      process.execPath,
      [
        GEN_SCRIPT,
        '--connect',
        args.connect,
        '--local',
        args.local,
        '--asn',
        String(args.asn),
        '--router-id',
        args.routerId,
        '--stream',
        args.stream,
      ],
      true,
    );
    this.child = s.child;
    createInterface({ input: s.child.stdout! }).on('line', (line) => {
      let e: GenEvent;
      try {
        e = JSON.parse(line) as GenEvent;
      } catch {
        return;
      }
      if (e.event === 'error') this.error = e.why;
      this.events.push(e);
      for (const w of [...this.waiters]) {
        if (w.test(e)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
    s.child.on('exit', (code) => {
      this.error ??= `generator exited (${code})`;
    });
  }

  /** The first event (past or future) that matches, or a rejection after `timeoutMs`. */
  wait(test: (e: GenEvent) => boolean, timeoutMs: number, what: string): Promise<GenEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveEvent, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `generator: no ${what} after ${timeoutMs / 1000} s${this.error ? ` (${this.error})` : ''}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        test: (e) => test(e) || e.event === 'error',
        resolve: (e) => {
          clearTimeout(timer);
          if (e.event === 'error') reject(new Error(`generator: ${e.why}`));
          else resolveEvent(e);
        },
      });
    });
  }

  established(timeoutMs = 60_000): Promise<number> {
    return this.wait((e) => e.event === 'established', timeoutMs, 'Established').then((e) => e.t as number);
  }

  /** Writes another pre-encoded stream; resolves with the monotonic time the write started. */
  async send(file: string, timeoutMs = 60_000): Promise<number> {
    this.child.stdin?.write(`send ${file}\n`);
    const e = await this.wait((x) => x.event === 'written' && x.what === file, timeoutMs, `write of ${file}`);
    return e.t0 as number;
  }

  stop(): Promise<void> {
    return this.net.kill(this.child, 2000);
  }
}

/**
 * Polls `done` every `everyMs` until it is true; returns the monotonic time of the poll that saw
 * it. Fails when a DUT process died, the generator failed, or after `timeoutMs`.
 */
export async function until(
  what: string,
  done: () => Promise<boolean>,
  o: { everyMs: number; timeoutMs: number; dut: RunningDut; gen?: Generator },
): Promise<number> {
  const end = nowMs() + o.timeoutMs;
  for (;;) {
    if (await done()) return nowMs();
    if (o.gen?.error) throw new Error(o.gen.error);
    o.dut.pids.forEach((pid, i) => {
      if (!alive(pid)) throw new Error(`${o.dut.name} died: ${deathNote(o.dut.logs[i])}`);
    });
    if (nowMs() > end) throw new Error(`timed out after ${o.timeoutMs / 1000} s waiting for ${what}`);
    await sleep(o.everyMs);
  }
}

export interface Sample {
  readonly cpu: number;
}

/** The DUT's CPU seconds so far; fails with the reason when one of its processes is gone. */
export function cpuBefore(dut: RunningDut): Sample {
  dut.pids.forEach((pid, i) => {
    if (!alive(pid)) throw new Error(`${dut.name} died: ${deathNote(dut.logs[i])}`);
  });
  return { cpu: sumCpu(dut.pids) };
}

/** CPU and peak RSS of the run, then the DUT stopped (and rackbgp's profile read for the window). */
export async function finishDut(
  dut: RunningDut,
  before: Sample,
  profDir: string | undefined,
  window: { fromMs: number; toMs: number },
  /** CPU seconds read at the end of the window, when the DUT did more after it. */
  cpuAfter?: number,
): Promise<Pick<DutResult, 'cpuSeconds' | 'peakRssMiB' | 'profile' | 'loopDelayMs' | 'loopCpuMs'>> {
  const cpuSeconds = (cpuAfter ?? sumCpu(dut.pids)) - before.cpu;
  const peakRssMiB = sumPeakRss(dut.pids);
  await dut.stop();
  const file = profDir && newestProfile(profDir);
  const loopDelayMs = dut.loopProbe === undefined ? undefined : maxLoopDelay(dut.loopProbe, window);
  const loopCpuMs = dut.loopProbe === undefined ? undefined : maxLoopDelay(dut.loopProbe, window, 2);
  return {
    cpuSeconds,
    peakRssMiB,
    ...(file && { profile: summarize(file, window) }),
    ...(loopDelayMs !== undefined && { loopDelayMs }),
    ...(loopCpuMs !== undefined && { loopCpuMs }),
  };
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];
