/**
 * The marker `rackbgp restart` leaves for the next run (RFC 4724 §4.1): one JSON file per router-id
 * in the state directory, read and removed at the next start. A marker older than its restart time
 * is not a restart any more: the neighbors have dropped our routes by then.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RestartMarker {
  readonly routerId: string;
  readonly pid: number;
  /** Wall-clock ms of the restart. */
  readonly at: number;
  /** Seconds the neighbors keep our routes (the largest restart time we announced). */
  readonly restartTime: number;
  /** The kernel routes were left in place (fib: true). */
  readonly fibKept: boolean;
  /** Dynamic neighbors (listen ranges) up with graceful restart at the restart: the next run waits for them too. */
  readonly dynamicNeighbors?: readonly string[];
}

export const markerPath = (dir: string, routerId: string) => join(dir, `restart-${routerId}.json`);

export function writeRestartMarker(dir: string, m: RestartMarker): string {
  mkdirSync(dir, { recursive: true });
  const file = markerPath(dir, m.routerId);
  writeFileSync(file, `${JSON.stringify(m)}\n`, { mode: 0o644 });
  return file;
}

export type MarkerReading =
  | { readonly kind: 'none' }
  | { readonly kind: 'restart'; readonly marker: RestartMarker; readonly ageMs: number }
  | { readonly kind: 'expired' | 'invalid'; readonly why: string };

/** Reads and removes the marker; `now` is the wall clock in ms. */
export function consumeRestartMarker(dir: string, routerId: string, now: number): MarkerReading {
  const file = markerPath(dir, routerId);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { kind: 'none' };
  }
  rmSync(file, { force: true });
  let m: RestartMarker;
  try {
    m = JSON.parse(text) as RestartMarker;
  } catch {
    return { kind: 'invalid', why: `${file} is not JSON` };
  }
  if (m.routerId !== routerId || typeof m.at !== 'number' || typeof m.restartTime !== 'number')
    return { kind: 'invalid', why: `${file} is not a restart marker of router-id ${routerId}` };
  const ageMs = now - m.at;
  if (ageMs < 0 || ageMs > m.restartTime * 1000)
    return {
      kind: 'expired',
      why: `the restart was ${Math.round(ageMs / 1000)} s ago, longer than the restart time ${m.restartTime} s`,
    };
  return { kind: 'restart', marker: m, ageMs };
}
