/**
 * The monitoring routes of the HTTP API: MRT (RFC 6396) and BMP (RFC 7854).
 *   POST /api/mrt/dump {file}  → a TABLE_DUMP_V2 snapshot written by the daemon to `file` (absolute)
 *   GET  /api/mrt              → the `mrt:` recorder's file and counters (404 without `mrt:`)
 *   GET  /api/bmp              → each BMP station: state, messages sent, drops, reconnects
 * Bad input 400 with `{ error }`.
 */
import { isAbsolute } from 'node:path';
import type { BmpStationView } from '../bmp/station.js';
import type { Speaker } from '../core/speaker.js';
import { type MrtRecorder, writeTableDump } from '../mrt/recorder.js';

type Answer = readonly [status: number, body: unknown];

/** The MRT recorder and BMP stations the daemon runs (set by `rackbgp run`). */
export interface Monitoring {
  mrt?: MrtRecorder;
  bmp: { status(): BmpStationView }[];
  /** Sends the BMP terminations and closes the stations (rackbgp run at exit). */
  stop?: () => Promise<void>;
}

export function monitoringGet(m: Monitoring, path: string): Answer | undefined {
  if (path === '/api/bmp') return [200, m.bmp.map((s) => s.status())];
  if (path !== '/api/mrt') return undefined;
  if (!m.mrt) return [404, { error: 'no mrt: section in the configuration' }];
  return [200, { file: m.mrt.currentFile, ...m.mrt.stats }];
}

export function monitoringPost(
  speaker: Speaker,
  path: string,
  body: Record<string, unknown>,
): Answer | undefined {
  if (path !== '/api/mrt/dump') return undefined;
  const file = body.file;
  if (typeof file !== 'string' || !file) return [400, { error: 'file must be a path' }];
  if (!isAbsolute(file))
    return [400, { error: `file must be an absolute path (the daemon writes it): ${file}` }];
  try {
    return [200, { file, ...writeTableDump(speaker, file) }];
  } catch (e) {
    return [400, { error: (e as Error).message }];
  }
}
