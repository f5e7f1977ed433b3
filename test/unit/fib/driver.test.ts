import { describe, expect, it } from 'vitest';
import { FibDriver } from '../../../src/fib/driver.js';
import { NoopFib } from '../../../src/fib/noop.js';
import type { FibApplyResult, FibChange, FibRoute } from '../../../src/fib/types.js';

const r4 = (prefix: string, via: string): FibRoute => ({ family: 4, prefix, nextHops: [{ via }] });

/** A driver whose "next loop turn" runs only when the test says so. */
function manual(port: NoopFib) {
  const queue: (() => void)[] = [];
  const driver = new FibDriver(port, { defer: (fn) => queue.push(fn) });
  const turn = async () => {
    for (const fn of queue.splice(0)) fn();
    await driver.idle();
  };
  return { driver, turn, queue };
}

describe('FibDriver', () => {
  it('coalesces every change made in one loop turn into one batch', async () => {
    const port = new NoopFib();
    const { driver, turn } = manual(port);
    await driver.start();
    for (let i = 0; i < 100; i++) driver.set(r4(`10.0.${i}.0/24`, '192.0.2.1'));
    driver.set(r4('10.0.0.0/24', '192.0.2.2'));
    driver.remove('10.0.99.0/24');
    expect(port.batches).toEqual([]);
    await turn();
    expect(port.batches).toHaveLength(1);
    expect(port.batches[0]).toHaveLength(99);
    expect(port.routes.get('10.0.0.0/24')?.nextHops).toEqual([{ via: '192.0.2.2' }]);
  });

  it('at start replaces nothing identical and deletes what nobody wants', async () => {
    const port = new NoopFib([r4('10.0.0.0/24', '192.0.2.1'), r4('10.0.1.0/24', '192.0.2.1')]);
    const { driver, turn } = manual(port);
    driver.set(r4('10.0.0.0/24', '192.0.2.1'));
    await driver.start();
    await turn();
    expect(port.changes()).toEqual([{ op: 'delete', family: 4, prefix: '10.0.1.0/24' }]);
    expect([...port.routes.keys()]).toEqual(['10.0.0.0/24']);
  });

  it('with hold, keeps an earlier run’s routes until endStartup()', async () => {
    const port = new NoopFib([r4('10.0.0.0/24', '192.0.2.1'), r4('10.0.1.0/24', '192.0.2.1')]);
    const { driver, turn } = manual(port);
    await driver.start({ hold: true });
    driver.set(r4('10.0.0.0/24', '192.0.2.1'));
    driver.set(r4('10.0.2.0/24', '192.0.2.1'));
    await turn();
    expect(port.changes().map((c) => c.op)).toEqual(['add']);
    expect(port.routes.size).toBe(3);
    driver.endStartup();
    await driver.idle();
    expect([...port.routes.keys()].sort()).toEqual(['10.0.0.0/24', '10.0.2.0/24']);
  });

  it('stop removes every route, or keeps them for graceful restart', async () => {
    for (const keep of [false, true]) {
      const port = new NoopFib();
      const { driver, turn } = manual(port);
      await driver.start();
      driver.set(r4('10.0.0.0/24', '192.0.2.1'));
      await turn();
      await driver.stop(keep);
      expect(port.routes.size).toBe(keep ? 1 : 0);
      expect(port.closed).toBe(true);
    }
  });

  it('hands refused changes to onFailures and does not retry them by itself', async () => {
    class Refusing extends NoopFib {
      override async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
        this.batches.push([...changes]);
        return { failed: changes.map((change) => ({ change, error: 'File exists' })) };
      }
    }
    const port = new Refusing();
    const seen: string[] = [];
    const queue: (() => void)[] = [];
    const driver = new FibDriver(port, {
      defer: (fn) => queue.push(fn),
      onFailures: (f) => seen.push(...f.map((x) => x.error)),
    });
    await driver.start();
    driver.set(r4('10.0.0.0/24', '192.0.2.1'));
    for (const fn of queue.splice(0)) fn();
    await driver.idle();
    expect(seen).toEqual(['File exists']);
    expect(queue).toEqual([]);
    driver.retryFailed();
    for (const fn of queue.splice(0)) fn();
    await driver.idle();
    expect(port.batches).toHaveLength(2);
  });

  it('brackets large batches with onBulk, and only those', async () => {
    const port = new NoopFib();
    const log: string[] = [];
    const queue: (() => void)[] = [];
    const driver = new FibDriver(port, {
      defer: (fn) => queue.push(fn),
      bulkThreshold: 3,
      onBulk: () => {
        log.push(`begin after ${port.batches.length} batches`);
        return () => log.push(`end after ${port.batches.length} batches`);
      },
    });
    await driver.start();
    const turn = async () => {
      for (const fn of queue.splice(0)) fn();
      await driver.idle();
    };
    driver.set(r4('10.0.0.0/24', '192.0.2.1'));
    await turn();
    for (let i = 1; i <= 3; i++) driver.set(r4(`10.0.${i}.0/24`, '192.0.2.1'));
    await turn();
    expect(log).toEqual(['begin after 1 batches', 'end after 2 batches']);
  });

  it('resyncs from a dump when the port fails as a whole', async () => {
    class Flaky extends NoopFib {
      failures = 1;
      override async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
        if (this.failures-- > 0) {
          // Half the batch took effect before the port lost track.
          await super.apply(changes.slice(0, 1));
          throw new Error('ip exited');
        }
        return super.apply(changes);
      }
    }
    const port = new Flaky();
    const errors: string[] = [];
    const queue: (() => void)[] = [];
    const driver = new FibDriver(port, {
      defer: (fn) => queue.push(fn),
      onError: (e) => errors.push(e.message),
    });
    await driver.start();
    driver.set(r4('10.0.0.0/24', '192.0.2.1'));
    driver.set(r4('10.0.1.0/24', '192.0.2.1'));
    for (const fn of queue.splice(0)) fn();
    await driver.idle();
    expect(errors).toEqual(['ip exited']);
    expect([...port.routes.keys()].sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    expect(port.batches.at(-1)?.map((c) => c.op)).toEqual(['add']);
  });
});

describe('FibDriver operation counts', () => {
  it('counts what was sent per operation, and what the kernel refused', async () => {
    class RefuseSome extends NoopFib {
      override async apply(changes: readonly FibChange[]): Promise<FibApplyResult> {
        await super.apply(changes);
        const refused = changes.filter((c) => c.op !== 'delete' && c.route.prefix === '10.0.9.0/24');
        return { failed: refused.map((change) => ({ change, error: 'Network is unreachable' })) };
      }
    }
    const port = new RefuseSome();
    const queue: (() => void)[] = [];
    const driver = new FibDriver(port, { defer: (fn) => queue.push(fn) });
    const turn = async () => {
      for (const fn of queue.splice(0)) fn();
      await driver.idle();
    };
    await driver.start();
    expect(driver.stats().operations).toEqual({
      add: { ok: 0, refused: 0 },
      replace: { ok: 0, refused: 0 },
      delete: { ok: 0, refused: 0 },
    });
    for (const p of ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.9.0/24'])
      driver.set(r4(p, '192.0.2.1'));
    await turn();
    driver.set(r4('10.0.1.0/24', '192.0.2.2'));
    driver.remove('10.0.2.0/24');
    await turn();
    const stats = driver.stats();
    expect(stats.operations).toEqual({
      add: { ok: 3, refused: 1 },
      replace: { ok: 1, refused: 0 },
      delete: { ok: 1, refused: 0 },
    });
    expect(stats.installed).toBe(2);
    expect(stats.failed).toBe(1);
    await driver.stop(false);
    expect(driver.stats().operations.delete).toEqual({ ok: 3, refused: 0 });
  });
});
