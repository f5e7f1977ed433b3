import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BgpService, FibSummary } from '../../../src/api/service.js';
import { createMetrics } from '../../../src/metrics/metrics.js';

/** The parts of the service the collectors read, with an empty RIB and no neighbors. */
function fakeService(fib: FibSummary, speaker = new EventEmitter(), unknownConnections = 0): BgpService {
  return {
    speaker: Object.assign(speaker, { sessions: { stats: { unknownConnections } } }),
    neighbors: () => [],
    neighbor: () => undefined,
    ribSummary: () => ({
      families: [],
      attributeSets: 0,
      exportedAttributeSets: 0,
      updateGroups: [],
      sharedUpdates: 0,
      memory: { rss: 0, heapUsed: 0 },
    }),
    fib: () => fib,
  } as unknown as BgpService;
}

describe('metrics', () => {
  it('bgp_fib_operations_total by op and result from the FIB state', async () => {
    const m = createMetrics(
      fakeService({
        enabled: true,
        available: true,
        state: {
          desired: 3,
          installed: 2,
          dirty: 0,
          failed: 1,
          operations: {
            add: { ok: 3, refused: 1 },
            replace: { ok: 1, refused: 0 },
            delete: { ok: 1, refused: 2 },
          },
        },
      }),
      { defaultMetrics: false },
    );
    const text = await m.scrape();
    expect(text).toContain('bgp_fib_operations_total{op="add",result="ok"} 3');
    expect(text).toContain('bgp_fib_operations_total{op="add",result="refused"} 1');
    expect(text).toContain('bgp_fib_operations_total{op="replace",result="ok"} 1');
    expect(text).toContain('bgp_fib_operations_total{op="delete",result="refused"} 2');
    expect(text).toContain('bgp_fib_routes 2');
  });

  it('bgp_unknown_connections_total from the session manager count', async () => {
    const m = createMetrics(fakeService({ enabled: false, available: false }, new EventEmitter(), 1000), {
      defaultMetrics: false,
    });
    expect(await m.scrape()).toMatch(/^bgp_unknown_connections_total 1000$/m);
  });

  it('no FIB series with fib: false', async () => {
    const m = createMetrics(fakeService({ enabled: false, available: false }), { defaultMetrics: false });
    const text = await m.scrape();
    expect(text).not.toMatch(/^bgp_fib_operations_total\{/m);
  });

  it('bgp_update_processing_seconds observes every flush the speaker reports', async () => {
    const speaker = new EventEmitter();
    const m = createMetrics(fakeService({ enabled: false, available: false }, speaker), {
      defaultMetrics: false,
    });
    speaker.emit('flush', { seconds: 0.0003, destinations: 10 });
    speaker.emit('flush', { seconds: 0.2, destinations: 5000 });
    const text = await m.scrape();
    expect(text).toContain('bgp_update_processing_seconds_count 2');
    expect(text).toContain('bgp_update_processing_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('bgp_update_processing_seconds_bucket{le="0.5"} 2');
    expect(text).toContain('bgp_update_processing_seconds_sum 0.2003');
  });
});
