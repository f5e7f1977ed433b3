/**
 * Starts a DUT in its namespace with the command lines of test/fixtures/captures/capture.sh: BIRD 2
 * from /opt/bird2 and Debian's BIRD 1.6 in the foreground, FRR bgpd without zebra (-Z) unless routes
 * go to the kernel (then zebra + bgpd), gobgpd, OpenBGPD (`bgpd -d`: its parent, session engine,
 * route decision engine and RTR processes are all descendants, all counted) and rackbgp
 * (`node dist/src/cli/main.js run`, with --cpu-prof when asked). Returns the PIDs whose CPU and
 * memory are the DUT's.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BirdCtl } from './birdctl.js';
import {
  bird1Config,
  bird2Config,
  type DutSpec,
  frrConfig,
  gobgpConfig,
  openbgpdConfig,
  rackbgpConfig,
} from './configs.js';
import { type BenchNet, type Spawned, waitFor } from './netns.js';
import { alive } from './proc.js';

export const DUTS = ['rackbgp', 'bird2', 'bird1', 'frr', 'openbgpd', 'gobgp'] as const;
export type DutName = (typeof DUTS)[number];

export const BIN = {
  bird1: '/usr/sbin/bird',
  bird2: '/opt/bird2/usr/sbin/bird',
  bgpd: '/usr/lib/frr/bgpd',
  zebra: '/usr/lib/frr/zebra',
  gobgpd: '/usr/bin/gobgpd',
  openbgpd: '/usr/sbin/bgpd',
} as const;

/** A file of the build: next to this module when it runs from dist/, under dist/ when from source. */
export const built = (fromRoot: string): string =>
  import.meta.filename.endsWith('.ts')
    ? resolve(import.meta.dirname, '../../dist', fromRoot)
    : resolve(import.meta.dirname, '../..', fromRoot);

export const DEFAULT_RACKBGP = built('src/cli/main.js');
const LOOP_PROBE = built('bench/harness/loop-probe.js');

/**
 * The largest event-loop delay (ms) loop-probe.ts saw in samples ending inside `window`, or with
 * `column` 2 the largest CPU time (ms) between two of its 10 ms ticks.
 */
export function maxLoopDelay(
  file: string,
  window: { fromMs: number; toMs: number },
  column: 1 | 2 = 1,
): number | undefined {
  if (!existsSync(file)) return undefined;
  let max: number | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(' ').map(Number);
    const t = fields[0];
    const d = fields[column];
    // A sample covers the 100 ms before it (longer when the loop stalled): the stall ending a window counts.
    if (!(t >= window.fromMs && t <= window.toMs + 150) || Number.isNaN(d)) continue;
    max = Math.max(max ?? 0, d);
  }
  return max;
}

export interface DutOptions {
  /** rackbgp's built CLI (dist/src/cli/main.js). */
  readonly rackbgp: string;
  /** Directory for rackbgp's V8 CPU profile (node --cpu-prof), or none. */
  readonly cpuProfDir?: string;
}

export interface RunningDut {
  readonly name: DutName;
  /** Processes that make up the DUT (FRR: zebra and bgpd). */
  readonly pids: readonly number[];
  readonly logs: readonly string[];
  /** rackbgp: the event-loop delay samples of bench/harness/loop-probe.ts. */
  readonly loopProbe?: string;
  /** Ends the DUT gracefully (rackbgp writes its profile on exit). */
  stop(): Promise<void>;
}

/** Whether the daemon binaries for `dut` are installed. */
export function installed(dut: DutName): boolean {
  const need: Record<DutName, string[]> = {
    rackbgp: [],
    bird2: [BIN.bird2],
    bird1: [BIN.bird1],
    frr: [BIN.bgpd, BIN.zebra],
    gobgp: [BIN.gobgpd],
    openbgpd: [BIN.openbgpd],
  };
  return need[dut].every((p) => existsSync(p));
}

async function startBird(net: BenchNet, node: string, bin: string, conf: string, tag: string) {
  const file = join(net.dir, `${node}-${tag}.conf`);
  const socket = join(net.dir, `${node}-${tag}.ctl`);
  writeFileSync(file, conf);
  const s = net.spawn(node, tag, bin, ['-f', '-c', file, '-s', socket]);
  await waitFor(`${tag} control socket`, async () => existsSync(socket), 15_000, 50);
  const ctl = await waitFor(`${tag} control connection`, () => BirdCtl.open(socket), 15_000, 50);
  ctl.close();
  return { ...s, socket };
}

export async function startDut(
  net: BenchNet,
  node: string,
  dut: DutName,
  spec: DutSpec,
  o: DutOptions,
): Promise<RunningDut> {
  const one = (s: Spawned): RunningDut => ({
    name: dut,
    pids: [s.pid],
    logs: [s.log],
    stop: () => net.kill(s.child, 10_000),
  });
  switch (dut) {
    case 'bird2':
      return one(await startBird(net, node, BIN.bird2, bird2Config(spec), 'bird2'));
    case 'bird1':
      return one(await startBird(net, node, BIN.bird1, bird1Config(spec), 'bird1'));
    case 'frr':
      return startFrr(net, node, spec);
    case 'gobgp':
      return startGobgp(net, node, spec);
    case 'openbgpd':
      return startOpenbgpd(net, node, spec);
    case 'rackbgp': {
      const file = join(net.dir, `${node}-rackbgp.yaml`);
      writeFileSync(file, rackbgpConfig(spec));
      const prof = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
      const loopProbe = join(net.dir, `${node}-rackbgp.loop`);
      const s = net.spawn(
        node,
        'rackbgp',
        process.execPath,
        [...prof, '--import', LOOP_PROBE, o.rackbgp, 'run', '-c', file, '--log-level', 'warn'],
        false,
        { RACKBGP_LOOP_PROBE: loopProbe },
      );
      await waitListening(net, node, s, 'rackbgp');
      return { ...one(s), loopProbe };
    }
  }
}

/** Why a daemon died: the first panic or fatal line of its log, else its last line. */
export function deathNote(log: string): string {
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const first = (re: RegExp) => lines.find((l) => re.test(l));
  return (first(/^panic:/) ?? first(/fatal/i) ?? lines[lines.length - 1] ?? '').slice(0, 200);
}

/** Waits for a listener on port 179; fails at once, with the reason, when the daemon dies. */
async function waitListening(net: BenchNet, node: string, s: Spawned, what: string): Promise<void> {
  const state = await waitFor(
    `${what} listening`,
    async () => {
      if (!alive(s.pid)) return 'dead';
      return (await net.exec(node, 'ss', ['-Htln', 'sport = :179'])).includes(':179') && 'up';
    },
    20_000,
    100,
  );
  if (state === 'dead') throw new Error(`${what} died: ${deathNote(s.log)}`);
}

async function startZebra(net: BenchNet, node: string, dir: string): Promise<Spawned> {
  writeFileSync(join(dir, 'zebra.conf'), 'hostname zebra\nlog stdout warnings\n');
  const s = net.spawn(node, 'zebra', BIN.zebra, [
    '-u',
    'root',
    '-g',
    'frrvty',
    '-f',
    join(dir, 'zebra.conf'),
    '-i',
    join(dir, 'zebra.pid'),
    '-z',
    join(dir, 'zserv.api'),
    '--vty_socket',
    dir,
    '-P',
    '0',
    '--log',
    'stdout',
  ]);
  await waitFor('zebra socket', async () => existsSync(join(dir, 'zserv.api')), 15_000, 50);
  return s;
}

async function startFrr(net: BenchNet, node: string, spec: DutSpec): Promise<RunningDut> {
  const dir = join(net.dir, `${node}-frr`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bgpd.conf'), frrConfig(spec));
  // Without a FIB, bgpd runs alone (-Z: no zebra); with one, zebra installs what bgpd selects.
  const zebra = spec.fib ? await startZebra(net, node, dir) : undefined;
  const bgpd = net.spawn(node, 'bgpd', BIN.bgpd, [
    ...(spec.fib ? [] : ['-Z']),
    '-u',
    'root',
    '-g',
    'frrvty',
    '-f',
    join(dir, 'bgpd.conf'),
    '-i',
    join(dir, 'bgpd.pid'),
    '-z',
    join(dir, 'zserv.api'),
    '--vty_socket',
    dir,
    '-P',
    '0',
    '--log',
    'stdout',
  ]);
  await waitFor('bgpd vty socket', async () => existsSync(join(dir, 'bgpd.vty')), 15_000, 50);
  const procs = zebra ? [zebra, bgpd] : [bgpd];
  return {
    name: 'frr',
    pids: procs.map((p) => p.pid),
    logs: procs.map((p) => p.log),
    stop: async () => {
      await net.kill(bgpd.child, 10_000);
      if (zebra) await net.kill(zebra.child, 10_000);
    },
  };
}

async function startGobgp(net: BenchNet, node: string, spec: DutSpec): Promise<RunningDut> {
  const dir = join(net.dir, `${node}-gobgp`);
  mkdirSync(dir, { recursive: true });
  const zebra = spec.fib ? await startZebra(net, node, dir) : undefined;
  const conf = join(dir, 'gobgpd.toml');
  writeFileSync(conf, gobgpConfig(spec, zebra && join(dir, 'zserv.api')));
  const d = net.spawn(node, 'gobgpd', BIN.gobgpd, [
    '-f',
    conf,
    '-t',
    'toml',
    '-l',
    'warn',
    '--pprof-disable',
    '--api-hosts',
    '127.0.0.1:50051',
  ]);
  await waitListening(net, node, d, 'gobgpd');
  const procs = zebra ? [zebra, d] : [d];
  return {
    name: 'gobgp',
    pids: procs.map((p) => p.pid),
    logs: procs.map((p) => p.log),
    stop: async () => {
      await net.kill(d.child, 10_000);
      if (zebra) await net.kill(zebra.child, 10_000);
    },
  };
}

/**
 * OpenBGPD in the foreground (-d). It chroots its engines into the home of its user (_openbgpd,
 * /run/openbgpd in Debian), which a container may lack. The parent forks the session engine, the
 * route decision engine and the RTR process: the DUT's CPU and RSS sum over all of them.
 */
async function startOpenbgpd(net: BenchNet, node: string, spec: DutSpec): Promise<RunningDut> {
  mkdirSync('/run/openbgpd', { recursive: true });
  const dir = join(net.dir, `${node}-openbgpd`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'bgpd.conf');
  writeFileSync(conf, openbgpdConfig(spec, join(dir, 'bgpd.sock')));
  const d = net.spawn(node, 'openbgpd', BIN.openbgpd, ['-d', '-f', conf]);
  await waitListening(net, node, d, 'openbgpd');
  return { name: 'openbgpd', pids: [d.pid], logs: [d.log], stop: () => net.kill(d.child, 10_000) };
}

/** The newest V8 CPU profile in `dir` (written by rackbgp when it exits). */
export function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  files.sort();
  return files.length ? join(dir, files[files.length - 1]) : undefined;
}

export { startBird };
