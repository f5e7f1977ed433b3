/** The decision runs once per turn however often it is asked, a chunk at a time, until nothing is dirty. */
import { describe, expect, it } from 'vitest';
import { DecisionTurns } from '../../../src/core/decision-turns.js';
import type { Dest, LocRib } from '../../../src/rib/loc-rib.js';
import { ManualTurns } from '../../../src/util/turns.js';

describe('DecisionTurns', () => {
  it('coalesces requests into one run per turn and runs again while work is left', () => {
    let dirty = 5;
    const rib = {
      get dirtyCount() {
        return dirty;
      },
      decide: (_o: unknown, chunk: number) => {
        const n = Math.min(chunk, dirty);
        dirty -= n;
        return Array.from({ length: n }, () => ({}) as Dest);
      },
    } as unknown as LocRib;
    const turns = new ManualTurns();
    const exported: number[] = [];
    const heard: number[] = [];
    const d = new DecisionTurns({
      rib,
      options: {} as never,
      turns,
      chunk: 2,
      export: (dests) => exported.push(dests.length),
    });
    const off = d.onChange((dests) => heard.push(dests.length));
    d.schedule();
    d.schedule();
    expect(turns.pending).toBe(1);
    turns.step();
    expect(exported).toEqual([2]);
    off();
    expect(turns.drain()).toBe(2);
    expect(exported).toEqual([2, 2, 1]);
    expect(heard).toEqual([2]);
    expect(turns.pending).toBe(0);
  });
});
