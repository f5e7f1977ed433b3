/** `show fib`'s source: every route the driver wants or holds, with its state and the kernel's error. */
import { describe, expect, it } from 'vitest';
import { FibDriver } from '../../../src/fib/driver.js';
import { NoopFib } from '../../../src/fib/noop.js';
import type { FibApplyResult, FibChange, FibRoute } from '../../../src/fib/types.js';

const r4 = (prefix: string, ...via: string[]): FibRoute => ({
  family: 4,
  prefix,
  nextHops: via.map((v) => ({ via: v, dev: 'eth0' })),
});

/** Refuses 10.0.9.0/24 (as the kernel does for an unreachable gateway) while `refuse` is set. */
class PickyFib extends NoopFib {
  refuse = true;
  override async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
    const bad = changes.filter((c) => this.refuse && c.op !== 'delete' && c.route.prefix === '10.0.9.0/24');
    await super.apply(changes.filter((c) => !bad.includes(c)));
    return { failed: bad.map((change) => ({ change, error: 'Nexthop has invalid gateway' })) };
  }
}

function manual(port: NoopFib) {
  const queue: (() => void)[] = [];
  const driver = new FibDriver(port, { defer: (fn) => queue.push(fn) });
  const turn = async () => {
    for (const fn of queue.splice(0)) fn();
    await driver.idle();
  };
  return { driver, turn };
}

const byPrefix = (d: FibDriver) =>
  Object.fromEntries(d.routes().map((r) => [r.route.prefix, { state: r.state, error: r.error }]));

describe('FIB listing', () => {
  it('installed, waiting before the flush, refused with the error, leftover from an earlier run', async () => {
    const port = new PickyFib([r4('10.0.7.0/24', '192.0.2.1')]);
    const { driver, turn } = manual(port);
    await driver.start({ hold: true });
    driver.set(r4('10.0.1.0/24', '192.0.2.1', '192.0.2.2'));
    driver.set(r4('10.0.9.0/24', '192.0.2.99'));
    expect(byPrefix(driver)).toEqual({
      '10.0.1.0/24': { state: 'waiting', error: undefined },
      '10.0.9.0/24': { state: 'waiting', error: undefined },
      '10.0.7.0/24': { state: 'leftover', error: undefined },
    });
    await turn();
    expect(byPrefix(driver)).toEqual({
      '10.0.1.0/24': { state: 'installed', error: undefined },
      '10.0.9.0/24': { state: 'refused', error: 'Nexthop has invalid gateway' },
      '10.0.7.0/24': { state: 'leftover', error: undefined },
    });
    expect(driver.routes().find((r) => r.route.prefix === '10.0.1.0/24')?.route.nextHops).toHaveLength(2);

    // The gateway became reachable: the retry succeeds and the error is gone; the leftover goes at endStartup.
    port.refuse = false;
    driver.retryFailed();
    await turn();
    driver.endStartup();
    await driver.idle();
    expect(byPrefix(driver)).toEqual({
      '10.0.1.0/24': { state: 'installed', error: undefined },
      '10.0.9.0/24': { state: 'installed', error: undefined },
    });
  });
});
