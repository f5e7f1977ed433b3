/**
 * Benchmark networks in Linux network namespaces: uniquely named namespaces, veth links, one L2
 * bridge for many members, daemons started inside them (`ip netns exec` execs the daemon, so the
 * child's PID is the daemon's), and teardown that kills every process by PID and deletes every
 * namespace, also after a failure or Ctrl-C. Nothing is added to the root namespace.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly log: string;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class BenchNet {
  /** Networks not yet destroyed, for teardown on Ctrl-C. */
  static readonly live = new Set<BenchNet>();
  /** Networks made by this process: with the pid, a unique name (two runs in parallel once shared a random one). */
  private static made = 0;
  readonly id: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(label: string) {
    this.id = `rbb${process.pid % 100000}${BenchNet.made++ % 100}`;
    this.dir = mkdtempSync(join(tmpdir(), `rackbgp-bench-${label}-`));
    BenchNet.live.add(this);
  }

  ns(node: string): string {
    return `${this.id}-${node}`;
  }

  async ip(args: string[]): Promise<string> {
    try {
      return (await run('ip', args, { maxBuffer: 256 << 20 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`ip ${args.join(' ')}: ${err.stderr || err.message}`);
    }
  }

  async addNode(node: string): Promise<string> {
    const ns = this.ns(node);
    await this.ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair created inside `a` with its peer end moved to `b`, addresses set, both up. */
  async link(a: string, devA: string, addrA: string, b: string, devB: string, addrB: string): Promise<void> {
    const [na, nb] = [this.ns(a), this.ns(b)];
    await this.ip(['-n', na, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', nb]);
    await this.ip(['-n', na, 'addr', 'add', addrA, 'dev', devA]);
    await this.ip(['-n', nb, 'addr', 'add', addrB, 'dev', devB]);
    await this.ip(['-n', na, 'link', 'set', devA, 'up']);
    await this.ip(['-n', nb, 'link', 'set', devB, 'up']);
  }

  /** One bridge in its own namespace `lan`; each member gets a veth `dev` on it with its address. */
  async lan(lan: string, members: readonly { node: string; addr: string }[], dev = 'eth1'): Promise<void> {
    await this.addNode(lan);
    const nl = this.ns(lan);
    await this.ip(['-n', nl, 'link', 'add', 'br0', 'type', 'bridge']);
    await this.ip(['-n', nl, 'link', 'set', 'br0', 'up']);
    await pool(members, 8, async (m, i) => {
      const port = `p${i}`;
      const nm = this.ns(m.node);
      await this.ip(['-n', nl, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', nm]);
      await this.ip(['-n', nl, 'link', 'set', port, 'master', 'br0', 'up']);
      await this.ip(['-n', nm, 'addr', 'add', m.addr, 'dev', dev]);
      await this.ip(['-n', nm, 'link', 'set', dev, 'up']);
    });
  }

  /** Runs a command inside a node; rejects with its stderr on failure. */
  async exec(node: string, cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
    try {
      const r = await run('ip', ['netns', 'exec', this.ns(node), cmd, ...args], {
        timeout: timeoutMs,
        maxBuffer: 256 << 20,
      });
      return r.stdout;
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`[${node}] ${cmd} ${args.join(' ')}: ${err.stderr || err.stdout || err.message}`);
    }
  }

  /** Starts a long-running process in a node, output to a log file (or a pipe when `pipe`). */
  spawn(
    node: string,
    name: string,
    cmd: string,
    args: string[],
    pipe = false,
    env?: NodeJS.ProcessEnv,
  ): Spawned {
    const log = join(this.dir, `${node}-${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', this.ns(node), cmd, ...args], {
      stdio: pipe ? ['pipe', 'pipe', fd] : ['ignore', fd, fd],
      ...(env && { env: { ...process.env, ...env } }),
    });
    if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
    // The exit status in the log says who ended a daemon that died during a run (signal or code).
    child.once('exit', (code, signal) =>
      appendFileSync(log, `[bench] ${name} (pid ${child.pid}) exited: ${signal ?? `code ${code}`}\n`),
    );
    this.children.push(child);
    return { child, pid: child.pid, log };
  }

  /** TERM, then KILL after `graceMs`; resolves when the process is gone. */
  async kill(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills every process started here and any left in our namespaces, then deletes them. */
  async destroy(keepDir = false): Promise<void> {
    BenchNet.live.delete(this);
    await Promise.all(this.children.map((c) => this.kill(c)));
    await pool(this.namespaces, 8, killNamespacePids);
    await pool([...this.namespaces].reverse(), 8, (ns) =>
      run('ip', ['netns', 'del', ns]).then(
        () => {},
        () => {},
      ),
    );
    this.namespaces.length = 0;
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** On Ctrl-C or SIGTERM: destroy every live network, then exit 130. */
  static destroyAllOnSignal(): void {
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        Promise.all([...BenchNet.live].map((n) => n.destroy())).finally(() => process.exit(130));
      });
  }
}

/** `--name N` from argv as a number, or the default. */
/** SIGKILLs every process still running in namespace `ns` (it may be gone already). */
export async function killNamespacePids(ns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', ns]).then(
    (r) => r.stdout.split(/\s+/).filter(Boolean),
    () => [],
  );
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
}

export function numberArg(argv: readonly string[], name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Monotonic milliseconds (CLOCK_MONOTONIC, shared by every process on the host). */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
