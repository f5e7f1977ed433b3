import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { Origin } from '../../../src/wire/index.js';

describe('RoutingEngine onFlush', () => {
  it('reports each flush with its duration and the destinations it changed', () => {
    const flushes: { seconds: number; destinations: number }[] = [];
    const engine = new RoutingEngine({
      local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
      decision: { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false },
      onFlush: (seconds, destinations) => flushes.push({ seconds, destinations }),
    });
    for (const p of ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']) {
      const k = keyFromText(p)!;
      engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
    }
    engine.flush();
    engine.flush();
    expect(flushes.map((f) => f.destinations)).toEqual([3, 0]);
    for (const f of flushes) {
      expect(f.seconds).toBeGreaterThanOrEqual(0);
      expect(f.seconds).toBeLessThan(1);
    }
  });

  it('decides and exports at most flushChunk destinations per turn and schedules the rest', () => {
    const flushes: number[] = [];
    const engine = new RoutingEngine({
      local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
      decision: { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false },
      flushChunk: 2,
      onFlush: (_s, destinations) => flushes.push(destinations),
    });
    for (let i = 1; i <= 5; i++) {
      const k = keyFromText(`10.0.${i}.0/24`)!;
      engine.originate(k.family, k.key, { origin: Origin.IGP, asPath: [] });
    }
    engine.flush();
    expect(engine.rib.dirtyCount).toBe(3);
    engine.flush();
    engine.flush();
    expect(flushes).toEqual([2, 2, 1]);
    expect(engine.rib.dirtyCount).toBe(0);
    expect([...engine.rib.tables[4].values()].every((d) => d.best !== null)).toBe(true);
  });
});
