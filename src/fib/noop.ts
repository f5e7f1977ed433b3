/**
 * The FIB for `fib: false` (a pure control-plane route reflector) and for tests: installs nothing in
 * any kernel, but keeps the table it was asked for and every batch, so tests can assert on them.
 */
import type { FibApplyResult, FibChange, FibPort, FibRoute } from './types.js';

export class NoopFib implements FibPort {
  readonly method = 'none' as const;
  /** What the table would hold, by prefix. */
  readonly routes = new Map<string, FibRoute>();
  /** Every apply() call's changes, in order. */
  readonly batches: FibChange[][] = [];
  closed = false;

  /** `initial` plays routes left by an earlier run. */
  constructor(initial: readonly FibRoute[] = []) {
    for (const r of initial) this.routes.set(r.prefix, r);
  }

  async dump(): Promise<FibRoute[]> {
    return [...this.routes.values()];
  }

  async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
    this.batches.push([...changes]);
    for (const c of changes) {
      if (c.op === 'delete') this.routes.delete(c.prefix);
      else this.routes.set(c.route.prefix, c.route);
    }
    return { failed: [] };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** All changes applied so far, flattened. */
  changes(): FibChange[] {
    return this.batches.flat();
  }
}
