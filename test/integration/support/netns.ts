/**
 * Test networks in Linux network namespaces: uniquely named namespaces, veth links with IPv4 and
 * IPv6 addresses, processes started inside them, and teardown that kills every process by PID and
 * deletes every namespace, also when a test fails. Nothing touches the root namespace.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Fails with a clear message when a required program is missing; skips only outside CI. */
export function requireTools(...paths: string[]): string[] {
  const missing = paths.filter((p) => {
    try {
      accessSync(p, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length && process.env.CI)
    throw new Error(`missing in CI: ${missing.join(', ')} (run .ci/install-deps.sh)`);
  return missing;
}

export const isRoot = () => process.getuid?.() === 0;

export class TestNet {
  readonly id: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(label: string) {
    this.id = `rb${label.slice(0, 4)}${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
    this.dir = mkdtempSync(join(tmpdir(), `rackbgp-${label}-`));
  }

  ns(node: string): string {
    return `${this.id}-${node}`;
  }

  async addNode(node: string): Promise<string> {
    const ns = this.ns(node);
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.sh(
      node,
      'ip link set lo up; sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
    );
    return ns;
  }

  /** A veth between two nodes, created inside the first namespace and moved to the second. */
  async link(
    a: string,
    b: string,
    addrs: { a: string[]; b: string[] },
    names = { a: `to-${b}`, b: `to-${a}` },
  ): Promise<void> {
    const tmp = `v${Math.floor(Math.random() * 1e6)}`;
    await this.sh(
      a,
      `ip link add ${names.a} type veth peer name ${tmp} && ip link set ${tmp} netns ${this.ns(b)}`,
    );
    await this.sh(b, `ip link set ${tmp} name ${names.b}`);
    for (const [node, dev, list] of [
      [a, names.a, addrs.a],
      [b, names.b, addrs.b],
    ] as const) {
      const cmds = list.map((ad) => `ip addr add ${ad} dev ${dev}${ad.includes(':') ? ' nodad' : ''}`);
      await this.sh(node, [...cmds, `ip link set ${dev} up`].join(' && '));
    }
  }

  /** An L2 segment: a bridge in its own namespace `lan`, one veth per member (named `dev` there). */
  async lan(lan: string, members: { node: string; addrs: string[] }[], dev = 'eth1'): Promise<void> {
    await this.addNode(lan);
    await this.sh(lan, 'ip link add br0 type bridge && ip link set br0 up');
    for (const [i, m] of members.entries()) {
      const port = `p${i}`;
      await this.sh(
        lan,
        `ip link add ${port} type veth peer name ${dev} netns ${this.ns(m.node)} && ip link set ${port} master br0 up`,
      );
      const cmds = m.addrs.map((ad) => `ip addr add ${ad} dev ${dev}${ad.includes(':') ? ' nodad' : ''}`);
      await this.sh(m.node, [...cmds, `ip link set ${dev} up`].join(' && '));
    }
  }

  async exec(node: string, cmd: string, args: string[], timeoutMs = 20_000): Promise<ExecResult> {
    try {
      const r = await run('ip', ['netns', 'exec', this.ns(node), cmd, ...args], {
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      });
      return { stdout: r.stdout, stderr: r.stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      return {
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? '',
        code: typeof err.code === 'number' ? err.code : 1,
      };
    }
  }

  async sh(node: string, script: string): Promise<string> {
    const r = await this.exec(node, 'sh', ['-c', script]);
    if (r.code !== 0) throw new Error(`[${node}] ${script}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Starts a long-running process in a node; output goes to a log file in the test dir. */
  spawn(node: string, name: string, cmd: string, args: string[]): { child: ChildProcess; log: string } {
    const log = join(this.dir, `${node}-${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', this.ns(node), cmd, ...args], {
      stdio: ['ignore', fd, fd],
      detached: false,
    });
    this.children.push(child);
    return { child, log };
  }

  /** Kills a process we started (TERM, then KILL after `graceMs`). */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills every process started here and in the namespaces, then deletes the namespaces. */
  async destroy(): Promise<void> {
    await Promise.all(this.children.map((c) => this.kill(c)));
    for (const ns of this.namespaces) {
      // Daemons that fork (bird, bgpd -d) are not our children: find them by namespace.
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
    for (const ns of this.namespaces.reverse()) await run('ip', ['netns', 'del', ns]).catch(() => {});
    if (process.env.KEEP_TEST_DIR) console.error(`test files kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 250,
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
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
