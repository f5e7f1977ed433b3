/**
 * The quick transit benchmark (bench/scenarios/transit.ts) for rackbgp and BIRD 2 with 5,000 /24s:
 * generator → DUT → BIRD 2 sink in namespaces. The sink must import every route, and rackbgp must
 * pack the shared attribute set: fewer UPDATEs to the sink than prefixes / 50 (never one per prefix).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../../bench/harness/duts.js';
import type { Options } from '../../bench/harness/scenario.js';
import { transitRun } from '../../bench/scenarios/transit.js';
import { isRoot, requireTools } from './support/netns.js';

const missing = requireTools(BIN.bird2, '/opt/bird2/usr/sbin/birdc', '/usr/bin/tcpdump');
const skip = !isRoot() || missing.length > 0;
const ROUTES = 5000;

const options: Options = {
  quick: true,
  cpuProf: false,
  rackbgp: resolve(import.meta.dirname, '../../dist/src/cli/main.js'),
  keep: false,
  timeoutS: 30,
  log: () => {},
};

describe.skipIf(skip)('bench: quick transit', () => {
  it('BIRD 2 and rackbgp carry 5,000 /24s to the sink; rackbgp packs them', async () => {
    const [bird, rack] = await Promise.all([
      transitRun('bird2', options, ROUTES, 0),
      transitRun('rackbgp', options, ROUTES, 0),
    ]);
    for (const r of [bird, rack]) {
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.routes).toBe(ROUTES);
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
      expect(r.peakRssMiB).toBeGreaterThan(1);
      expect(r.captureMissing).toBe(0);
      expect(r.updatesToSink).toBeGreaterThan(0);
    }
    // 5,000 /24s with one attribute set fit in 5 UPDATEs of 4,096 octets.
    expect(rack.updatesToSink).toBeLessThan(ROUTES / 50);
  }, 60_000);
});
