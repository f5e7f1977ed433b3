/**
 * A FIB port that reads the kernel but may not change it (the process lacks CAP_NET_ADMIN): every
 * change is refused with the reason, without running ip, so the FIB state shows the routes as
 * refused and the kernel answers no batch with EPERM.
 */
import type { FibApplyResult, FibChange, FibPort, FibRoute } from './types.js';

export class ReadOnlyFib implements FibPort {
  constructor(
    private readonly inner: FibPort,
    readonly reason: string,
  ) {}

  get method(): FibPort['method'] {
    return this.inner.method;
  }

  dump(): Promise<FibRoute[]> {
    return this.inner.dump();
  }

  async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
    return { failed: changes.map((change) => ({ change, error: this.reason })) };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
