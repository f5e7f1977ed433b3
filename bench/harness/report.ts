/**
 * Benchmark results as JSON and as a Markdown table: per DUT seconds to converge, routes per second,
 * CPU seconds, peak RSS and UPDATEs sent to the sink(s), each with its ratio to the scenario's
 * reference DUT (BIRD 2, or BIRD 1.6 for calico-rr), plus the machine and rackbgp's hottest functions.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { DutName } from './duts.js';
import type { ProfileSummary } from './profile.js';

export interface DutResult {
  readonly dut: DutName;
  readonly ok: boolean;
  readonly error?: string;
  readonly seconds?: number;
  /** Routes the clock covered (for routes/s). */
  readonly routes?: number;
  readonly cpuSeconds?: number;
  readonly peakRssMiB?: number;
  readonly updatesToSink?: number;
  readonly updateOctets?: number;
  /** Octets the capture missed: the UPDATE count is then a lower bound. */
  readonly captureMissing?: number;
  readonly notes?: readonly string[];
  readonly profile?: ProfileSummary;
  /** rackbgp: the largest event-loop delay inside the clock window (monitorEventLoopDelay), ms. */
  readonly loopDelayMs?: number;
  /** rackbgp: the most CPU time between two 10 ms ticks of the probe inside the window, ms. */
  readonly loopCpuMs?: number;
}

export interface Machine {
  readonly date: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly memGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly load: string;
  readonly versions: Partial<Record<DutName, string>>;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly reference: DutName;
  readonly params: Readonly<Record<string, number | string | boolean>>;
  readonly machine: Machine;
  readonly results: readonly DutResult[];
}

const version = (cmd: string, args: string[]): string => {
  try {
    const out = execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return out.toString().trim().split('\n')[0];
  } catch (e) {
    const err = e as { stderr?: Buffer };
    return err.stderr?.toString().trim().split('\n')[0] ?? '?';
  }
};

export function machine(rackbgpVersion: string): Machine {
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? '?',
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
    versions: {
      rackbgp: rackbgpVersion,
      bird2: version('/opt/bird2/usr/sbin/bird', ['--version']),
      bird1: version('/usr/sbin/bird', ['--version']),
      frr: version('/usr/lib/frr/bgpd', ['--version']),
      gobgp: version('/usr/bin/gobgpd', ['--version']),
      openbgpd: version('/usr/sbin/bgpd', ['-V']),
    },
  };
}

const LABEL: Record<DutName, string> = {
  rackbgp: 'rackbgp',
  bird2: 'BIRD 2',
  bird1: 'BIRD 1.6',
  frr: 'FRR',
  gobgp: 'GoBGP',
  openbgpd: 'OpenBGPD',
};

const fmt = (v: number | undefined, digits = 2) => (v === undefined ? '–' : v.toFixed(digits));
const ratio = (v: number | undefined, ref: number | undefined) =>
  v === undefined || !ref ? '–' : `${(v / ref).toFixed(2)}×`;
const thousands = (v: number | undefined) => (v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));

export function markdown(r: ScenarioResult): string {
  const ref = r.results.find((x) => x.dut === r.reference && x.ok);
  const refName = LABEL[r.reference];
  const lines = [
    `### ${r.scenario}: ${r.description}`,
    '',
    `| DUT | seconds | × ${refName} | routes/s | CPU s | × ${refName} | peak RSS MiB | × ${refName} | UPDATEs sent | max loop delay ms (CPU ms) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of r.results) {
    if (!x.ok) {
      lines.push(`| ${LABEL[x.dut]} | ${x.error ?? 'failed'} | | | | | | | | |`);
      continue;
    }
    const rate = x.seconds && x.routes ? x.routes / x.seconds : undefined;
    const upd =
      x.updatesToSink === undefined ? '–' : `${thousands(x.updatesToSink)}${x.captureMissing ? ' (≥)' : ''}`;
    lines.push(
      `| ${LABEL[x.dut]} | ${fmt(x.seconds)} | ${ratio(x.seconds, ref?.seconds)} | ${thousands(rate)} | ` +
        `${fmt(x.cpuSeconds)} | ${ratio(x.cpuSeconds, ref?.cpuSeconds)} | ${fmt(x.peakRssMiB, 1)} | ` +
        `${ratio(x.peakRssMiB, ref?.peakRssMiB)} | ${upd} | ${fmt(x.loopDelayMs, 0)}${x.loopCpuMs === undefined ? '' : ` (${fmt(x.loopCpuMs, 0)})`} |`,
    );
  }
  const params = Object.entries(r.params)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join(', ');
  const m = r.machine;
  lines.push(
    '',
    `${params}. ${m.date.slice(0, 10)}, ${m.cpus} × ${m.cpu}, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}, load ${m.load} at start.`,
  );
  for (const x of r.results) {
    for (const n of x.notes ?? []) lines.push(`- ${LABEL[x.dut]}: ${n}`);
    if (x.profile) {
      const top = x.profile.top.map((f) => `\`${f.name}\` (${f.where}) ${f.pct.toFixed(1)}%`).join(', ');
      lines.push(
        `- ${LABEL[x.dut]} profile (self time of ${(x.profile.busyMs / 1000).toFixed(1)} s busy): ${top}; GC ${x.profile.gcPct.toFixed(1)}%`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
