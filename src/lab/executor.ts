/**
 * Carries out a LabPlan on this host: namespaces, sysctls, veths, `ip -batch` per namespace, config
 * files, then rackbgp and BIRD started detached inside their namespaces. Every namespace and PID is
 * written to the state file as soon as it exists, so `lab down` (or the next `lab up`) removes a
 * half-built lab too: processes by recorded PID (checked against their start time), anything else
 * in our namespaces by `ip netns pids`, then the namespaces (their veths go with them).
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { registerProtocolName } from '../fib/protocol.js';
import {
  alive,
  listNamespaces,
  must,
  namespacePids,
  nsRun,
  poll,
  processStart,
  run,
  sleep,
} from './netns.js';
import { API_PORT } from './peerings.js';
import type { LabPlan, ProcessPlan } from './plan.js';
import type { Lab } from './schema.js';

export interface ProcessRecord {
  readonly device: string;
  readonly name: string;
  readonly ns: string;
  readonly pid: number;
  readonly start?: string;
  readonly log: string;
}

export interface LabState {
  readonly version: 1;
  readonly name: string;
  readonly file?: string;
  readonly lab: Lab;
  readonly workDir: string;
  readonly namespaces: string[];
  readonly processes: ProcessRecord[];
  readonly createdAt: string;
  ready: boolean;
}

/** Where state files and work directories live: $RACKBGP_LAB_DIR, /run/rackbgp-lab as root, else tmp. */
export function labBaseDir(): string {
  if (process.env.RACKBGP_LAB_DIR) return process.env.RACKBGP_LAB_DIR;
  return process.getuid?.() === 0 ? '/run/rackbgp-lab' : join(tmpdir(), 'rackbgp-lab');
}

export const statePath = (name: string, base = labBaseDir()) => join(base, `${name}.json`);
export const workDirOf = (name: string, base = labBaseDir()) => join(base, name);

export function readState(name: string, base = labBaseDir()): LabState | undefined {
  const p = statePath(name, base);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as LabState;
}

function saveState(s: LabState, base: string): void {
  mkdirSync(base, { recursive: true });
  writeFileSync(statePath(s.name, base), `${JSON.stringify(s, null, 2)}\n`);
}

export interface StepTimes {
  [step: string]: number;
}

export interface UpOptions {
  readonly file?: string;
  readonly base?: string;
  readonly log?: (line: string) => void;
  /** Longest wait for each daemon's API or control socket. */
  readonly readyTimeoutMs?: number;
}

/** Brings a planned lab up (cleaning up any earlier instance first); returns the state and step timings. */
export async function labUp(
  p: LabPlan,
  opts: UpOptions = {},
): Promise<{ state: LabState; times: StepTimes }> {
  const base = opts.base ?? labBaseDir();
  const log = opts.log ?? (() => {});
  const times: StepTimes = {};
  let t = Date.now();
  const lap = (step: string) => {
    const now = Date.now();
    times[step] = now - t;
    t = now;
  };
  const removed = await labDown(p.lab.name, { base, planned: p.namespaces.map((n) => n.ns), log });
  if (removed.namespaces || removed.processes) log(`cleaned up an earlier instance of lab ${p.lab.name}`);
  lap('cleanup');
  rmSync(p.workDir, { recursive: true, force: true });
  const state: LabState = {
    version: 1,
    name: p.lab.name,
    ...(opts.file && { file: opts.file }),
    lab: p.lab,
    workDir: p.workDir,
    namespaces: [],
    processes: [],
    createdAt: new Date().toISOString(),
    ready: false,
  };
  saveState(state, base);

  for (const n of p.namespaces) {
    state.namespaces.push(n.ns);
    saveState(state, base);
    await must('ip', ['netns', 'add', n.ns]);
  }
  await Promise.all(
    p.namespaces.map((n) => must('ip', ['netns', 'exec', n.ns, 'sysctl', '-qw', ...n.sysctls])),
  );
  lap('namespaces');
  for (const l of p.links)
    await must('ip', [
      '-n',
      l.a.ns,
      'link',
      'add',
      l.a.dev,
      'type',
      'veth',
      'peer',
      'name',
      l.b.dev,
      'netns',
      l.b.ns,
    ]);
  lap('links');
  await Promise.all(
    p.namespaces.map(async (n) => {
      await must('ip', ['-n', n.ns, '-batch', '-'], `${n.ip.join('\n')}\n`);
      if (n.linkSysctls.length) await must('ip', ['netns', 'exec', n.ns, 'sysctl', '-qw', ...n.linkSysctls]);
      if (n.iptables) await must('ip', ['netns', 'exec', n.ns, 'iptables-restore'], n.iptables);
    }),
  );
  lap('addresses');
  nameRouteProtocol(log);
  for (const f of p.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content);
  }
  // rackbgp first (the leaves wait for their reflectors, which dial them 3 s or more later), then
  // the BIRDs, each at its planned offset from a whole second of CLOCK_MONOTONIC (plan.ts
  // birdStartAt: BIRD 1.6's timers tick in those seconds), then wait until every daemon answers.
  const switches = p.processes.filter((x) => x.name === 'rackbgp');
  const birds = p.processes
    .filter((x) => x.name !== 'rackbgp')
    .sort((a, b) => (a.startAt ?? 0) - (b.startAt ?? 0));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const start = (proc: ProcessPlan) => {
    const rec = startProcess(proc);
    state.processes.push(rec);
    saveState(state, base);
    return { proc, rec };
  };
  const started = switches.map(start);
  const firstAt = Math.min(...birds.map((x) => x.startAt ?? 0));
  const t0 = monotonicMs();
  // This second if its first start is still 50 ms or more away, else the next.
  const second = Math.floor(t0 / 1000) * 1000 + (t0 % 1000 < firstAt - 50 ? 0 : 1000);
  for (const proc of birds) {
    await sleep(Math.max(0, second + (proc.startAt ?? 0) - monotonicMs()));
    started.push(start(proc));
  }
  await Promise.all(started.map(({ proc, rec }) => waitReady(proc, rec, readyTimeoutMs)));
  lap('daemons');
  state.ready = true;
  saveState(state, base);
  log(
    `lab ${p.lab.name}: ${p.namespaces.length} namespaces, ${p.links.length} veths, ${state.processes.length} daemons`,
  );
  return { state, times };
}

/** CLOCK_MONOTONIC in ms (libuv's hrtime), the clock whose whole seconds BIRD 1.6's timers use. */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/** Names rackbgp's route protocol for iproute2, so `ip route show proto rackbgp` works in the lab. */
function nameRouteProtocol(log: (line: string) => void): void {
  try {
    const written = registerProtocolName();
    if (written) log(`wrote ${written} (ip route show proto rackbgp)`);
  } catch (e) {
    log(`cannot name rackbgp's route protocol for ip (${(e as Error).message}); it shows as proto 179`);
  }
}

function startProcess(proc: ProcessPlan): ProcessRecord {
  mkdirSync(dirname(proc.log), { recursive: true });
  const fd = openSync(proc.log, 'a');
  // `ip netns exec` execs the daemon in place: the PID is the daemon's.
  const child = spawn('ip', ['netns', 'exec', proc.ns, ...proc.argv], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${proc.name} in ${proc.ns}`);
  const start = processStart(pid);
  return { device: proc.device, name: proc.name, ns: proc.ns, pid, ...(start && { start }), log: proc.log };
}

const tail = (file: string, lines = 8) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
};

async function waitReady(proc: ProcessPlan, rec: ProcessRecord, timeoutMs: number): Promise<void> {
  const probe = async () => {
    if (!alive(rec.pid)) throw new Error(`${proc.name} on ${proc.device} exited:\n${tail(rec.log)}`);
    if ('api' in proc.ready) return (await apiGet(proc.ns, '/api/neighbors', proc.ready.api)) !== undefined;
    const r = await nsRun(proc.ns, [proc.ready.client, '-s', proc.ready.socket, 'show', 'status'], 5000);
    return r.stdout.includes('Daemon is up');
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await probe().catch((e: Error) => {
      if (e.message.includes('exited')) throw e;
      return false;
    });
    if (ok) return;
    if (Date.now() > end)
      throw new Error(`${proc.name} on ${proc.device} not ready after ${timeoutMs} ms:\n${tail(rec.log)}`);
    await sleep(150);
  }
}

/** GET on rackbgp's API from inside its namespace (the API listens on the namespace's loopback). */
export async function apiGet<T = unknown>(ns: string, path: string, port = API_PORT): Promise<T | undefined> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(String(e));process.exit(1)})`;
  const r = await nsRun(ns, [process.execPath, '-e', script], 10_000);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as T;
}

export interface DownResult {
  processes: number;
  namespaces: number;
  leftovers: string[];
}

/**
 * Removes a lab: recorded processes (TERM, then KILL after `graceMs`), anything still inside its
 * namespaces, the namespaces, the state file and work directory. `planned` adds namespace names to
 * look for when the state file is missing or incomplete.
 */
export async function labDown(
  name: string,
  opts: {
    base?: string;
    planned?: readonly string[];
    graceMs?: number;
    log?: (l: string) => void;
    keepWorkDir?: boolean;
  } = {},
): Promise<DownResult> {
  const base = opts.base ?? labBaseDir();
  const state = readState(name, base);
  const existing = new Set(await listNamespaces());
  const prefix = `rbl-${name}-`;
  const ours = [
    ...new Set([...(state?.namespaces ?? []), ...(opts.planned ?? [])].filter((n) => n.startsWith(prefix))),
  ];
  const present = ours.filter((n) => existing.has(n));
  const procs = (state?.processes ?? []).filter((p) => alive(p.pid, p.start));
  for (const p of procs) signal(p.pid, 'SIGTERM');
  await poll(async () => procs.every((p) => !alive(p.pid, p.start)), opts.graceMs ?? 4000, 100);
  for (const p of procs) if (alive(p.pid, p.start)) signal(p.pid, 'SIGKILL');
  // Whatever else runs inside our namespaces (forked helpers, `lab exec` shells) goes too.
  for (const ns of present) for (const pid of await namespacePids(ns)) signal(pid, 'SIGKILL');
  for (const ns of present) {
    await poll(async () => (await namespacePids(ns)).length === 0, 3000, 100);
    const r = await run('ip', ['netns', 'del', ns]);
    if (r.code !== 0) opts.log?.(`ip netns del ${ns}: ${r.stderr.trim()}`);
  }
  const after = new Set(await listNamespaces());
  const leftovers = ours.filter((n) => after.has(n));
  if (!leftovers.length) {
    rmSync(statePath(name, base), { force: true });
    if (!opts.keepWorkDir) rmSync(state?.workDir ?? workDirOf(name, base), { recursive: true, force: true });
  }
  return { processes: procs.length, namespaces: present.length, leftovers };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** Lab names with a state file under `base`. */
export function labNames(base = labBaseDir()): string[] {
  try {
    return readdirSync(base)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}
