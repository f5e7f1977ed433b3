/**
 * The event journal (issue 15 §1): a bounded ring of what happened, each event with a sequence
 * number that only grows and a high-resolution timestamp. Events are stored as columns (typed
 * arrays and plain arrays of references) and rendered to JSON only when read, so the per-prefix
 * route events of a full table cost a few array stores each. Pure: time comes from a Clock.
 * It does not know where events come from (src/core/journal-wiring.ts) or the per-prefix summary
 * (src/core/prefix-history.ts).
 */
import { keyFromText, keyToText, type PrefixKey } from '../rib/prefix-key.js';
import type { Path } from '../rib/types.js';
import type { Clock } from '../util/clock.js';

export const EVENT_TYPES = [
  'session-state',
  'session-up',
  'session-down',
  'eor-sent',
  'eor-received',
  'gr-helper-start',
  'gr-helper-end',
  'route-announce',
  'route-replace',
  'route-withdraw',
  'route-stale',
  'best-change',
  'ecmp-change',
  'path-announce',
  'path-replace',
  'path-withdraw',
  'fib-install',
  'fib-remove',
  'fib-refuse',
  'reload',
  'fault-start',
  'fault-end',
  'gr-restart-begin',
  'gr-restart-eor',
  'gr-restart-end',
  'bfd-state',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const CODE = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));
export const typeCode = (t: EventType): number => CODE.get(t) as number;
export const isEventType = (t: string): t is EventType => CODE.has(t);

/**
 * Route events whose two detail columns are path sets (before, after), rendered lazily: changes of
 * the selection (the best path and the ECMP set, RFC 4271 §9.1.2) ...
 */
export const ROUTE = {
  announce: typeCode('route-announce'),
  replace: typeCode('route-replace'),
  withdraw: typeCode('route-withdraw'),
  stale: typeCode('route-stale'),
  /** A different best path. */
  best: typeCode('best-change'),
  /** The same best path, a different ECMP set. */
  ecmp: typeCode('ecmp-change'),
} as const;

/** … and of one path outside the selection before and after (not best, not in the ECMP set). */
export const PATH = {
  announce: typeCode('path-announce'),
  replace: typeCode('path-replace'),
  withdraw: typeCode('path-withdraw'),
} as const;

/** A selection as the RIB holds it: the best path, the ECMP set, or nothing. */
export type PathSet = Path | readonly Path[] | null;

export interface JournalEvent {
  readonly seq: number;
  /** Wall-clock time, ISO 8601 with milliseconds. */
  readonly time: string;
  /** Milliseconds since the epoch, sub-millisecond resolution, monotonic within the process. */
  readonly t: number;
  readonly type: EventType;
  readonly peer?: string;
  readonly prefix?: string;
  readonly [detail: string]: unknown;
}

export interface EventFilter {
  /** The first sequence number wanted (inclusive). */
  readonly since?: number;
  readonly peer?: string;
  readonly prefix?: string;
  readonly type?: EventType;
  readonly limit?: number;
  /** Only the last `tail` matching events (from `since` on), instead of the first `limit`. */
  readonly tail?: number;
}

export interface JournalOptions {
  /** Events kept; older ones are overwritten (0: nothing is kept). */
  readonly size: number;
  readonly clock: Clock;
  /** Epoch milliseconds at clock.now() = 0 (the real clock: performance.timeOrigin). */
  readonly origin: number;
}

export interface JournalStats {
  readonly size: number;
  /** Events held now. */
  readonly length: number;
  /** Events ever recorded, and those overwritten by newer ones. */
  readonly recorded: number;
  readonly dropped: number;
  readonly oldest: number;
  readonly next: number;
}

/** A next hop as events show it: who sent the path and where it points. */
export interface HopView {
  readonly peer: string;
  readonly nextHop?: string;
  readonly pathId?: number;
  readonly stale?: true;
}

/**
 * A path as events show it. Paths are rendered when read and their stale mark changes in place,
 * so `stale` is shown only by route-stale events, for the paths the event is about.
 */
export function pathView(p: Path, stale = false): HopView {
  const a = p.attrs.attrs;
  return {
    peer: p.peer.id === 0 ? 'local' : p.peer.address,
    ...(a.nextHop !== undefined && { nextHop: a.nextHop }),
    ...(p.pathId !== 0 && { pathId: p.pathId }),
    ...(stale && { stale: true as const }),
  };
}

export const setPaths = (s: PathSet): readonly Path[] => (s === null ? [] : 'peer' in s ? [s] : s);
export const setView = (s: PathSet): HopView[] => setPaths(s).map((p) => pathView(p));

export class Journal {
  readonly size: number;
  private readonly clock: Clock;
  private readonly origin: number;
  private readonly times: Float64Array;
  private readonly types: Uint8Array;
  /** 4/6 with a RIB key in `prefixes`, 0 with prefix text (or none). */
  private readonly families: Uint8Array;
  private readonly peers: (string | undefined)[];
  private readonly prefixes: (PrefixKey | undefined)[];
  /** Detail columns: route events hold (before, after) path sets, others a detail object. */
  private readonly a: unknown[];
  private readonly b: unknown[];
  /** Sequence number the next event gets (the first is 1). */
  private nextSeq = 1;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(o: JournalOptions) {
    this.size = Math.max(0, Math.floor(o.size));
    this.clock = o.clock;
    this.origin = o.origin;
    const n = this.size;
    this.times = new Float64Array(n);
    this.types = new Uint8Array(n);
    this.families = new Uint8Array(n);
    this.peers = new Array(n).fill(undefined);
    this.prefixes = new Array(n).fill(undefined);
    this.a = new Array(n).fill(undefined);
    this.b = new Array(n).fill(undefined);
  }

  /** The journal's time now (epoch ms, high resolution): one reading serves a whole batch. */
  now(): number {
    return this.origin + this.clock.now();
  }

  get next(): number {
    return this.nextSeq;
  }

  /** The oldest sequence number still held (= next when empty). */
  get oldest(): number {
    return Math.max(1, this.nextSeq - this.size);
  }

  stats(): JournalStats {
    const recorded = this.nextSeq - 1;
    const length = Math.min(recorded, this.size);
    return {
      size: this.size,
      length,
      recorded,
      dropped: recorded - length,
      oldest: this.oldest,
      next: this.nextSeq,
    };
  }

  /**
   * The hot path: one event as columns, nothing rendered. `family` 4/6 with a RIB key as `prefix`,
   * or 0 with prefix text (or no prefix). Returns the event's sequence number (0 when disabled).
   */
  push(
    type: number,
    t: number,
    peer: string | undefined,
    family: 0 | 4 | 6,
    prefix: PrefixKey | undefined,
    a: unknown,
    b: unknown,
  ): number {
    if (this.size === 0) return 0;
    const seq = this.nextSeq++;
    const i = seq % this.size;
    this.times[i] = t;
    this.types[i] = type;
    this.families[i] = family;
    this.peers[i] = peer;
    this.prefixes[i] = prefix;
    this.a[i] = a;
    this.b[i] = b;
    if (this.listeners.size && !this.notifyScheduled) {
      this.notifyScheduled = true;
      queueMicrotask(() => this.notify());
    }
    return seq;
  }

  /** An event with a plain detail object (sessions, reloads, faults): `prefix` as text. */
  add(
    type: EventType,
    fields: { peer?: string; prefix?: string } & Record<string, unknown>,
    t = this.now(),
  ): number {
    const { peer, prefix, ...detail } = fields;
    return this.push(typeCode(type), t, peer, 0, prefix, detail, undefined);
  }

  /** Called (once per microtask at most) after new events; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    this.notifyScheduled = false;
    for (const fn of [...this.listeners]) fn();
  }

  /** The event with sequence number `seq`, rendered; undefined when overwritten or not yet there. */
  get(seq: number): JournalEvent | undefined {
    if (seq < this.oldest || seq >= this.nextSeq) return undefined;
    return this.render(seq);
  }

  /** Events from `since` (default: the oldest held) matching the filter, oldest first. */
  query(f: EventFilter = {}): JournalEvent[] {
    const type = f.type === undefined ? -1 : typeCode(f.type);
    const want = f.prefix === undefined ? undefined : prefixMatcher(f.prefix);
    const matches = (seq: number) => {
      const i = seq % this.size;
      if (type >= 0 && this.types[i] !== type) return false;
      if (want && !want(this.families[i], this.prefixes[i])) return false;
      return f.peer === undefined || this.involves(i, f.peer);
    };
    const first = Math.max(f.since ?? 0, this.oldest);
    const found: number[] = [];
    if (f.tail !== undefined) {
      for (let seq = this.nextSeq - 1; seq >= first && found.length < f.tail; seq--)
        if (matches(seq)) found.push(seq);
      found.reverse();
    } else {
      const limit = f.limit ?? Number.POSITIVE_INFINITY;
      for (let seq = first; seq < this.nextSeq && found.length < limit; seq++)
        if (matches(seq)) found.push(seq);
    }
    return found.map((seq) => this.render(seq));
  }

  /** The event names the peer, or (route events) a path before or after is from it. */
  private involves(i: number, peer: string): boolean {
    if (this.peers[i] === peer) return true;
    if (!isRouteCode(this.types[i])) return false;
    const from = (s: unknown) => setPaths(s as PathSet).some((p) => p.peer.address === peer);
    return from(this.a[i]) || (!isWithdrawCode(this.types[i]) && from(this.b[i]));
  }

  private render(seq: number): JournalEvent {
    const i = seq % this.size;
    const t = this.times[i];
    const code = this.types[i];
    const fam = this.families[i];
    const key = this.prefixes[i];
    const peer = this.peers[i];
    const base = {
      seq,
      time: new Date(t).toISOString(),
      t: Math.round(t * 1000) / 1000,
      type: EVENT_TYPES[code],
      ...(peer !== undefined && { peer }),
      ...(key !== undefined && { prefix: fam ? keyToText(fam as 4 | 6, key) : String(key) }),
    };
    if (!isRouteCode(code)) return { ...base, ...(this.a[i] as object) };
    const before = setView(this.a[i] as PathSet);
    if (isWithdrawCode(code)) return { ...base, before, after: [], cause: this.b[i] as string };
    if (code === ROUTE.stale) {
      // (selection, the prefix's stale paths): the selection marked where it holds them.
      const stale = setPaths(this.b[i] as PathSet);
      const after = setPaths(this.a[i] as PathSet).map((p) => pathView(p, stale.includes(p)));
      return { ...base, before, after, stale: stale.map((p) => pathView(p, true)) };
    }
    return { ...base, before, after: setView(this.b[i] as PathSet) };
  }
}

const isRouteCode = (c: number): boolean => c >= ROUTE.announce && c <= PATH.withdraw;
const isWithdrawCode = (c: number): boolean => c === ROUTE.withdraw || c === PATH.withdraw;

/** A test on (family, stored prefix) for one prefix typed by a user, in any spelling. */
function prefixMatcher(text: string): (fam: number, stored: PrefixKey | undefined) => boolean {
  const k = keyFromText(text);
  if (!k) return (fam, stored) => fam === 0 && stored === text;
  const canonical = keyToText(k.family, k.key);
  return (fam, stored) =>
    stored !== undefined && (fam === 0 ? stored === canonical : fam === k.family && stored === k.key);
}
