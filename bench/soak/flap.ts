/**
 * Flap soak (issue 8): rackbgp with a listen range and the FIB on, in namespace `dut`; the flapper
 * (flapper.ts) in `peers` with one source address per concurrent worker, each worker a dynamic eBGP
 * neighbor announcing its own 1,000 /24s and dropping the session again and again. Before (after a
 * warm-up of a few flaps) and after the run, the process is sampled after a full GC; at the end no
 * neighbor, no RIB path and no kernel route of a dead session may remain.
 */
import { createInterface } from 'node:readline';
import { RTPROT_RACKBGP } from '../../src/fib/protocol.js';
import { built } from '../harness/duts.js';
import { BenchNet, nowMs, sleep, waitFor } from '../harness/netns.js';
import type { FlapTotals } from './flapper.js';
import { type ProcessSample, SoakDut } from './rackbgp.js';

export interface FlapOptions {
  readonly flaps: number;
  readonly routes: number;
  readonly concurrency: number;
  readonly checkEvery: number;
  readonly fib: boolean;
  readonly log: (line: string) => void;
}

export interface FlapResult {
  readonly options: Omit<FlapOptions, 'log'>;
  readonly totals: FlapTotals;
  readonly flapsPerSecond: number;
  readonly cpuSeconds: number;
  readonly before: ProcessSample;
  readonly after: ProcessSample;
  /** Left over at the end: neighbors in the API, RIB paths, FIB routes (state), kernel routes. */
  readonly leftover: { neighbors: number; ribPaths: number; fibInstalled: number; kernelRoutes: number };
  readonly settleSeconds: number;
}

const FLAPPER = built('bench/soak/flapper.js');

interface RibSummary {
  families: { family: string; prefixes: number; paths: number }[];
}
interface FibView {
  state?: { installed: number; dirty: number; desired: number };
}

export async function flapSoak(o: FlapOptions): Promise<FlapResult> {
  const net = new BenchNet('flap');
  try {
    const sources = Array.from({ length: o.concurrency }, (_, i) => `10.88.1.${i + 1}`);
    const dut = await SoakDut.onSoakNet(
      net,
      sources,
      // No journal: its ring and per-prefix records are bounded but fill during the run (about 6 MiB
      // for these 1,000 flapping prefixes, the same after 300 or 900 flaps) and would hide what dead
      // sessions leave. The journal's own bound is tested in test/integration/journal.test.ts.
      `fib: ${o.fib}
journal: { size: 0 }
listen-ranges:
  - { prefix: 10.88.1.0/24, asn: external, limit: 64 }
`,
    );
    const kernelRoutes = async () =>
      (await net.ip(['-n', net.ns('dut'), 'route', 'show', 'proto', String(RTPROT_RACKBGP)]))
        .split('\n')
        .filter(Boolean).length;
    const leftover = async () => {
      const neighbors = (await dut.get<unknown[]>('/api/neighbors')).length;
      const rib = await dut.get<RibSummary>('/api/rib/summary');
      const fib = await dut.get<FibView>('/api/fib');
      return {
        neighbors,
        ribPaths: rib.families.reduce((n, f) => n + f.paths, 0),
        fibInstalled: (fib.state?.installed ?? 0) + (fib.state?.dirty ?? 0),
        kernelRoutes: await kernelRoutes(),
      };
    };
    const quiet = async () => {
      const t = nowMs();
      await waitFor(
        'nothing left of the dead sessions',
        async () => {
          const l = await leftover();
          return l.neighbors + l.ribPaths + l.fibInstalled + l.kernelRoutes === 0;
        },
        120_000,
        500,
      ).catch(() => {});
      return (nowMs() - t) / 1000;
    };
    const flapper = async (flaps: number): Promise<FlapTotals> => {
      const { child } = net.spawn(
        'peers',
        'flapper',
        process.execPath,
        [
          FLAPPER,
          '--target',
          '10.88.0.1',
          '--sources',
          sources.join(','),
          '--flaps',
          String(flaps),
          '--routes',
          String(o.routes),
          '--check-every',
          String(o.checkEvery),
          '--api',
          'http://10.88.0.1:50179',
        ],
        true,
      );
      let totals: FlapTotals | undefined;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as FlapTotals | { progress: number; rate: number };
        if ('progress' in m) o.log(`  ${m.progress} flaps, ${m.rate.toFixed(1)}/s`);
        else totals = m;
      });
      await new Promise((r) => child.once('exit', r));
      if (!totals) throw new Error('the flapper ended without totals (see its log)');
      return totals;
    };

    // Warm-up: every code path once (dynamic neighbors created and forgotten, routes in and out).
    const warm = await flapper(2 * o.concurrency);
    if (warm.failures.length) throw new Error(`warm-up failed: ${warm.failures.join('; ')}`);
    await quiet();
    await sleep(1000);
    const before = await dut.sample();
    o.log(`before: ${JSON.stringify(before)}`);
    const cpu0 = dut.cpuSeconds();
    const t0 = nowMs();
    const totals = await flapper(o.flaps);
    const seconds = (nowMs() - t0) / 1000;
    const cpuSeconds = dut.cpuSeconds() - cpu0;
    o.log(`flapper: ${JSON.stringify({ ...totals, failures: totals.failures.slice(0, 5) })}`);
    const settleSeconds = await quiet();
    await sleep(1000);
    const after = await dut.sample();
    o.log(`after: ${JSON.stringify(after)}`);
    return {
      options: {
        flaps: o.flaps,
        routes: o.routes,
        concurrency: o.concurrency,
        checkEvery: o.checkEvery,
        fib: o.fib,
      },
      totals,
      flapsPerSecond: totals.flaps / seconds,
      cpuSeconds,
      before,
      after,
      leftover: await leftover(),
      settleSeconds,
    };
  } finally {
    await net.destroy(!!process.env.KEEP_SOAK_DIR);
  }
}

/** Markdown lines for a flap soak result. */
export function flapReport(r: FlapResult): string[] {
  const row = (name: string, pick: (s: ProcessSample) => number, digits = 1) =>
    `| ${name} | ${pick(r.before).toFixed(digits)} | ${pick(r.after).toFixed(digits)} | ${(pick(r.after) - pick(r.before)).toFixed(digits)} |`;
  return [
    `Flap soak: ${r.totals.flaps} flaps × ${r.options.routes} routes, ${r.options.concurrency} concurrent, FIB ${r.options.fib ? 'on' : 'off'}`,
    `  ${r.flapsPerSecond.toFixed(1)} flaps/s (${r.totals.seconds.toFixed(1)} s), rackbgp CPU ${r.cpuSeconds.toFixed(1)} s; ` +
      `${r.totals.clean} Cease + ${r.totals.reset} TCP reset; ${r.totals.verified} verified in the API; ` +
      `${r.totals.retries} refused/retried; ${r.totals.failures.length} failures`,
    `  leftover after ${r.settleSeconds.toFixed(1)} s: ${JSON.stringify(r.leftover)}`,
    '',
    '| after full GC | before | after | change |',
    '| --- | ---: | ---: | ---: |',
    row('heap used MiB', (s) => s.heapUsedMiB),
    row('heap total MiB', (s) => s.heapTotalMiB),
    row('external MiB', (s) => s.externalMiB),
    row('RSS MiB', (s) => s.rssMiB),
    row('active handles', (s) => s.activeHandles, 0),
    row('open fds', (s) => s.openFds, 0),
  ];
}

/** Heap growth (after full GC) still called flat: 10% of the baseline, at least 4 MiB. */
export const heapToleranceMiB = (before: ProcessSample): number => Math.max(4, 0.1 * before.heapUsedMiB);
