import { describe, expect, it } from 'vitest';
import { FibReconciler, sameNextHops } from '../../../src/fib/reconciler.js';
import type { FibChange, FibRoute } from '../../../src/fib/types.js';

const r4 = (prefix: string, ...via: string[]): FibRoute => ({
  family: 4,
  prefix,
  nextHops: via.map((v) => ({ via: v })),
});

const summary = (changes: FibChange[]) =>
  changes.map((c) =>
    c.op === 'delete'
      ? `delete ${c.prefix}`
      : `${c.op} ${c.route.prefix} ${c.route.nextHops.map((h) => h.via)}`,
  );

describe('FibReconciler.flush', () => {
  it('adds new routes, replaces changed ones and deletes removed ones', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.setDesired(r4('10.0.1.0/24', '192.0.2.1', '192.0.2.2'));
    expect(summary(f.flush())).toEqual(['add 10.0.0.0/24 192.0.2.1', 'add 10.0.1.0/24 192.0.2.1,192.0.2.2']);
    f.setDesired(r4('10.0.0.0/24', '192.0.2.9'));
    f.removeDesired('10.0.1.0/24');
    expect(summary(f.flush())).toEqual(['replace 10.0.0.0/24 192.0.2.9', 'delete 10.0.1.0/24']);
    expect(f.flush()).toEqual([]);
  });

  it('emits nothing when an ECMP set only changes order', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1', '192.0.2.2', '192.0.2.3'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.3', '192.0.2.1', '192.0.2.2'));
    expect(f.flush()).toEqual([]);
  });

  it('replaces when one member of an ECMP set changes or the set grows', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1', '192.0.2.2'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1', '192.0.2.3'));
    expect(summary(f.flush())).toEqual(['replace 10.0.0.0/24 192.0.2.1,192.0.2.3']);
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1', '192.0.2.3', '192.0.2.4'));
    expect(summary(f.flush())).toEqual(['replace 10.0.0.0/24 192.0.2.1,192.0.2.3,192.0.2.4']);
  });

  it('coalesces several updates of one prefix between flushes into one change', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.setDesired(r4('10.0.0.0/24', '192.0.2.2'));
    f.setDesired(r4('10.0.0.0/24', '192.0.2.3'));
    expect(summary(f.flush())).toEqual(['add 10.0.0.0/24 192.0.2.3']);
  });

  it('emits nothing for a route added and removed before a flush', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.removeDesired('10.0.0.0/24');
    expect(f.flush()).toEqual([]);
    expect(f.stats()).toEqual({ desired: 0, installed: 0, dirty: 0, failed: 0 });
  });

  it('returns to the installed set without a change when a flap ends where it began', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.2'));
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    expect(f.flush()).toEqual([]);
  });

  it('treats empty next hops as removal', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24'));
    expect(summary(f.flush())).toEqual(['delete 10.0.0.0/24']);
  });

  it('derives the family of a delete from the prefix', () => {
    const f = new FibReconciler();
    f.setDesired({ family: 6, prefix: 'fd00:1::/64', nextHops: [{ via: 'fe80::1', dev: 'eth1' }] });
    f.flush();
    f.removeDesired('fd00:1::/64');
    expect(f.flush()).toEqual([{ op: 'delete', family: 6, prefix: 'fd00:1::/64' }]);
  });

  it('compares interfaces when the wanted next hop names one', () => {
    const f = new FibReconciler();
    f.setDesired({ family: 6, prefix: 'fd00:1::/64', nextHops: [{ via: 'fe80::1', dev: 'eth1' }] });
    f.flush();
    f.setDesired({ family: 6, prefix: 'fd00:1::/64', nextHops: [{ via: 'fe80::1', dev: 'eth2' }] });
    expect(f.flush().map((c) => c.op)).toEqual(['replace']);
  });
});

describe('FibReconciler.applied', () => {
  it('forgets a refused add and retries it only on retryFailed()', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    const changes = f.flush();
    f.applied({ failed: [{ change: changes[0], error: 'File exists' }] });
    expect(f.installedRoute('10.0.0.0/24')).toBeUndefined();
    expect(f.stats().failed).toBe(1);
    expect(f.flush()).toEqual([]);
    f.retryFailed();
    expect(summary(f.flush())).toEqual(['add 10.0.0.0/24 192.0.2.1']);
  });

  it('rewrites a route whose replace was refused once it changes again', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.2'));
    const [replace] = f.flush();
    f.applied({ failed: [{ change: replace, error: 'Nexthop has invalid gateway' }] });
    expect(f.installedRoute('10.0.0.0/24')).toBeNull();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    expect(summary(f.flush())).toEqual(['replace 10.0.0.0/24 192.0.2.1']);
  });

  it('still deletes a route whose replace was refused when it is withdrawn', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.flush();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.2'));
    f.applied({ failed: [{ change: f.flush()[0], error: 'x' }] });
    f.removeDesired('10.0.0.0/24');
    expect(summary(f.flush())).toEqual(['delete 10.0.0.0/24']);
  });

  it('treats a refused delete as gone', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.flush();
    f.removeDesired('10.0.0.0/24');
    f.applied({ failed: [{ change: f.flush()[0], error: 'No such process' }] });
    expect(f.stats()).toEqual({ desired: 0, installed: 0, dirty: 0, failed: 0 });
  });
});

describe('FibReconciler start-up and shutdown', () => {
  const earlier = [
    r4('10.0.0.0/24', '192.0.2.1'),
    r4('10.0.1.0/24', '192.0.2.2', '192.0.2.1'),
    r4('10.0.2.0/24', '192.0.2.1'),
    r4('10.0.3.0/24', '192.0.2.1'),
  ].map((r) => ({ ...r, nextHops: r.nextHops.map((h) => ({ ...h, dev: 'eth1' })) }));

  it('keeps identical routes, fixes changed ones, deletes unwanted ones and adds missing ones', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.setDesired(r4('10.0.1.0/24', '192.0.2.1', '192.0.2.2'));
    f.setDesired(r4('10.0.2.0/24', '192.0.2.7'));
    f.setDesired(r4('10.0.9.0/24', '192.0.2.1'));
    expect(summary(f.startupReconcile(earlier)).sort()).toEqual([
      'add 10.0.9.0/24 192.0.2.1',
      'delete 10.0.3.0/24',
      'replace 10.0.2.0/24 192.0.2.7',
    ]);
    expect(f.stats()).toMatchObject({ desired: 4, installed: 4, dirty: 0 });
  });

  it('deletes everything an earlier run left when nothing is desired', () => {
    const f = new FibReconciler();
    expect(f.startupReconcile(earlier).map((c) => c.op)).toEqual(['delete', 'delete', 'delete', 'delete']);
    expect(f.shutdown(false)).toEqual([]);
  });

  it('with adopt(), keeps unwanted routes until startupReconcile() and rewrites no identical one', () => {
    const f = new FibReconciler();
    f.adopt(earlier);
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.setDesired(r4('10.0.5.0/24', '192.0.2.1'));
    expect(summary(f.flush())).toEqual(['add 10.0.5.0/24 192.0.2.1']);
    f.removeDesired('10.0.2.0/24');
    expect(summary(f.flush())).toEqual(['delete 10.0.2.0/24']);
    expect(summary(f.startupReconcile()).sort()).toEqual(['delete 10.0.1.0/24', 'delete 10.0.3.0/24']);
  });

  it('shutdown deletes every installed route, or none when keeping them', () => {
    const f = new FibReconciler();
    f.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    f.setDesired({ family: 6, prefix: 'fd00::/64', nextHops: [{ via: 'fd01::1' }] });
    f.flush();
    const g = new FibReconciler();
    g.setDesired(r4('10.0.0.0/24', '192.0.2.1'));
    g.flush();
    expect(f.shutdown(false)).toEqual([
      { op: 'delete', family: 4, prefix: '10.0.0.0/24' },
      { op: 'delete', family: 6, prefix: 'fd00::/64' },
    ]);
    expect(g.shutdown(true)).toEqual([]);
    expect(g.stats().installed).toBe(0);
  });
});

describe('sameNextHops', () => {
  it('is order-insensitive, ignores duplicates and matches a missing dev against any', () => {
    expect(sameNextHops([{ via: 'a' }, { via: 'b' }], [{ via: 'b' }, { via: 'a' }])).toBe(true);
    expect(sameNextHops([{ via: 'a' }, { via: 'a' }], [{ via: 'a' }])).toBe(true);
    expect(sameNextHops([{ via: 'a' }], [{ via: 'a', dev: 'eth0' }])).toBe(true);
    expect(sameNextHops([{ via: 'a', dev: 'eth1' }], [{ via: 'a', dev: 'eth0' }])).toBe(false);
    expect(sameNextHops([{ via: 'a' }, { via: 'b' }], [{ via: 'a' }, { via: 'c' }])).toBe(false);
    expect(sameNextHops([{ via: 'a' }], [{ via: 'a' }, { via: 'b' }])).toBe(false);
  });
});
