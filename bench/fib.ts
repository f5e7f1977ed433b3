/**
 * `npm run bench:fib`: routes per second into the Linux kernel (issue 7, scenario "fib"). In a
 * namespace of its own with one veth pair, installs N routes (half one next hop, half 2-way ECMP),
 * replaces all their next hops, then deletes them, checking with `ip -4 route show proto 179` (rackbgp) after
 * each phase. Compares LinuxFib (long-lived `ip -batch -`, 1 or 2 shards, with and without
 * recycling) with one `ip -batch -` per apply, a batch file, and 1,000-route applies. Variants run
 * interleaved, rep by rep, so load from other processes falls on all alike; the median is shown.
 * Options: --routes 100000 --reps 3 --variants a,b,… --json
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { FibDriver } from '../src/fib/driver.js';
import { routeLines } from '../src/fib/ip-lines.js';
import { LinuxFib } from '../src/fib/linux.js';
import { RTPROT_RACKBGP } from '../src/fib/protocol.js';
import { FibReconciler } from '../src/fib/reconciler.js';
import { KernelResolver } from '../src/fib/resolver.js';
import type { FibChange, FibRoute } from '../src/fib/types.js';

const run = promisify(execFile);

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const N = Number(flag('routes', '100000'));
const REPS = Number(flag('reps', '3'));
const JSON_OUT = process.argv.includes('--json');
const NS = `rbfibbench${process.pid}`;
const LINE_OPTS = { protocol: RTPROT_RACKBGP, metric: 20 };

type Phase = 'install' | 'replace' | 'delete';
const PHASES: Phase[] = ['install', 'replace', 'delete'];

/** Applies a phase's changes the variant's way; resolves when the kernel has answered every line. */
type Applier = (changes: FibChange[]) => Promise<void>;

interface Variant {
  name: string;
  describe: string;
  open(): Applier | Promise<Applier>;
  /** Runs after each phase, untimed. */
  afterPhase?(): Promise<void>;
  close?(): Promise<void>;
}

function routes(gw: [string, string]): FibRoute[] {
  return Array.from({ length: N }, (_, i) => ({
    family: 4 as const,
    prefix: `${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`,
    nextHops: i % 2 ? [{ via: gw[0] }, { via: gw[1] }] : [{ via: gw[0] }],
  }));
}

/** Runs ip with `input` on stdin (or a file argument) and fails if any line failed. */
function ipOnce(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-n', NS, '-force', '-batch', ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ip ${code}: ${err.slice(0, 300)}`)),
    );
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

const lines = (changes: FibChange[]) => `${changes.flatMap((c) => routeLines(c, LINE_OPTS)).join('\n')}\n`;

function linuxFib(
  name: string,
  describe: string,
  opts: { shards?: number; recycleAfter?: number },
  chunk = 0,
) {
  let fib: LinuxFib | null = null;
  const v: Variant = {
    name,
    describe,
    open() {
      fib = new LinuxFib({ netns: NS, ...opts });
      const f = fib;
      return async (changes) => {
        const step = chunk || changes.length;
        for (let i = 0; i < changes.length; i += step) {
          const res = await f.apply(changes.slice(i, i + step));
          if (res.failed.length) throw new Error(`${res.failed.length} failed: ${res.failed[0].error}`);
        }
      };
    },
    async close() {
      await fib?.close();
      fib = null;
    },
  };
  return v;
}

const VARIANTS: Variant[] = [
  linuxFib('pipe', 'LinuxFib: one long-lived `ip -batch -`, recycled every 20k lines (default)', {}),
  linuxFib('pipe-2', 'LinuxFib: 2 shards (two ip children in parallel)', { shards: 2 }),
  linuxFib('pipe-norecycle', 'LinuxFib: one ip child never recycled (iproute2 6.1 grows ~4 KB/line)', {
    recycleAfter: 1e9,
  }),
  linuxFib('pipe-1k', 'LinuxFib: the same N routes as 1,000-route applies (per-turn flushes)', {}, 1000),
  driver('driver', 'FibDriver + reconciler over LinuxFib (default): the daemon without resolver', 'none'),
  driver('driver+resolver', 'the same with the resolver; its route monitor paused for batches ≥ 5k', 'pause'),
  driver('driver+monitor', 'the same, but the route monitor watching throughout', 'watch'),
  {
    name: 'spawn',
    describe: 'one `ip -batch -` spawned per apply, lines on stdin',
    open: () => (changes) => ipOnce(['-'], lines(changes)),
  },
  {
    name: 'file',
    describe: 'batch file written to /tmp, then `ip -batch FILE`',
    open: () => async (changes) => {
      const file = `${os.tmpdir()}/rackbgp-fib-bench-${process.pid}.batch`;
      writeFileSync(file, lines(changes));
      await ipOnce([file]).finally(() => rmSync(file, { force: true }));
    },
  },
];

/**
 * The daemon's path: FibDriver (reconciler, one flush per loop turn) over the default LinuxFib,
 * optionally with the next-hop resolver watching the namespace, with or without pausing its route
 * monitor for large batches.
 */
function driver(name: string, describe: string, resolverMode: 'none' | 'pause' | 'watch'): Variant {
  let fib: LinuxFib | null = null;
  let resolver: KernelResolver | null = null;
  return {
    name,
    describe,
    async open() {
      let events = 0;
      if (resolverMode !== 'none') {
        resolver = await KernelResolver.start({ netns: NS });
        resolver.onChange(() => events++);
      }
      fib = new LinuxFib({ netns: NS });
      const r = resolver;
      const d = new FibDriver(fib, {
        onBulk: resolverMode === 'pause' && r ? () => r.pauseRouteWatch() : undefined,
        onFailures: (f) => {
          throw new Error(`${f.length} failed: ${f[0].error}`);
        },
      });
      await d.start();
      return async (changes) => {
        for (const c of changes) {
          if (c.op === 'delete') d.remove(c.prefix);
          else d.set(c.route);
        }
        await d.idle();
        if (events) throw new Error(`our own routes woke the resolver ${events} times`);
      };
    },
    async afterPhase() {
      if (!resolver) return;
      // What one refresh costs with the table full of our routes (a link or address change).
      const t0 = process.hrtime.bigint();
      await resolver.refresh();
      resolverRefreshSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    },
    async close() {
      await fib?.close();
      await resolver?.close();
      fib = null;
      resolver = null;
    },
  };
}

const resolverRefreshSeconds: number[] = [];

async function sh(cmd: string): Promise<string> {
  return (await run('ip', ['netns', 'exec', NS, 'sh', '-c', cmd], { maxBuffer: 1 << 28 })).stdout;
}

async function countBgp(): Promise<number> {
  // Multipath routes span several lines in text form; count route heads only.
  return Number(
    (await sh(`ip -4 route show proto ${RTPROT_RACKBGP} | grep -c -v "^[[:space:]]" || true`)).trim() || 0,
  );
}

async function setup(): Promise<void> {
  await run('ip', ['netns', 'add', NS]);
  await sh(
    [
      'ip link set lo up',
      'ip link add b0 type veth peer name b1',
      'ip link set b0 up && ip link set b1 up',
      'ip addr add 10.0.0.1/24 dev b0 && ip addr add 10.0.1.1/24 dev b0',
    ].join(' && '),
  );
}

async function teardown(): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', NS]).then(
    (r) => r.stdout.split(/\s+/).filter(Boolean),
    () => [],
  );
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
  await run('ip', ['netns', 'del', NS]).catch(() => {});
}

interface Sample {
  variant: string;
  phase: Phase;
  seconds: number;
  routesPerSec: number;
}

async function once(v: Variant): Promise<Sample[]> {
  const install = routes(['10.0.0.2', '10.0.1.2']);
  const replace = routes(['10.0.0.3', '10.0.1.3']);
  const out: Sample[] = [];
  const apply = await v.open();
  try {
    for (const phase of PHASES) {
      // Changes as the reconciler emits them (its own cost is timed separately below).
      let changes: FibChange[];
      if (phase === 'install') changes = install.map((route) => ({ op: 'add', route }));
      else if (phase === 'replace') changes = replace.map((route) => ({ op: 'replace', route }));
      else changes = install.map((r) => ({ op: 'delete', family: 4, prefix: r.prefix }));
      const t0 = process.hrtime.bigint();
      await apply(changes);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const want = phase === 'delete' ? 0 : N;
      const got = await countBgp();
      if (got !== want) throw new Error(`${v.name} ${phase}: ip route shows ${got}, expected ${want}`);
      out.push({ variant: v.name, phase, seconds, routesPerSec: N / seconds });
      await v.afterPhase?.();
    }
  } finally {
    await v.close?.();
  }
  return out;
}

/** Median milliseconds of a one-route apply (a route change between bulk loads). */
async function smallFlushLatency(): Promise<{ pipe: number; spawn: number }> {
  const prefix = '198.18.0.0/24';
  const add: FibChange = { op: 'add', route: { family: 4, prefix, nextHops: [{ via: '10.0.0.2' }] } };
  const del: FibChange = { op: 'delete', family: 4, prefix };
  const measure = async (apply: (c: FibChange[]) => Promise<void>) => {
    const ms: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      await apply([i % 2 ? del : add]);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return Math.round(median(ms) * 100) / 100;
  };
  const fib = new LinuxFib({ netns: NS });
  try {
    const pipe = await measure(async (c) => {
      const r = await fib.apply(c);
      if (r.failed.length) throw new Error(r.failed[0].error);
    });
    const spawnOnce = await measure((c) => ipOnce(['-'], lines(c)));
    return { pipe, spawn: spawnOnce };
  } finally {
    await fib.close();
  }
}

/** CPU seconds of setDesired + flush per N routes (install, then replace all), Node side only. */
function reconcilerCost(): number {
  const rec = new FibReconciler();
  const a = routes(['10.0.0.2', '10.0.1.2']);
  const b = routes(['10.0.0.3', '10.0.1.3']);
  const t0 = process.cpuUsage();
  for (const r of a) rec.setDesired(r);
  const n = rec.flush().length;
  for (const r of b) rec.setDesired(r);
  const m = rec.flush().length;
  const used = process.cpuUsage(t0);
  if (n !== N || m !== N) throw new Error('reconciler emitted the wrong number of changes');
  return (used.user + used.system) / 1e6 / 2;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:fib needs root (network namespaces)');
  const only = flag('variants', '');
  const variants = only ? VARIANTS.filter((v) => only.split(',').includes(v.name)) : VARIANTS;
  const samples: Sample[] = [];
  await setup();
  const onSignal = () => void teardown().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('uncaughtException', (e) => {
    console.error(e);
    void teardown().finally(() => process.exit(1));
  });
  let latency: { pipe: number; spawn: number } = { pipe: 0, spawn: 0 };
  try {
    for (let rep = 0; rep < REPS; rep++) for (const v of variants) samples.push(...(await once(v)));
    latency = await smallFlushLatency();
  } finally {
    await teardown();
  }
  const rec = reconcilerCost();
  const rows = variants.map((v) => {
    const row: Record<string, string | number> = { variant: v.name };
    for (const p of PHASES) {
      const s = samples.filter((x) => x.variant === v.name && x.phase === p);
      row[p] = Math.round(median(s.map((x) => x.routesPerSec)));
    }
    return row;
  });
  const info = {
    date: new Date().toISOString().slice(0, 10),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism(),
    kernel: os.release(),
    ip: (await run('ip', ['-V'])).stdout.trim(),
    load: Math.round(os.loadavg()[0] * 100) / 100,
    routes: N,
    reps: REPS,
    reconcilerCpuSeconds: Math.round(rec * 1000) / 1000,
    oneRouteApplyMs: latency,
    resolverRefreshSecondsMax: Math.round(Math.max(0, ...resolverRefreshSeconds) * 1000) / 1000,
  };
  if (JSON_OUT) {
    console.log(JSON.stringify({ info, rows, samples }));
    return;
  }
  console.log(
    `fib: ${N} IPv4 routes (half 2-way ECMP), median of ${REPS}, routes/s until ip route shows them`,
  );
  console.log(
    `${info.date}, ${info.cpu} ×${info.nproc}, Linux ${info.kernel}, ${info.ip}, load ${info.load}`,
  );
  console.log(`reconciler: setDesired + flush of ${N} routes, ${(rec * 1000).toFixed(0)} ms CPU`);
  console.log(
    `one-route apply: ${latency.pipe} ms long-lived pipe, ${latency.spawn} ms spawning ip (median of 200)`,
  );
  if (resolverRefreshSeconds.length)
    console.log(
      `resolver: one refresh with ${N} of our routes in table main, ${info.resolverRefreshSecondsMax * 1000} ms (max)`,
    );
  console.log('');
  console.log('| variant | install/s | replace/s | delete/s | what |');
  console.log('|---|---:|---:|---:|---|');
  for (const [i, r] of rows.entries())
    console.log(`| ${r.variant} | ${r.install} | ${r.replace} | ${r.delete} | ${variants[i].describe} |`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
