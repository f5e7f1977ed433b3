/**
 * Short versions of `npm run soak` (bench/soak): 300 flaps of a dynamic neighbor announcing 1,000
 * routes with the FIB on leave no neighbor, RIB path or kernel route and no extra handle or
 * descriptor, heap within the soak's tolerance; and a probe with hold time 3 gets its KEEPALIVEs
 * on time while 200,000 routes go to another peer. The full runs (10,000 flaps, 1M routes) are in
 * bench/README.md.
 */
import { describe, expect, it } from 'vitest';
import { flapSoak, heapToleranceMiB } from '../../bench/soak/flap.js';
import { keepaliveRun } from '../../bench/soak/keepalive.js';
import { isRoot, requireTools } from './support/netns.js';

const skip = !isRoot() || requireTools('/usr/sbin/ip').length > 0;
const log = () => {};

describe.skipIf(skip)('soak, short', () => {
  it('300 flaps x 1,000 routes: nothing of the dead sessions stays, handles and heap flat', async () => {
    const r = await flapSoak({ flaps: 300, routes: 1000, concurrency: 8, checkEvery: 10, fib: true, log });
    expect(r.totals.failures).toEqual([]);
    expect(r.totals.flaps).toBe(300);
    expect(r.totals.verified).toBeGreaterThan(0);
    expect(r.leftover).toEqual({ neighbors: 0, ribPaths: 0, fibInstalled: 0, kernelRoutes: 0 });
    expect(r.after.activeHandles).toBeLessThanOrEqual(r.before.activeHandles);
    expect(r.after.openFds).toBeLessThanOrEqual(r.before.openFds);
    expect(r.after.heapUsedMiB - r.before.heapUsedMiB).toBeLessThan(heapToleranceMiB(r.before));
  }, 120_000);

  it('KEEPALIVEs to a hold-3 peer stay on time while 200,000 routes go to another', async () => {
    const r = await keepaliveRun({ routes: 200_000, hold: 3, cpuProf: false, log });
    expect(r.probeClosed).toBeUndefined();
    expect(r.sinkPrefixes).toBe(200_000);
    expect(r.maxGapMs).toBeGreaterThan(0);
    expect(r.maxGapMs).toBeLessThanOrEqual(r.limitMs);
    expect(r.ok).toBe(true);
  }, 120_000);
});
