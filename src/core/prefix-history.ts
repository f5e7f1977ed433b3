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
import { type Journal, PATH, type PathSet, ROUTE, setPaths, typeCode } from './journal.js';
import { type OutageKind, PrefixRecords } from './prefix-records.js';

export type { OutageKind } from './prefix-records.js';

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
  /** Bytes held by the per-prefix records' columns. */
  readonly bytes: number;
}

export interface PrefixHistoryOptions {
  readonly journal: Journal;
  readonly lookup: (family: 4 | 6, key: PrefixKey) => Dest | undefined;
  /** Records kept for prefixes no longer in the RIB; the oldest go first (default 100,000). */
  readonly maxDetached?: number;
  /** Outage windows kept per prefix, the last ones (default 4; counts and totals cover all). */
  readonly maxOutages?: number;
}

/** Dests decided in one run share one of these: their last change, until they get a record. */
interface Batch {
  readonly t: number;
}

/**
 * What the journal last saw of a Dest whose candidates are not all selected, or that holds stale
 * paths: the selection, the other paths (one Path, or several) so changes of paths that are not
 * best are journaled too, and the stale paths already journaled (a path is marked stale in place,
 * RFC 4724 §4.2, so only this tells a newly stale one). A Dest whose every path is selected and
 * none journaled stale (the common case: one path) keeps the selection alone.
 */
class Seen {
  constructor(
    readonly sel: PathSet,
    readonly others: Path | readonly Path[] | undefined,
    readonly stale?: Path | readonly Path[],
  ) {}
}

/** `Dest.journalHistory`: a record's slot, a shared batch, or nothing yet. */
type History = number | Batch | undefined;

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

/** Same sender: the same neighbor (by address: one back after a restart is a new PeerInfo) and path id. */
const sameSender = (x: Path, y: Path): boolean => x.peer.address === y.peer.address && x.pathId === y.pathId;

/** Same paths by sender, so only their attributes changed: an implicit replace (RFC 4271 §3.1). */
function sameSenders(a: PathSet, b: PathSet): boolean {
  if (a === null || b === null) return false;
  const x = setPaths(a);
  const y = setPaths(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!sameSender(x[i], y[i])) return false;
  return true;
}

const firstPath = (s: PathSet): Path => (Array.isArray(s) ? (s as readonly Path[])[0] : (s as Path));
const peerOf = (s: PathSet): string | undefined => {
  const p = firstPath(s);
  return p.peer.id === 0 ? undefined : p.peer.address;
};
const inSet = (s: PathSet | undefined, p: Path): boolean =>
  s !== undefined && s !== null && (Array.isArray(s) ? (s as readonly Path[]).includes(p) : s === p);
const listOf = (o: Path | readonly Path[] | undefined): readonly Path[] =>
  o === undefined ? [] : Array.isArray(o) ? (o as readonly Path[]) : [o as Path];

export class PrefixHistory {
  private readonly journal: Journal;
  private readonly lookup: PrefixHistoryOptions['lookup'];
  private readonly maxDetached: number;
  private readonly records: PrefixRecords;
  /** Slots of prefixes not in the RIB now (withdrawn), in insertion order. */
  /** Prefixes no longer in the RIB: key → its position in the detach order below. */
  private readonly detached = new Map<PrefixKey, number>();
  /**
   * The order prefixes were detached in (key, record), oldest at `orderHead`; position p lives at
   * index p - orderBase. Evicting through `detached.entries().next()` walked every deleted Map slot
   * first: quadratic when a peer with 1M routes went down (200k gone paths 2.5 s, 400k 13.3 s).
   */
  private orderKeys: PrefixKey[] = [];
  private orderRecords: number[] = [];
  private orderBase = 0;
  private orderHead = 0;
  /** Open no-fib outages by prefix text (FIB events name prefixes as text). */
  private readonly fibDown = new Map<string, number>();
  /** Neighbors whose paths the graceful-restart helper is keeping stale. */
  private readonly staleFrom = new Set<string>();
  /** Shared Seen objects of single stale paths (see soloStale). */
  private staleSeen = new WeakMap<Path, Seen>();
  private flapTotal = 0;
  /** The Dests of one decision run share it until they change. */
  private batch: Batch | undefined;
  private readonly endedMs: Record<OutageKind, number> = { 'no-best': 0, 'no-fib': 0 };

  constructor(o: PrefixHistoryOptions) {
    this.journal = o.journal;
    this.lookup = o.lookup;
    this.maxDetached = o.maxDetached ?? 100_000;
    this.records = new PrefixRecords(o.maxOutages ?? 4);
  }

  /**
   * The destinations of one decision run: a route event for each whose selection changed (RFC 4271
   * §9.1.2: the best path and the ECMP set), one for each path outside the selection that came,
   * changed or went, and the records brought up to date. Hot with a full table: no strings, no
   * objects per unchanged prefix, nothing kept for a prefix with one path.
   */
  decided(dests: readonly Dest[], t = this.journal.now()): void {
    this.batch = undefined;
    for (let n = 0; n < dests.length; n++) {
      const d = dests[n];
      const now: PathSet = d.multipath.length ? d.multipath : d.best;
      const seen = d.journalSeen as PathSet | Seen | undefined;
      const selected = now === null ? 0 : Array.isArray(now) ? now.length : 1;
      this.selection(d, seen instanceof Seen ? seen.sel : seen, now, t);
      if (seen instanceof Seen || d.paths.length > selected) this.others(d, seen, now, t);
      else if (seen !== now) d.journalSeen = now;
      if (this.staleFrom.size) this.stale(d, now, t);
    }
  }

  /** The selection's event, if it changed, and the prefix's record. */
  private selection(d: Dest, before: PathSet | undefined, now: PathSet, t: number): void {
    const j = this.journal;
    let prev = before;
    let h = d.journalHistory as History;
    if (h === undefined && this.detached.size) {
      // A new RIB entry for a prefix withdrawn before: it continues its record.
      const r = this.detachedRecord(d.key);
      if (r !== undefined && this.records.familyOf(r) === d.family) {
        this.detached.delete(d.key);
        h = d.journalHistory = r;
        prev = null;
      }
    }
    if (sameSet(prev, now)) {
      if (h === undefined) d.journalHistory = this.batch ??= { t };
      if (d.paths.length === 0 && typeof h === 'number') this.detach(h);
      return;
    }
    if (prev === undefined || prev === null) {
      if (now === null) {
        if (d.paths.length === 0 && typeof h === 'number') this.detach(h);
        return;
      }
      j.push(ROUTE.announce, t, peerOf(now), d.family, d.key, null, now);
      if (typeof h !== 'number') {
        d.journalHistory = this.batch ??= { t };
        return;
      }
    } else if (now === null) {
      const cause = d.paths.length ? 'no usable path' : 'withdrawn';
      j.push(ROUTE.withdraw, t, peerOf(prev), d.family, d.key, prev, cause);
    } else {
      const type = sameSenders(prev, now)
        ? ROUTE.replace
        : sameSender(firstPath(prev), firstPath(now))
          ? ROUTE.ecmp
          : ROUTE.best;
      j.push(type, t, peerOf(now), d.family, d.key, prev, now);
    }
    const r = typeof h === 'number' ? h : this.records.add(d.family, d.key, h?.t ?? t, t);
    d.journalHistory = r;
    this.records.changed(r, t, now === null);
    if (now === null) {
      this.flapTotal++;
      this.records.open(r, 'no-best', t);
    } else this.close(r, 'no-best', t);
    if (d.paths.length === 0) this.detach(r);
  }

  /**
   * Paths outside the selection before and after (not best, not in the ECMP set) that were
   * announced, implicitly replaced (RFC 4271 §3.1) or withdrawn: a path event each. Paths that
   * enter or leave the selection are the selection's event. Keeps the new Seen on the Dest.
   */
  private others(d: Dest, seen: PathSet | Seen | undefined, now: PathSet, t: number): void {
    const paths = d.paths;
    let others: Path | Path[] | undefined;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (inSet(now, p)) continue;
      if (others === undefined) others = p;
      else if (Array.isArray(others)) others.push(p);
      else others = [others, p];
    }
    const before = seen instanceof Seen ? seen.sel : seen;
    const old = seen instanceof Seen ? listOf(seen.others) : [];
    const after = listOf(others);
    const j = this.journal;
    const sender = (p: Path) => (p.peer.id === 0 ? undefined : p.peer.address);
    for (const o of old.length ? [...old, ...setPaths(before ?? null)] : setPaths(before ?? null)) {
      if (paths.includes(o)) continue;
      const repl = paths.find((p) => sameSender(p, o));
      if (repl === undefined) {
        if (!inSet(before, o)) j.push(PATH.withdraw, t, sender(o), d.family, d.key, o, 'withdrawn');
      } else if (!inSet(before, o) && !inSet(now, repl))
        j.push(PATH.replace, t, sender(repl), d.family, d.key, o, repl);
    }
    for (const p of after) {
      if (old.includes(p) || inSet(before, p)) continue;
      if (old.some((o) => sameSender(o, p)) || setPaths(before ?? null).some((o) => sameSender(o, p)))
        continue;
      j.push(PATH.announce, t, sender(p), d.family, d.key, null, p);
    }
    // Stale paths journaled stay noted while the Dest holds them (a re-decision is no new event).
    const kept = seen instanceof Seen ? stillHeld(seen.stale, paths) : undefined;
    if (
      seen instanceof Seen &&
      seen.sel === now &&
      sameList(listOf(seen.others), after) &&
      kept === seen.stale
    )
      return;
    d.journalSeen = others === undefined && kept === undefined ? now : new Seen(now, others, kept);
  }

  /**
   * A route-stale event for a prefix with paths that turned stale since the journal last saw it
   * (the helper keeps a restarting neighbor's paths, RFC 4724 §4.2): every such path, selected or
   * not, one event per prefix. `before`/`after` show the selection, `stale` the prefix's stale paths.
   */
  private stale(d: Dest, now: PathSet, t: number): void {
    const paths = d.paths;
    const seen = d.journalSeen as PathSet | Seen | undefined;
    const noted = seen instanceof Seen ? seen.stale : undefined;
    let fresh = false;
    let stale: Path | Path[] | undefined;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      if (!p.stale || !this.staleFrom.has(p.peer.address)) continue;
      if (!fresh && !inList(noted, p)) fresh = true;
      if (stale === undefined) stale = p;
      else if (Array.isArray(stale)) stale.push(p);
      else stale = [stale, p];
    }
    if (!fresh || stale === undefined) return;
    const first = Array.isArray(stale) ? stale[0] : stale;
    this.journal.push(ROUTE.stale, t, first.peer.address, d.family, d.key, now, stale);
    const others = seen instanceof Seen ? seen.others : undefined;
    // The common case (one path, stale alone) shares one Seen per path: no object per prefix.
    if (others === undefined && stale === now && !Array.isArray(stale)) d.journalSeen = this.soloStale(stale);
    else d.journalSeen = new Seen(now, others, stale);
  }

  /** The shared Seen of prefixes whose one path, selected, is `p` and stale. */
  private soloStale(p: Path): Seen {
    let s = this.staleSeen.get(p);
    if (s === undefined) {
      s = new Seen(p, undefined, p);
      this.staleSeen.set(p, s);
    }
    return s;
  }

  /** The graceful-restart helper keeps (on) or no longer keeps (off) a neighbor's paths stale. */
  staleFor(address: string, on: boolean): void {
    if (on) this.staleFrom.add(address);
    else this.staleFrom.delete(address);
    if (this.staleFrom.size === 0) this.staleSeen = new WeakMap();
  }

  private detachedRecord(key: PrefixKey): number | undefined {
    const p = this.detached.get(key);
    return p === undefined ? undefined : this.orderRecords[p - this.orderBase];
  }

  private detach(r: number): void {
    const key = this.records.keyOf(r);
    this.detached.set(key, this.orderBase + this.orderKeys.length);
    this.orderKeys.push(key);
    this.orderRecords.push(r);
    if (this.detached.size > this.maxDetached) this.evictOldest();
    // Entries of prefixes that came back stay until passed or compacted away.
    if (this.orderKeys.length - this.orderHead > 2 * this.detached.size + 1024) this.compactOrder();
  }

  private evictOldest(): void {
    while (this.orderHead < this.orderKeys.length) {
      const i = this.orderHead++;
      const key = this.orderKeys[i];
      if (this.detached.get(key) !== this.orderBase + i) continue; // came back since
      const gone = this.orderRecords[i];
      this.detached.delete(key);
      // No prefix text per eviction unless a FIB outage is open (900k of them in a 1M-route withdrawal).
      if (this.fibDown.size) this.fibDown.delete(keyToText(this.records.familyOf(gone), key));
      this.records.remove(gone);
      return;
    }
  }

  private compactOrder(): void {
    const keys: PrefixKey[] = [];
    const records: number[] = [];
    const base = this.orderBase + this.orderKeys.length;
    for (let i = this.orderHead; i < this.orderKeys.length; i++) {
      const key = this.orderKeys[i];
      if (this.detached.get(key) !== this.orderBase + i) continue;
      this.detached.set(key, base + keys.length);
      keys.push(key);
      records.push(this.orderRecords[i]);
    }
    this.orderKeys = keys;
    this.orderRecords = records;
    this.orderBase = base;
    this.orderHead = 0;
  }

  private close(r: number, kind: OutageKind, t: number): void {
    this.endedMs[kind] += this.records.close(r, kind, t);
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
      if (r === undefined) return;
      this.fibDown.delete(prefix);
      this.close(r, 'no-fib', t);
      this.records.touch(r, t);
      return;
    }
    if (this.fibDown.has(prefix)) return;
    const k = keyFromText(prefix);
    if (!k) return;
    const r = this.recordOf(k.family, k.key, t);
    this.fibDown.set(prefix, r);
    this.records.open(r, 'no-fib', t);
    this.records.touch(r, t);
  }

  /** The prefix's record, made (and attached to its Dest, if any) when it has none. */
  private recordOf(family: 4 | 6, key: PrefixKey, t: number): number {
    const d = this.lookup(family, key);
    const h = (d ? d.journalHistory : this.detachedRecord(key)) as History;
    if (typeof h === 'number' && this.records.familyOf(h) === family) return h;
    const r = this.records.add(family, key, typeof h === 'object' ? h.t : t, t);
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
    const h = (d?.journalHistory ?? this.detachedRecord(k.key)) as History;
    const iso = (ms: number) => new Date(ms).toISOString();
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    if (h === undefined || (typeof h === 'number' && this.records.familyOf(h) !== k.family)) return undefined;
    if (typeof h !== 'number')
      return {
        prefix: text,
        firstSeen: iso(h.t),
        lastChange: iso(h.t),
        flaps: 0,
        changes: 0,
        outages: [],
        outageCount: 0,
        outageMs: { 'no-best': 0, 'no-fib': 0 },
      };
    const rs = this.records;
    return {
      prefix: text,
      firstSeen: iso(rs.firstSeenOf(h)),
      lastChange: iso(rs.lastChangeOf(h)),
      flaps: rs.flapsOf(h),
      changes: rs.changesOf(h),
      outages: rs.outages(h).map((o) => ({
        kind: o.kind,
        start: iso(o.start),
        end: o.end === null ? null : iso(o.end),
        ms: round((o.end ?? t) - o.start),
      })),
      outageCount: rs.outageCountOf(h),
      outageMs: {
        'no-best': round(rs.outageMs(h, 'no-best', t)),
        'no-fib': round(rs.outageMs(h, 'no-fib', t)),
      },
    };
  }

  totals(): HistoryTotals {
    return {
      records: this.records.size,
      detached: this.detached.size,
      outageSeconds: { 'no-best': this.endedMs['no-best'] / 1000, 'no-fib': this.endedMs['no-fib'] / 1000 },
      flaps: this.flapTotal,
      bytes: this.records.bytes,
    };
  }
}

const inList = (l: Path | readonly Path[] | undefined, p: Path): boolean =>
  l !== undefined && (Array.isArray(l) ? (l as readonly Path[]).includes(p) : l === p);

/** The paths of `noted` that `paths` still holds (`noted` itself when all are). */
function stillHeld(
  noted: Path | readonly Path[] | undefined,
  paths: readonly Path[],
): Path | readonly Path[] | undefined {
  if (noted === undefined) return undefined;
  const list = listOf(noted);
  const held = list.filter((p) => paths.includes(p));
  if (held.length === list.length) return noted;
  return held.length === 0 ? undefined : held.length === 1 ? held[0] : held;
}

function sameList(a: readonly Path[], b: readonly Path[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Type codes of FIB events (for callers that filter on them). */
export const FIB_CODES = [typeCode('fib-install'), typeCode('fib-remove'), typeCode('fib-refuse')] as const;
