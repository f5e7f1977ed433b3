/**
 * The Linux FIB through iproute2: changes go to long-lived `ip -force -batch -` children (one per
 * shard; a prefix always lands in the same shard, so per-prefix order holds), each recycled after a
 * number of lines because iproute2 6.1 keeps ~4 KB per route command. Reads use `ip -j route show`.
 * Only routes with our protocol number and metric are ever written, deleted or reported; a route
 * of another protocol is never overwritten (routeLines: no `replace`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IpBatchProcess } from './ip-batch.js';
import { DEFAULT_METRIC, multipathDevs, parseFibDump, routeLines, validateChange } from './ip-lines.js';
import { RTPROT_RACKBGP } from './protocol.js';
import {
  changePrefix,
  type FibApplyResult,
  type FibChange,
  type FibFailure,
  type FibPort,
  type FibRoute,
} from './types.js';

const run = promisify(execFile);

export interface LinuxFibOptions {
  /** Run ip with `-n NAME` (tests, benchmarks); by default the namespace rackbgp runs in. */
  readonly netns?: string;
  /** Route protocol number; default 179 (`proto rackbgp`). */
  readonly protocol?: number;
  /** Route metric; default 20. */
  readonly metric?: number;
  /** Path of the ip binary; default "ip" from PATH. */
  readonly ipPath?: string;
  /** Parallel ip children; default 1 (see bench/README.md for measurements). */
  readonly shards?: number;
  /** Lines one child takes before it is replaced; default 20,000 (≈ 80 MB peak in iproute2 6.1). */
  readonly recycleAfter?: number;
}

/** Changes formatted and handed to ip per slice. */
const SLICE = 2000;

interface ShardState {
  proc: IpBatchProcess;
  /** Lines handed to this child, for recycling. */
  assigned: number;
  /** Set while the predecessor child still works: writes wait for it. */
  ready: Promise<void> | null;
  /** Settles when every line handed to this child is through. */
  done: Promise<void>;
}

export class LinuxFib implements FibPort {
  readonly method = 'ip-batch' as const;
  readonly protocol: number;
  readonly metric: number;
  private readonly ipPath: string;
  private readonly nsArgs: string[];
  private readonly shardCount: number;
  private readonly recycleAfter: number;
  private readonly shards: (ShardState | null)[];
  private readonly retiring = new Set<Promise<void>>();
  private links: Set<string> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: LinuxFibOptions = {}) {
    this.protocol = options.protocol ?? RTPROT_RACKBGP;
    this.metric = options.metric ?? DEFAULT_METRIC;
    this.ipPath = options.ipPath ?? 'ip';
    this.nsArgs = options.netns ? ['-n', options.netns] : [];
    this.shardCount = Math.max(1, options.shards ?? 1);
    this.recycleAfter = Math.max(1, options.recycleAfter ?? 20_000);
    this.shards = new Array(this.shardCount).fill(null);
  }

  /** Our routes (this protocol and metric) in the main table, IPv4 then IPv6. */
  async dump(): Promise<FibRoute[]> {
    const show = (fam: 4 | 6) =>
      run(this.ipPath, [...this.nsArgs, '-j', `-${fam}`, 'route', 'show', 'proto', String(this.protocol)], {
        maxBuffer: 1 << 30,
      }).then((r) => parseFibDump(r.stdout, fam, this.metric));
    const [v4, v6] = await Promise.all([show(4), show(6)]);
    return v4.concat(v6);
  }

  /**
   * Applies changes (per prefix in order). Resolves when the kernel has answered every line, with
   * the lines it refused; rejects only when an ip child died and what took effect is unknown (dump
   * and reconcile then).
   */
  apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
    const next = this.tail.then(() => this.applyNow(changes));
    this.tail = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await Promise.all(this.retiring);
    await Promise.all(this.shards.map((s) => s?.proc.close()));
    this.shards.fill(null);
  }

  private async applyNow(changes: readonly FibChange[]): Promise<FibApplyResult> {
    if (this.closed) throw new Error('LinuxFib is closed');
    const failed: FibFailure[] = [];
    const jobs: Promise<void>[] = [];
    const opts = { protocol: this.protocol, metric: this.metric };
    const unknownDev = await this.unknownMultipathDevs(changes);
    // Lines go out a slice at a time, yielding between slices so that ip works on one slice while
    // the next is formatted.
    for (let at = 0; at < changes.length; at += SLICE) {
      if (at > 0) await new Promise((r) => setImmediate(r));
      const lines: string[][] = Array.from({ length: this.shardCount }, () => []);
      // The change each line belongs to; null where a failure does not count (a replace's delete).
      const owners: (FibChange | null)[][] = Array.from({ length: this.shardCount }, () => []);
      for (const c of changes.slice(at, at + SLICE)) {
        const invalid = validateChange(c);
        const dev = unknownDev.size ? multipathDevs(c).find((d) => unknownDev.has(d)) : undefined;
        if (invalid || dev) {
          failed.push({ change: c, error: invalid ?? `Cannot find device "${dev}"` });
          continue;
        }
        const i = this.shardCount === 1 ? 0 : shardOf(changePrefix(c), this.shardCount);
        const own = routeLines(c, opts);
        for (let k = 0; k < own.length; k++) {
          lines[i].push(own[k]);
          owners[i].push(k === own.length - 1 ? c : null);
        }
      }
      for (let i = 0; i < this.shardCount; i++) {
        if (lines[i].length === 0) continue;
        jobs.push(
          this.send(i, lines[i]).then((errors) => {
            for (const [k, error] of errors) {
              const change = owners[i][k];
              if (change) failed.push({ change, error });
            }
          }),
        );
      }
    }
    const results = await Promise.allSettled(jobs);
    const dead = results.find((r) => r.status === 'rejected');
    if (dead) throw (dead as PromiseRejectedResult).reason;
    return { failed };
  }

  /**
   * Hands lines to shard i's child. A child that has taken `recycleAfter` lines gets a successor,
   * which starts writing only once its predecessor is through, so per-prefix order holds.
   */
  private send(i: number, lines: string[]): Promise<Map<number, string>> {
    let s = this.shards[i];
    if (!s?.proc.alive || s.assigned >= this.recycleAfter) {
      const prev = s;
      const next: ShardState = {
        proc: new IpBatchProcess(this.ipPath, this.nsArgs),
        assigned: 0,
        ready: null,
        done: Promise.resolve(),
      };
      if (prev) {
        // Callbacks on one promise run in registration order, so gated writes keep their order.
        next.ready = prev.done.then(() => {
          next.ready = null;
        });
        next.done = next.ready;
        this.retire(prev.proc, prev.done);
      }
      s = next;
      this.shards[i] = s;
    }
    s.assigned += lines.length;
    const { proc } = s;
    const job = s.ready ? s.ready.then(() => proc.run(lines)) : proc.run(lines);
    s.done = job.then(
      () => {},
      () => {},
    );
    const current = s;
    job.catch(() => {
      if (this.shards[i] === current) this.shards[i] = null;
      this.links = null;
    });
    return job;
  }

  private retire(proc: IpBatchProcess, after: Promise<void>): void {
    const p = after.then(() => proc.close()).finally(() => this.retiring.delete(p));
    this.retiring.add(p);
  }

  /**
   * Interfaces named in `nexthop … dev D` that do not exist: ip 6.1 exits on those (a plain
   * `via X dev D` only fails its line). The link list is re-read when a name is not in it.
   */
  private async unknownMultipathDevs(changes: readonly FibChange[]): Promise<Set<string>> {
    const names = new Set<string>();
    for (const c of changes) for (const d of multipathDevs(c)) names.add(d);
    if (names.size === 0) return names;
    const missing = () => new Set([...names].filter((d) => !this.links?.has(d)));
    if (missing().size === 0) return new Set();
    const r = await run(this.ipPath, [...this.nsArgs, '-j', 'link', 'show'], { maxBuffer: 64 << 20 });
    this.links = new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
    return missing();
  }
}

/** FNV-1a over the prefix text: a stable shard per prefix. */
function shardOf(prefix: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ prefix.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}
