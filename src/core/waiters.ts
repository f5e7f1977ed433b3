/**
 * Promises for integration tests (the library API): wait until a prefix has a best path in the
 * Loc-RIB (and a path from a given neighbor, if asked) or a neighbor is Established. Event-driven, no polling; every timer and
 * listener is removed when the promise settles.
 */
import type { Dest } from '../rib/loc-rib.js';
import { keyFromText, keyToText } from '../rib/prefix-key.js';
import type { NeighborSnapshot, RouteSnapshot } from './snapshot.js';

export interface WaitOptions {
  /** Milliseconds before the promise rejects (default 30 s). */
  readonly timeout?: number;
}

export interface PrefixWaitOptions extends WaitOptions {
  /** Only a path learned from this neighbor counts. */
  readonly neighbor?: string;
}

/** The parts of a Speaker the waiters use (kept narrow so core/speaker.ts and this file do not import each other). */
export interface Waitable {
  routes(filter: { prefix?: string }): RouteSnapshot[];
  neighbors(): NeighborSnapshot[];
  readonly routing: { onChange(fn: (dests: readonly Dest[]) => void): () => void };
  on(event: 'state', fn: (e: { neighbor: string }) => void): unknown;
  off(event: 'state', fn: (e: { neighbor: string }) => void): unknown;
}

const DEFAULT_TIMEOUT = 30_000;

/** The route once the decision process selected a best path for it (and one path is from `neighbor`). */
function match(s: Waitable, prefix: string, neighbor?: string): RouteSnapshot | undefined {
  const [r] = s.routes({ prefix });
  // A path just received is in the RIB before the decision runs (at the end of the loop turn).
  if (!r?.paths.some((p) => p.best)) return undefined;
  if (neighbor === undefined) return r;
  return r.paths.some((p) => p.peer === neighbor) ? r : undefined;
}

export function waitForPrefix(
  s: Waitable,
  prefix: string,
  o: PrefixWaitOptions = {},
): Promise<RouteSnapshot> {
  const key = keyFromText(prefix);
  if (!key) return Promise.reject(new TypeError(`not a prefix: ${prefix}`));
  const text = keyToText(key.family, key.key);
  const now = match(s, text, o.neighbor);
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const done = () => {
      unsubscribe();
      clearTimeout(timer);
    };
    const unsubscribe = s.routing.onChange((dests) => {
      if (!dests.some((d) => d.family === key.family && d.key === key.key)) return;
      const r = match(s, text, o.neighbor);
      if (r) {
        done();
        resolve(r);
      }
    });
    const timer = setTimeout(() => {
      done();
      const from = o.neighbor ? ` from ${o.neighbor}` : '';
      const states =
        s
          .neighbors()
          .map((n) => `${n.address} ${n.state}`)
          .join(', ') || 'no neighbors';
      reject(
        new Error(
          `timed out after ${o.timeout ?? DEFAULT_TIMEOUT} ms waiting for ${text}${from} (${states})`,
        ),
      );
    }, o.timeout ?? DEFAULT_TIMEOUT);
  });
}

export function waitForEstablished(
  s: Waitable,
  address: string,
  o: WaitOptions = {},
): Promise<NeighborSnapshot> {
  const find = () => s.neighbors().find((n) => n.address === address && n.state === 'Established');
  const now = find();
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const onState = (e: { neighbor: string }) => {
      if (e.neighbor !== address) return;
      const n = find();
      if (n) {
        done();
        resolve(n);
      }
    };
    const done = () => {
      s.off('state', onState);
      clearTimeout(timer);
    };
    s.on('state', onState);
    const timer = setTimeout(() => {
      done();
      const n = s.neighbors().find((x) => x.address === address);
      const last = n?.counters.lastError?.reason;
      reject(
        new Error(
          `timed out after ${o.timeout ?? DEFAULT_TIMEOUT} ms waiting for ${address} Established (${n ? `state ${n.state}${last ? `, last error: ${last}` : ''}` : 'no such neighbor'})`,
        ),
      );
    }, o.timeout ?? DEFAULT_TIMEOUT);
  });
}
