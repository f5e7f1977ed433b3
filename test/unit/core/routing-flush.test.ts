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
});
