/**
 * Prometheus series of the BMP stations (RFC 7854) and the MRT recorder (RFC 6396), collected on
 * scrape from the service's monitoring view: messages sent and dropped (a slow station), connects.
 */
import type { BgpService } from '../api/service.js';

/** Registers one series and how to fill it at scrape time (metrics.ts). */
export type SeriesFn = <L extends string>(
  kind: 'gauge' | 'counter',
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: (set: (labels: Record<L, string>, value: number) => void) => void,
) => unknown;

export function monitoringMetrics(service: BgpService, series: SeriesFn): void {
  const stations = () => service.monitoring.bmp.map((s) => s.status());
  const each =
    (pick: (s: ReturnType<typeof stations>[number]) => number) =>
    (set: (l: Record<'station', string>, v: number) => void) => {
      for (const s of stations()) set({ station: `${s.address}:${s.port}` }, pick(s));
    };
  series(
    'gauge',
    'bmp_station_up',
    '1 while connected to the BMP station',
    ['station'],
    each((s) => (s.state === 'up' ? 1 : 0)),
  );
  series(
    'counter',
    'bmp_messages_sent_total',
    'BMP messages queued to the station',
    ['station'],
    each((s) => s.messages),
  );
  series(
    'counter',
    'bmp_messages_dropped_total',
    'BMP messages dropped because the station did not keep up (buffer-size); the station is resynchronised',
    ['station'],
    each((s) => s.dropped),
  );
  series(
    'counter',
    'bmp_connects_total',
    'connections made to the BMP station',
    ['station'],
    each((s) => s.connects),
  );
  series(
    'gauge',
    'bmp_queued_bytes',
    'octets waiting for the BMP station',
    ['station'],
    each((s) => s.queuedBytes),
  );
  series('counter', 'mrt_records_total', 'MRT records written by the mrt: recorder', [], (set) => {
    const m = service.monitoring.mrt;
    if (m) set({}, m.stats.records);
  });
  series('counter', 'mrt_write_errors_total', 'MRT writes or file rotations that failed', [], (set) => {
    const m = service.monitoring.mrt;
    if (m) set({}, m.stats.errors);
  });
}
