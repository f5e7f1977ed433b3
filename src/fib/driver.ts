/**
 * Runs the reconciler against a FibPort: at most one flush per event-loop turn and one batch in
 * flight (changes made meanwhile coalesce into the next), start-up adoption of an earlier run's
 * routes, a resync (dump + reconcile) when the port lost track, and shutdown with or without
 * keeping routes for graceful restart (RFC 4724 §4.1). Counts the changes sent and those refused.
 */
import { FibReconciler, type FibRouteState, type ReconcilerStats } from './reconciler.js';
import {
  changePrefix,
  type FibChange,
  type FibFailure,
  type FibMethod,
  type FibPort,
  type FibRoute,
} from './types.js';

/** Changes the kernel took (`ok`) and refused, per operation, since start. */
export type FibOperationCounts = Record<FibChange['op'], { ok: number; refused: number }>;

export interface FibStats extends ReconcilerStats {
  readonly operations: FibOperationCounts;
  /** How routes reach the kernel: `netlink` (rtnetlink socket) or `ip-batch` (the fallback). */
  readonly method: FibMethod;
}

export interface FibDriverOptions {
  /** Called with the changes the kernel refused (logging, metrics). */
  readonly onFailures?: (failures: readonly FibFailure[]) => void;
  /** Called after each batch with its changes and those refused (the event journal). */
  readonly onApplied?: (changes: readonly FibChange[], failed: readonly FibFailure[]) => void;
  /** Called when the port failed as a whole (e.g. ip died). */
  readonly onError?: (error: Error) => void;
  /**
   * Called before a batch of at least `bulkThreshold` changes; what it returns is called after.
   * The core passes KernelResolver.pauseRouteWatch, so the kernel's echo of our own routes does
   * not slow a full-table install.
   */
  readonly onBulk?: () => () => void;
  /** Default 5,000 changes. */
  readonly bulkThreshold?: number;
  /** Defers a flush to the next loop turn; default setImmediate. */
  readonly defer?: (fn: () => void) => void;
}

/** Consecutive resyncs after which the driver stops retrying until the next change. */
const MAX_RESYNCS = 3;

export class FibDriver {
  readonly reconciler: FibReconciler;
  private started = false;
  /** Routes adopted at start stay until endStartup() (the core calls it once converged). */
  private holding = false;
  private scheduled = false;
  private inFlight: Promise<void> | null = null;
  private resyncs = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly defer: (fn: () => void) => void;
  /** The kernel's last error per refused prefix (cleared when a change for it succeeds). */
  private readonly refusals = new Map<string, string>();
  /** Batches the port failed on as a whole are not counted (what took effect is unknown). */
  private readonly ops: FibOperationCounts = {
    add: { ok: 0, refused: 0 },
    replace: { ok: 0, refused: 0 },
    delete: { ok: 0, refused: 0 },
  };

  constructor(
    private readonly port: FibPort,
    private readonly options: FibDriverOptions = {},
    reconciler = new FibReconciler(),
  ) {
    this.reconciler = reconciler;
    this.defer = options.defer ?? ((fn) => setImmediate(fn));
  }

  /**
   * Reads what an earlier run left. With `hold`, those routes stay (and identical ones are not
   * rewritten) until endStartup(); without it, they are reconciled right away.
   */
  async start(options: { hold?: boolean } = {}): Promise<void> {
    const installed = await this.port.dump();
    this.started = true;
    this.holding = !!options.hold;
    if (this.holding) {
      this.reconciler.adopt(installed);
      this.schedule();
    } else {
      this.run(() => this.reconciler.startupReconcile(installed));
    }
    await this.idle();
  }

  /** Deletes what the earlier run left that is still not desired. */
  endStartup(): void {
    if (!this.holding) return;
    this.holding = false;
    this.run(() => this.reconciler.startupReconcile());
  }

  set(route: FibRoute): void {
    this.reconciler.setDesired(route);
    this.schedule();
  }

  remove(prefix: string): void {
    this.reconciler.removeDesired(prefix);
    this.schedule();
  }

  /** Tries refused routes again (call when interfaces or kernel routes changed). */
  retryFailed(): void {
    this.reconciler.retryFailed();
    this.schedule();
  }

  /** Every route wanted or installed with its state, and the kernel's error for refused ones. */
  routes(): (FibRouteState & { readonly error?: string })[] {
    return this.reconciler.list().map((r) => {
      const error = r.state === 'refused' ? this.refusals.get(r.route.prefix) : undefined;
      return error === undefined ? r : { ...r, error };
    });
  }

  /** The reconciler's counts and the operations sent so far. */
  stats(): FibStats {
    const o = this.ops;
    return {
      ...this.reconciler.stats(),
      operations: { add: { ...o.add }, replace: { ...o.replace }, delete: { ...o.delete } },
      method: this.port.method ?? 'none',
    };
  }

  /** Resolves when nothing is dirty and no batch is in flight. */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes what is pending, then removes every route (or keeps them) and closes the port. */
  async stop(keep: boolean): Promise<void> {
    await this.idle();
    this.started = false;
    await this.send(this.reconciler.shutdown(keep));
    await this.port.close();
  }

  private busy(): boolean {
    return this.scheduled || this.inFlight !== null || (this.started && this.reconciler.hasDirty);
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || !this.started) {
      this.settle();
      return;
    }
    if (!this.reconciler.hasDirty) {
      this.settle();
      return;
    }
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.run(() => this.reconciler.flush());
    });
  }

  private run(changes: () => ReturnType<FibReconciler['flush']>): void {
    if (this.inFlight) {
      // endStartup() during a batch: reconcile right after it.
      this.inFlight.then(() => this.run(changes));
      return;
    }
    this.inFlight = this.send(changes()).finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }

  private async send(changes: ReturnType<FibReconciler['flush']>): Promise<void> {
    if (changes.length === 0) return;
    const bulkEnd =
      changes.length >= (this.options.bulkThreshold ?? 5000) ? this.options.onBulk?.() : undefined;
    try {
      const result = await this.port.apply(changes).finally(() => bulkEnd?.());
      this.reconciler.applied(result);
      for (const c of changes) this.ops[c.op].ok++;
      for (const { change } of result.failed) {
        this.ops[change.op].ok--;
        this.ops[change.op].refused++;
      }
      for (const c of changes) this.refusals.delete(changePrefix(c));
      for (const f of result.failed) this.refusals.set(changePrefix(f.change), f.error);
      if (result.failed.length) this.options.onFailures?.(result.failed);
      this.options.onApplied?.(changes, result.failed);
      this.resyncs = 0;
    } catch (e) {
      this.options.onError?.(e as Error);
      await this.resync();
    }
  }

  /** The port lost track of what took effect: read the kernel back and reconcile against it. */
  private async resync(): Promise<void> {
    if (++this.resyncs > MAX_RESYNCS) return;
    try {
      const installed = await this.port.dump();
      if (this.holding) this.reconciler.adopt(installed);
      else await this.send(this.reconciler.startupReconcile(installed));
    } catch (e) {
      this.options.onError?.(e as Error);
    }
  }

  private settle(): void {
    if (this.busy()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
