/**
 * `npm run bench:fib`: routes per second into the Linux kernel (issues 7 and 18), side by side with
 * BIRD 2's kernel protocol in the same run. In a namespace of its own with one veth pair, installs
 * N routes (half one next hop, half 2-way ECMP), replaces all their next hops, then deletes them,
 * checking with `ip -4 route show proto 179` (rackbgp; `proto bird` for BIRD, in its own namespace)
 * after each phase. Variants: NetlinkFib (rtnetlink, atomic NLM_F_REPLACE or delete + add), the
 * FibDriver over it, and the `ip -batch` fallback (LinuxFib: long-lived pipe, shards, recycling,
 * per-apply spawn, batch file). Variants run interleaved, rep by rep, so load from other processes
 * falls on all alike; the median is shown, with each rate's ratio to BIRD 2's.
 * Options: --routes 100000 --reps 3 --variants a,b,… (all: every variant) --json
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { FibDriver } from '../src/fib/driver.js';
import { routeLines } from '../src/fib/ip-lines.js';
import { LinuxFib } from '../src/fib/linux.js';
import { NetlinkFib } from '../src/fib/netlink-driver.js';
import { RTPROT_RACKBGP } from '../src/fib/protocol.js';
import { FibReconciler } from '../src/fib/reconciler.js';
import { KernelResolver } from '../src/fib/resolver.js';
import type { FibChange, FibPort, FibRoute } from '../src/fib/types.js';
import { BIRD2, BirdFib, type Phase } from './fib-bird.js';
import { killNamespacePids } from './harness/netns.js';

const run = promisify(execFile);

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const N = Number(flag('routes', '100000'));
const REPS = Number(flag('reps', '3'));
const JSON_OUT = process.argv.includes('--json');
const NS = `rbfibbench${process.pid}`;
/** BIRD 2's namespace: the same links, its own table. */
const NS_BIRD = `rbfibbird${process.pid}`;
const LINE_OPTS = { protocol: RTPROT_RACKBGP, metric: 20 };

const PHASES: Phase[] = ['install', 'replace', 'delete'];

/** Applies a phase's changes the variant's way; resolves when the kernel has answered every line. */
type Applier = (changes: FibChange[]) => Promise<void>;

interface Variant {
  name: string;
  describe: string;
  open(): Applier | Promise<Applier>;
  /** A variant that is not rackbgp's (BIRD 2): runs a phase itself and returns its seconds. */
  phase?(p: Phase): Promise<number>;
  /** Namespace and protocol whose routes are counted after each phase; default rackbgp's. */
  count?: { ns: string; proto: string };
  /** Runs after each phase, untimed. */
  afterPhase?(): Promise<void>;
  close?(): Promise<void>;
}

const prefixes = (): string[] =>
  Array.from({ length: N }, (_, i) => `${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`);

function routes(gw: [string, string]): FibRoute[] {
  return prefixes().map((prefix, i) => ({
    family: 4 as const,
    prefix,
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

/** A FibPort applied directly, the whole phase at once (or `chunk` changes per apply). */
function portVariant(name: string, describe: string, make: () => FibPort, chunk = 0): Variant {
  let fib: FibPort | null = null;
  return {
    name,
    describe,
    open() {
      fib = make();
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
}

const linuxFib = (
  name: string,
  describe: string,
  opts: { shards?: number; recycleAfter?: number },
  chunk = 0,
) => portVariant(name, describe, () => new LinuxFib({ netns: NS, ...opts }), chunk);

/** BIRD 2 (kernel protocol, static routes enabled/disabled by birdc) in its own namespace. */
function bird2(): Variant {
  let bird: BirdFib | null = null;
  return {
    name: 'bird2',
    describe: 'BIRD 2.0 kernel protocol (static routes enabled, overridden, disabled through birdc)',
    count: { ns: NS_BIRD, proto: 'bird' },
    async open() {
      bird = new BirdFib(NS_BIRD, prefixes());
      await bird.start();
      return async () => {};
    },
    phase: (p) => {
      if (!bird) throw new Error('BIRD 2 not started');
      return bird.phase(p);
    },
    async close() {
      await bird?.stop();
      bird = null;
    },
  };
}

const VARIANTS: Variant[] = [
  portVariant(
    'netlink',
    'NetlinkFib: rtnetlink, many messages per send, ACK each; replace = NLM_F_REPLACE',
    () => NetlinkFib.open({ netns: NS, occupied: () => false }),
  ),
  portVariant(
    'netlink-da',
    'NetlinkFib without an ownership oracle: replace = our delete + exclusive add',
    () => NetlinkFib.open({ netns: NS }),
  ),
  driver('driver', 'FibDriver + reconciler over NetlinkFib: the daemon without resolver', 'none'),
  driver(
    'driver+resolver',
    'the daemon: the resolver answers `occupied`; its route monitor paused for ≥ 5k',
    'pause',
  ),
  driver('driver+monitor', 'the same, but the route monitor watching throughout', 'watch'),
  driver('driver-ip', 'FibDriver + reconciler over LinuxFib (`ip -batch`, the fallback)', 'none', 'ip'),
  linuxFib('pipe', 'LinuxFib: one long-lived `ip -batch -`, recycled every 20k lines (the fallback)', {}),
  linuxFib('pipe-2', 'LinuxFib: 2 shards (two ip children in parallel)', { shards: 2 }),
  linuxFib('pipe-norecycle', 'LinuxFib: one ip child never recycled (iproute2 6.1 grows ~4 KB/line)', {
    recycleAfter: 1e9,
  }),
  linuxFib('pipe-1k', 'LinuxFib: the same N routes as 1,000-route applies (per-turn flushes)', {}, 1000),
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
  bird2(),
];

/** What runs without --variants: rackbgp's paths and the reference. */
const DEFAULT_VARIANTS = ['netlink', 'netlink-da', 'driver', 'driver+resolver', 'driver-ip', 'pipe', 'bird2'];

/**
 * The daemon's path: FibDriver (reconciler, one flush per loop turn) over the default LinuxFib,
 * optionally with the next-hop resolver watching the namespace, with or without pausing its route
 * monitor for large batches.
 */
function driver(
  name: string,
  describe: string,
  resolverMode: 'none' | 'pause' | 'watch',
  port: 'netlink' | 'ip' = 'netlink',
): Variant {
  let fib: FibPort | null = null;
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
      const r = resolver;
      fib =
        port === 'ip'
          ? new LinuxFib({ netns: NS })
          : NetlinkFib.open({
              netns: NS,
              ...(r && { occupied: (_f: 4 | 6, prefix: string, m: number) => r.occupied(prefix, m) }),
            });
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

async function sh(cmd: string, ns = NS): Promise<string> {
  return (await run('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { maxBuffer: 1 << 28 })).stdout;
}

/** Routes of `proto` in `ns` (route heads: multipath routes span several lines in text form). */
async function countRoutes(c = { ns: NS, proto: String(RTPROT_RACKBGP) }): Promise<number> {
  return Number(
    (await sh(`ip -4 route show proto ${c.proto} | grep -c -v "^[[:space:]]" || true`, c.ns)).trim() || 0,
  );
}

async function setup(withBird: boolean): Promise<void> {
  for (const ns of withBird ? [NS, NS_BIRD] : [NS]) {
    await run('ip', ['netns', 'add', ns]);
    await sh(
      [
        'ip link set lo up',
        'ip link add b0 type veth peer name b1',
        'ip link set b0 up && ip link set b1 up',
        'ip addr add 10.0.0.1/24 dev b0 && ip addr add 10.0.1.1/24 dev b0',
      ].join(' && '),
      ns,
    );
  }
}

async function teardown(): Promise<void> {
  for (const ns of [NS, NS_BIRD]) {
    await killNamespacePids(ns);
    await run('ip', ['netns', 'del', ns]).catch(() => {});
  }
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
      let seconds: number;
      if (v.phase) seconds = await v.phase(phase);
      else {
        const t0 = process.hrtime.bigint();
        await apply(changes);
        seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      }
      const want = phase === 'delete' ? 0 : N;
      const got = await countRoutes(v.count);
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
async function smallFlushLatency(): Promise<{ netlink: number; pipe: number; spawn: number }> {
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
  const through = (fib: FibPort) => async (c: FibChange[]) => {
    const r = await fib.apply(c);
    if (r.failed.length) throw new Error(r.failed[0].error);
  };
  const fib = new LinuxFib({ netns: NS });
  const nl = NetlinkFib.open({ netns: NS });
  try {
    const netlink = await measure(through(nl));
    const pipe = await measure(through(fib));
    const spawnOnce = await measure((c) => ipOnce(['-'], lines(c)));
    return { netlink, pipe, spawn: spawnOnce };
  } finally {
    await fib.close();
    await nl.close();
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
  const only = flag('variants', DEFAULT_VARIANTS.join(','));
  const variants = only === 'all' ? VARIANTS : VARIANTS.filter((v) => only.split(',').includes(v.name));
  const withBird = variants.some((v) => v.name === 'bird2');
  if (withBird && !existsSync(BIRD2)) throw new Error(`bench:fib compares with BIRD 2: ${BIRD2} is missing`);
  const samples: Sample[] = [];
  await setup(withBird);
  const onSignal = () => void teardown().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('uncaughtException', (e) => {
    console.error(e);
    void teardown().finally(() => process.exit(1));
  });
  let latency = { netlink: 0, pipe: 0, spawn: 0 };
  try {
    for (let rep = 0; rep < REPS; rep++) for (const v of variants) samples.push(...(await once(v)));
    latency = await smallFlushLatency();
  } finally {
    await teardown();
  }
  const rec = reconcilerCost();
  const rate = (name: string, p: Phase) =>
    median(samples.filter((x) => x.variant === name && x.phase === p).map((x) => x.routesPerSec));
  // Ratios per rep (same moment, same load), then their median: steadier than a ratio of medians.
  const ratio = (name: string, p: Phase) => {
    const mine = samples.filter((x) => x.variant === name && x.phase === p);
    const bird = samples.filter((x) => x.variant === 'bird2' && x.phase === p);
    if (!bird.length) return null;
    return Math.round(median(mine.map((x, i) => x.routesPerSec / bird[i].routesPerSec)) * 100) / 100;
  };
  const rows = variants.map((v) => {
    const row: Record<string, string | number | null> = { variant: v.name };
    for (const p of PHASES) {
      row[p] = Math.round(rate(v.name, p));
      row[`${p}XBird2`] = ratio(v.name, p);
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
    `fib: ${N} IPv4 routes (half 2-way ECMP), median of ${REPS}, routes/s until the kernel has them; (×) = routes/s ÷ BIRD 2's in the same rep, median`,
  );
  console.log(
    `${info.date}, ${info.cpu} ×${info.nproc}, Linux ${info.kernel}, ${info.ip}, load ${info.load}`,
  );
  console.log(`reconciler: setDesired + flush of ${N} routes, ${(rec * 1000).toFixed(0)} ms CPU`);
  console.log(
    `one-route apply: ${latency.netlink} ms netlink, ${latency.pipe} ms long-lived ip pipe, ${latency.spawn} ms spawning ip (median of 200)`,
  );
  if (resolverRefreshSeconds.length)
    console.log(
      `resolver: one refresh with ${N} of our routes in table main, ${info.resolverRefreshSecondsMax * 1000} ms (max)`,
    );
  console.log('');
  const x = (v: unknown) => (v === null ? '' : ` (${v}×)`);
  console.log('| variant | install/s (× BIRD 2) | replace/s | delete/s | what |');
  console.log('|---|---:|---:|---:|---|');
  for (const [i, r] of rows.entries())
    console.log(
      `| ${r.variant} | ${r.install}${x(r.installXBird2)} | ${r.replace}${x(r.replaceXBird2)} | ${r.delete}${x(r.deleteXBird2)} | ${variants[i].describe} |`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
