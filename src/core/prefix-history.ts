/**
 * Per-prefix history for the journal (issue 15 §1): route events from each decision run (what the
 * Loc-RIB selected before and after, RFC 4271 §9.1.2), FIB events per prefix, and a compact
 * summary per prefix that outlives the ring: last change, flap count, outage windows (no best
 * path; no FIB route) with their durations. A prefix announced once and never changed costs two
 * fields of its Dest and no map entry; a record is made at its first change. Pure: the caller
 * passes the time, the journal and a RIB lookup.
 */
import type { FibChange, FibFailure } from '../fib/types.js';
import type { Dest } from '../rib/loc-rib.js';
import { keyFromText, keyToText, type PrefixKey } from '../rib/prefix-key.js';
import type { Path } from '../rib/types.js';
import { type Journal, type PathSet, ROUTE, typeCode } from './journal.js';

export type OutageKind = 'no-best' | 'no-fib';

export interface Outage {
  readonly kind: OutageKind;
  readonly start: number;
  end: number | null;
}

/** Dests decided in one run share one of these: their last change, until they get a record. */
interface Batch {
  readonly t: number;
}

/** A prefix with a history beyond its first announcement. */
export class PrefixRecord {
  flaps = 0;
  changes = 0;
  /** The last outages (at most `maxOutages`), oldest first; `outageCount` counts them all. */
  readonly outages: Outage[] = [];
  outageCount = 0;
  readonly totalMs: Record<OutageKind, number> = { 'no-best': 0, 'no-fib': 0 };
  open: Record<OutageKind, Outage | null> = { 'no-best': null, 'no-fib': null };

  constructor(
    readonly family: 4 | 6,
    readonly key: PrefixKey,
    readonly firstSeen: number,
    public lastChange: number,
  ) {}
}

export interface OutageView {
  readonly kind: OutageKind;
  readonly start: string;
  /** null while it lasts. */
  readonly end: string | null;
  /** Its length (so far, when it lasts). */
  readonly ms: number;
}

export interface PrefixSummary {
  readonly prefix: string;
  readonly firstSeen: string;
  readonly lastChange: string;
  /** Times the prefix lost its best path. */
  readonly flaps: number;
  /** Selection changes after the first announcement (replace, best or ECMP change, loss, return). */
  readonly changes: number;
  readonly outages: readonly OutageView[];
  /** Outages ever (the list keeps the last ones) and their total length per kind. */
  readonly outageCount: number;
  readonly outageMs: Readonly<Record<OutageKind, number>>;
}

export interface HistoryTotals {
  /** Prefixes with a record, attached to a RIB entry or not. */
  readonly records: number;
  readonly detached: number;
  /** Outage time summed over every prefix (ended outages), per kind. */
  readonly outageSeconds: Readonly<Record<OutageKind, number>>;
  readonly flaps: number;
}

export interface PrefixHistoryOptions {
  readonly journal: Journal;
  readonly lookup: (family: 4 | 6, key: PrefixKey) => Dest | undefined;
  /** Records kept for prefixes no longer in the RIB; the oldest go first (default 100,000). */
  readonly maxDetached?: number;
  /** Outage windows kept per prefix, the last ones (default 4; counts and totals cover all). */
  readonly maxOutages?: number;
}

const isBatch = (h: unknown): h is Batch => h !== undefined && !(h instanceof PrefixRecord);

/** Same selection: the same path objects (a replaced path is a new object) in the same order. */
function sameSet(a: PathSet | undefined, b: PathSet): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === null) return false;
  const aa = Array.isArray(a);
  if (aa !== Array.isArray(b)) return false;
  if (!aa) return false;
  const x = a as readonly Path[];
  const y = b as readonly Path[];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Same paths by (peer, path id), so only their attributes changed: an implicit replace (RFC 4271 §3.1). */
function sameSenders(a: PathSet, b: PathSet): boolean {
  if (a === null || b === null) return false;
  const x = Array.isArray(a) ? (a as readonly Path[]) : [a as Path];
  const y = Array.isArray(b) ? (b as readonly Path[]) : [b as Path];
  if (x.length !== y.length) return false;
  // By address: a neighbor back after a restart is a new PeerInfo, its paths replace the stale ones.
  for (let i = 0; i < x.length; i++)
    if (x[i].peer.address !== y[i].peer.address || x[i].pathId !== y[i].pathId) return false;
  return true;
}

const firstPath = (s: PathSet): Path => (Array.isArray(s) ? (s as readonly Path[])[0] : (s as Path));
const peerOf = (s: PathSet): string | undefined => {
  const p = firstPath(s);
  return p.peer.id === 0 ? undefined : p.peer.address;
};

export class PrefixHistory {
  private readonly journal: Journal;
  private readonly lookup: PrefixHistoryOptions['lookup'];
  private readonly maxDetached: number;
  private readonly maxOutages: number;
  /** Records of prefixes not in the RIB now (withdrawn), in insertion order. */
  private readonly detached = new Map<PrefixKey, PrefixRecord>();
  /** Open no-fib outages by prefix text (FIB events name prefixes as text). */
  private readonly fibDown = new Map<string, PrefixRecord>();
  /** Neighbors whose paths the graceful-restart helper is keeping stale. */
  private readonly staleFrom = new Set<string>();
  private recordCount = 0;
  private flapTotal = 0;
  private readonly endedMs: Record<OutageKind, number> = { 'no-best': 0, 'no-fib': 0 };

  constructor(o: PrefixHistoryOptions) {
    this.journal = o.journal;
    this.lookup = o.lookup;
    this.maxDetached = o.maxDetached ?? 100_000;
    this.maxOutages = o.maxOutages ?? 4;
  }

  /**
   * The destinations of one decision run: a route event for each whose selection changed, and the
   * records brought up to date. Hot with a full table: no strings, no objects per unchanged prefix.
   */
  decided(dests: readonly Dest[], t = this.journal.now()): void {
    let batch: Batch | undefined;
    const j = this.journal;
    for (let n = 0; n < dests.length; n++) {
      const d = dests[n];
      const now: PathSet = d.multipath.length ? d.multipath : d.best;
      let h = d.journalHistory;
      let prev = d.journalSeen as PathSet | undefined;
      if (h === undefined && this.detached.size) {
        // A new RIB entry for a prefix withdrawn before: it continues its record.
        const r = this.detached.get(d.key);
        if (r && r.family === d.family) {
          this.detached.delete(d.key);
          h = d.journalHistory = r;
          prev = null;
        }
      }
      if (sameSet(prev, now)) {
        if (h === undefined) h = d.journalHistory = batch ??= { t };
        if (now !== null && this.staleFrom.size && this.hasStale(now))
          j.push(ROUTE.stale, t, peerOf(now), d.family, d.key, now, now);
        if (d.paths.length === 0 && h instanceof PrefixRecord) this.detach(h);
        continue;
      }
      d.journalSeen = now;
      if (prev === undefined || prev === null) {
        if (now === null) {
          if (d.paths.length === 0 && h instanceof PrefixRecord) this.detach(h);
          continue;
        }
        j.push(ROUTE.announce, t, peerOf(now), d.family, d.key, null, now);
        if (h === undefined || isBatch(h)) {
          d.journalHistory = batch ??= { t };
          continue;
        }
      } else if (now === null) {
        j.push(
          ROUTE.withdraw,
          t,
          peerOf(prev),
          d.family,
          d.key,
          prev,
          d.paths.length ? 'no usable path' : 'withdrawn',
        );
      } else {
        j.push(
          sameSenders(prev, now) ? ROUTE.replace : ROUTE.best,
          t,
          peerOf(now),
          d.family,
          d.key,
          prev,
          now,
        );
      }
      const r =
        h instanceof PrefixRecord ? h : this.newRecord(d.family, d.key, (h as Batch | undefined)?.t ?? t, t);
      d.journalHistory = r;
      r.lastChange = t;
      r.changes++;
      if (now === null) {
        r.flaps++;
        this.flapTotal++;
        this.openOutage(r, 'no-best', t);
      } else this.closeOutage(r, 'no-best', t);
      if (d.paths.length === 0) this.detach(r);
    }
  }

  private hasStale(s: PathSet): boolean {
    const x = Array.isArray(s) ? (s as readonly Path[]) : [s as Path];
    return x.some((p) => p.stale && this.staleFrom.has(p.peer.address));
  }

  /** The graceful-restart helper keeps (on) or no longer keeps (off) a neighbor's paths stale. */
  staleFor(address: string, on: boolean): void {
    if (on) this.staleFrom.add(address);
    else this.staleFrom.delete(address);
  }

  private newRecord(family: 4 | 6, key: PrefixKey, firstSeen: number, t: number): PrefixRecord {
    this.recordCount++;
    return new PrefixRecord(family, key, firstSeen, t);
  }

  private detach(r: PrefixRecord): void {
    this.detached.set(r.key, r);
    if (this.detached.size <= this.maxDetached) return;
    const oldest = this.detached.keys().next().value as PrefixKey;
    const gone = this.detached.get(oldest);
    this.detached.delete(oldest);
    if (gone) this.recordCount--;
  }

  private openOutage(r: PrefixRecord, kind: OutageKind, t: number): void {
    if (r.open[kind]) return;
    const o: Outage = { kind, start: t, end: null };
    r.open[kind] = o;
    r.outages.push(o);
    r.outageCount++;
    if (r.outages.length > this.maxOutages) r.outages.shift();
  }

  private closeOutage(r: PrefixRecord, kind: OutageKind, t: number): void {
    const o = r.open[kind];
    if (!o) return;
    o.end = t;
    r.open[kind] = null;
    r.totalMs[kind] += t - o.start;
    this.endedMs[kind] += t - o.start;
  }

  /**
   * What the kernel took and refused in one FIB batch: fib-install / fib-remove / fib-refuse per
   * prefix, and no-fib outages from a removal or refusal until the next install.
   */
  fibApplied(changes: readonly FibChange[], failed: readonly FibFailure[], t = this.journal.now()): void {
    const opKey = (c: FibChange) => `${c.op} ${c.op === 'delete' ? c.prefix : c.route.prefix}`;
    const refused = failed.length ? new Map(failed.map((f) => [opKey(f.change), f.error])) : undefined;
    const j = this.journal;
    for (const c of changes) {
      const prefix = c.op === 'delete' ? c.prefix : c.route.prefix;
      const error = refused?.get(opKey(c));
      if (error !== undefined) {
        j.add(
          'fib-refuse',
          { prefix, op: c.op, error, ...(c.op !== 'delete' && { nextHops: c.route.nextHops }) },
          t,
        );
        if (c.op !== 'delete') this.fibOutage(prefix, t, true);
      } else if (c.op === 'delete') {
        j.add('fib-remove', { prefix }, t);
        this.fibOutage(prefix, t, true);
      } else {
        j.add('fib-install', { prefix, op: c.op, nextHops: c.route.nextHops }, t);
        if (this.fibDown.size) this.fibOutage(prefix, t, false);
      }
    }
  }

  private fibOutage(prefix: string, t: number, down: boolean): void {
    if (!down) {
      const r = this.fibDown.get(prefix);
      if (!r) return;
      this.fibDown.delete(prefix);
      this.closeOutage(r, 'no-fib', t);
      r.lastChange = t;
      return;
    }
    if (this.fibDown.has(prefix)) return;
    const k = keyFromText(prefix);
    if (!k) return;
    const r = this.recordOf(k.family, k.key, t);
    this.fibDown.set(prefix, r);
    this.openOutage(r, 'no-fib', t);
    r.lastChange = t;
  }

  /** The prefix's record, made (and attached to its Dest, if any) when it has none. */
  private recordOf(family: 4 | 6, key: PrefixKey, t: number): PrefixRecord {
    const d = this.lookup(family, key);
    const h = d ? d.journalHistory : this.detached.get(key);
    if (h instanceof PrefixRecord && h.family === family) return h;
    const r = this.newRecord(family, key, isBatch(h) ? h.t : t, t);
    if (d) d.journalHistory = r;
    else this.detach(r);
    return r;
  }

  /** The summary of one prefix (any spelling); undefined when the journal never saw it. */
  summary(prefix: string, t = this.journal.now()): PrefixSummary | undefined {
    const k = keyFromText(prefix);
    if (!k) return undefined;
    const text = keyToText(k.family, k.key);
    const d = this.lookup(k.family, k.key);
    const h = d?.journalHistory ?? this.detached.get(k.key);
    const iso = (ms: number) => new Date(ms).toISOString();
    if (h === undefined || (h instanceof PrefixRecord && h.family !== k.family)) return undefined;
    if (!(h instanceof PrefixRecord))
      return {
        prefix: text,
        firstSeen: iso((h as Batch).t),
        lastChange: iso((h as Batch).t),
        flaps: 0,
        changes: 0,
        outages: [],
        outageCount: 0,
        outageMs: { 'no-best': 0, 'no-fib': 0 },
      };
    const r = h;
    const ms = (o: Outage) => Math.round(((o.end ?? t) - o.start) * 1000) / 1000;
    const openMs = (kind: OutageKind) => {
      const o = r.open[kind];
      return o ? t - o.start : 0;
    };
    return {
      prefix: text,
      firstSeen: iso(r.firstSeen),
      lastChange: iso(r.lastChange),
      flaps: r.flaps,
      changes: r.changes,
      outages: r.outages.map((o) => ({
        kind: o.kind,
        start: iso(o.start),
        end: o.end === null ? null : iso(o.end),
        ms: ms(o),
      })),
      outageCount: r.outageCount,
      outageMs: {
        'no-best': Math.round((r.totalMs['no-best'] + openMs('no-best')) * 1000) / 1000,
        'no-fib': Math.round((r.totalMs['no-fib'] + openMs('no-fib')) * 1000) / 1000,
      },
    };
  }

  totals(): HistoryTotals {
    return {
      records: this.recordCount,
      detached: this.detached.size,
      outageSeconds: { 'no-best': this.endedMs['no-best'] / 1000, 'no-fib': this.endedMs['no-fib'] / 1000 },
      flaps: this.flapTotal,
    };
  }
}

/** Type codes of FIB events (for callers that filter on them). */
export const FIB_CODES = [typeCode('fib-install'), typeCode('fib-remove'), typeCode('fib-refuse')] as const;
