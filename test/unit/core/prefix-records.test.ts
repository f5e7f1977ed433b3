/**
 * The typed-array per-prefix records (src/core/prefix-records.ts): counts, outage windows in a
 * bounded ring per prefix with totals covering all of them, slots reused after removal.
 */
import { describe, expect, it } from 'vitest';
import { PrefixRecords } from '../../../src/core/prefix-records.js';

describe('PrefixRecords', () => {
  it('keeps the last windows, totals over all of them, and an open window across the ring', () => {
    const r = new PrefixRecords(2);
    const i = r.add(4, 100, 0, 0);
    r.open(i, 'no-fib', 5); // stays open while no-best windows come and go
    for (let k = 0; k < 3; k++) {
      r.open(i, 'no-best', 10 + k * 10);
      r.open(i, 'no-best', 11 + k * 10); // already open: ignored
      expect(r.close(i, 'no-best', 15 + k * 10)).toBe(5);
    }
    expect(r.close(i, 'no-best', 100)).toBe(0); // none open
    expect(r.outageCountOf(i)).toBe(4);
    expect(r.outages(i)).toEqual([
      { kind: 'no-best', start: 20, end: 25 },
      { kind: 'no-best', start: 30, end: 35 },
    ]);
    expect(r.outageMs(i, 'no-best', 1000)).toBe(15);
    // The no-fib window left the ring, its time still counts (open: up to now).
    expect(r.outageMs(i, 'no-fib', 45)).toBe(40);
    expect(r.close(i, 'no-fib', 50)).toBe(45);
    expect(r.outageMs(i, 'no-fib', 1000)).toBe(45);
  });

  it('counts changes and flaps; grows its columns and reuses removed slots', () => {
    const r = new PrefixRecords();
    const ids = Array.from({ length: 200 }, (_, n) => r.add(4, n, n, n));
    expect(new Set(ids).size).toBe(200);
    r.changed(ids[150], 500, true);
    r.changed(ids[150], 600, false);
    expect([r.changesOf(ids[150]), r.flapsOf(ids[150]), r.lastChangeOf(ids[150])]).toEqual([2, 1, 600]);
    expect([r.keyOf(ids[150]), r.familyOf(ids[150]), r.firstSeenOf(ids[150])]).toEqual([150, 4, 150]);
    const bytes = r.bytes;
    r.remove(ids[7]);
    expect(r.size).toBe(199);
    const again = r.add(6, '20010db8/32', 1, 1);
    expect(again).toBe(ids[7]);
    expect([r.familyOf(again), r.flapsOf(again), r.outages(again)]).toEqual([6, 0, []]);
    expect(r.bytes).toBe(bytes);
    // About 140 bytes a prefix with 4 windows, no object per prefix.
    expect(bytes / 256).toBeLessThan(150);
  });
});
