/**
 * Hooks the journal into a Speaker (the composition root calls wireJournal): session transitions
 * with their cause, capabilities, End-of-RIB both ways, graceful-restart helper outcomes, route
 * events per prefix from each decision run, FIB results, reloads and faults (the Speaker's `fault`
 * event, issue 15 contract). Also the library side: events() as an async iterator and waitFor().
 */
import type { EventEmitter } from 'node:events';
import type { FibChange, FibFailure } from '../fib/types.js';
import type { Dest } from '../rib/loc-rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { LastError } from '../session/counters.js';
import type { SessionState } from '../session/fsm.js';
import type { Clock } from '../util/clock.js';
import { familyName, type PeerGracefulRestart, type SessionParams } from '../wire/index.js';
import { type EventFilter, Journal, type JournalEvent } from './journal.js';
import { formatEvent } from './journal-text.js';
import { PrefixHistory } from './prefix-history.js';
import type { ReloadReport } from './reload.js';
import type { RestartAnnouncement } from './restarting-speaker.js';

/** A BFD session changed state (src/core/bfd-link.ts); `bgp` says what it did to the BGP session. */
export interface BfdAnnouncement {
  readonly peer: string;
  readonly from: string;
  readonly to: string;
  readonly diag: string;
  readonly bgp?: 'down' | 'held' | 'released';
}

/** The fault announcement of the issue 15 contract (src/core/faults.ts emits it). */
export interface FaultAnnouncement {
  readonly id: number;
  readonly neighbor: string;
  readonly kind: string;
  readonly phase: 'start' | 'end';
  readonly detail?: string;
}

/** Graceful-restart helper outcomes (RFC 4724 §4.2) as the Speaker announces them. */
export interface GracefulRestartAnnouncement {
  readonly neighbor: string;
  /** start: paths kept stale; end: the last kept family purged or refreshed; skip: not kept. */
  readonly phase: 'start' | 'end' | 'purge' | 'skip';
  readonly families: readonly string[];
  readonly why: string;
  readonly restartTime?: number;
  /** Paths kept stale (start) per family. */
  readonly stalePaths?: Readonly<Record<string, number>>;
  /** The peer's capability as last negotiated: R (restarting), N (notification), F per family. */
  readonly flags?: {
    readonly R: boolean;
    readonly N: boolean;
    readonly F: Readonly<Record<string, boolean>>;
  };
}

/** What the wiring needs of the Speaker (narrow, so speaker.ts and this file do not import each other). */
export interface JournalHost {
  on(event: 'state', fn: (e: { neighbor: string; from: SessionState; to: SessionState }) => void): unknown;
  on(event: 'established', fn: (e: { neighbor: string; params: SessionParams }) => void): unknown;
  on(event: 'endOfRib', fn: (e: { neighbor: string; family: string }) => void): unknown;
  readonly routing: {
    onChange(fn: (dests: readonly Dest[]) => void): () => void;
    readonly rib: { get(family: 4 | 6, key: PrefixKey): Dest | undefined };
  };
  readonly sessions: {
    readonly peers: ReadonlyMap<string, { readonly counters: { readonly lastError: LastError | null } }>;
  };
}

export interface JournalSettings {
  readonly size: number;
  readonly clock: Clock;
  /** Epoch ms at clock.now() = 0 (default performance.timeOrigin, right for the real clock). */
  readonly origin?: number;
}

/** Per-peer session counters for metrics (bounded: one series per configured neighbor). */
export interface PeerSessionTotals {
  /** Seconds spent not Established after having been up once (ended down periods and the current one). */
  readonly downSeconds: number;
  /** Session losses by cause. */
  readonly downs: Readonly<Record<string, number>>;
}

/** RFC 4271 §6.5 hold timer, Cease subcodes 2/3/4 (RFC 4486: shutdown, de-configured, reset). */
const ADMIN_CEASE = new Set([2, 3, 4]);

/** Why an Established session ended, from the neighbor's last error (see src/session/counters.ts). */
export function downCause(e: LastError | null, reason: string): { cause: string } & Record<string, unknown> {
  const notification = e?.code !== undefined && {
    notification: {
      code: e.code,
      subcode: e.subcode,
      text: `${e.codeName ?? ''}${e.subcodeName ? `/${e.subcodeName}` : ''}`,
      ...(e.communication !== undefined && { communication: e.communication }),
      ...(e.data !== undefined && { data: e.data }),
    },
  };
  if (!e) return { cause: 'unknown', reason };
  if (e.direction === 'received')
    return { cause: 'notification-received', reason: e.reason, ...notification };
  if (e.direction === 'sent') {
    if (e.code === 4) return { cause: 'hold-timer', reason: e.reason, ...notification };
    // RFC 9384: Cease/BFD Down, sent when BFD took the session down (src/core/bfd-link.ts).
    if (e.code === 6 && e.subcode === 10) return { cause: 'bfd-down', reason: e.reason, ...notification };
    if (e.code === 6 && ADMIN_CEASE.has(e.subcode ?? -1))
      return { cause: 'admin', reason: e.reason, ...notification };
    return { cause: 'notification-sent', reason: e.reason, ...notification };
  }
  if (/hold timer/.test(e.reason)) return { cause: 'hold-timer', reason: e.reason };
  if (/connection (lost|fails|closed)|ECONNRESET|EPIPE/i.test(e.reason))
    return { cause: 'tcp-reset', reason: e.reason };
  return { cause: 'error', reason: e.reason };
}

/** The capabilities a session negotiated, as the session-up event shows them. */
export function capabilitiesOf(p: SessionParams): Record<string, unknown> {
  const gr = p.peerGracefulRestart;
  return {
    families: p.families.map(familyName),
    holdTime: p.holdTime,
    fourOctetAs: p.fourOctetAs,
    routeRefresh: p.routeRefresh,
    enhancedRouteRefresh: p.enhancedRouteRefresh,
    extendedMessage: p.extendedMessage,
    addPath: { receive: [...p.addPathRx].map(familyName), send: [...p.addPathTx].map(familyName) },
    gracefulRestart: gr
      ? {
          restartTime: gr.restartTime,
          R: gr.restarting,
          N: gr.notification,
          F: Object.fromEntries([...gr.families].map(([f, fwd]) => [familyName(f), fwd])),
          helper: p.localGracefulRestart,
        }
      : null,
    ...(p.peerHostname !== undefined && { hostname: p.peerHostname }),
  };
}

export class JournalWiring {
  readonly journal: Journal;
  readonly history: PrefixHistory;
  /** Per neighbor: when it went down (journal time) and its totals. */
  private readonly downSince = new Map<string, number>();
  private readonly peerTotals = new Map<string, { downMs: number; downs: Record<string, number> }>();

  constructor(
    private readonly host: JournalHost,
    s: JournalSettings,
  ) {
    this.journal = new Journal({ size: s.size, clock: s.clock, origin: s.origin ?? performance.timeOrigin });
    this.history = new PrefixHistory({ journal: this.journal, lookup: (f, k) => host.routing.rib.get(f, k) });
    const j = this.journal;
    host.routing.onChange((dests) => this.history.decided(dests));
    host.on('state', ({ neighbor, from, to }) => {
      j.add('session-state', { peer: neighbor, from, to });
      if (from === 'Established') this.sessionDown(neighbor);
    });
    host.on('established', ({ neighbor, params }) => {
      const t = j.now();
      j.add(
        'session-up',
        {
          peer: neighbor,
          peerAs: params.peerAsn,
          routerId: params.peerRouterId,
          capabilities: capabilitiesOf(params),
        },
        t,
      );
      const since = this.downSince.get(neighbor);
      if (since !== undefined) this.totals(neighbor).downMs += t - since;
      this.downSince.delete(neighbor);
    });
    host.on('endOfRib', ({ neighbor, family }) => j.add('eor-received', { peer: neighbor, family }));
    const emitter = host as unknown as EventEmitter;
    emitter.on('endOfRibSent', ({ neighbor, family }: { neighbor: string; family: string }) =>
      j.add('eor-sent', { peer: neighbor, family }),
    );
    // The Speaker announces these from inside the session's down handling, before the FSM's
    // state change is told: journal them right after it.
    emitter.on('gracefulRestart', (g: GracefulRestartAnnouncement) =>
      queueMicrotask(() => this.gracefulRestart(g)),
    );
    emitter.on('reload', (r: ReloadReport) => this.reload(r));
    // Our own restart (RFC 4724 §4.1): the deferral, each End-of-RIB it waited for, its end.
    emitter.on('restarting', (e: RestartAnnouncement) =>
      j.add(`gr-restart-${e.phase}`, {
        ...(e.neighbor !== undefined && { peer: e.neighbor }),
        ...(e.why !== undefined && { why: e.why }),
        ...(e.ms !== undefined && { ms: e.ms }),
        ...(e.neighbors !== undefined && { neighbors: e.neighbors }),
      }),
    );
    emitter.on(
      'fibApplied',
      ({ changes, failed }: { changes: readonly FibChange[]; failed: readonly FibFailure[] }) =>
        this.history.fibApplied(changes, failed),
    );
    emitter.on('fault', (f: FaultAnnouncement) =>
      j.add(f.phase === 'start' ? 'fault-start' : 'fault-end', {
        peer: f.neighbor,
        id: f.id,
        kind: f.kind,
        ...(f.detail !== undefined && { detail: f.detail }),
      }),
    );
    emitter.on('bfd', (b: BfdAnnouncement) => j.add('bfd-state', { ...b }));
  }

  private totals(neighbor: string) {
    let t = this.peerTotals.get(neighbor);
    if (!t) {
      t = { downMs: 0, downs: {} };
      this.peerTotals.set(neighbor, t);
    }
    return t;
  }

  private sessionDown(neighbor: string): void {
    const t = this.journal.now();
    const last = this.host.sessions.peers.get(neighbor)?.counters.lastError ?? null;
    const cause = downCause(last, last?.reason ?? 'unknown');
    this.journal.add('session-down', { peer: neighbor, ...cause }, t);
    const totals = this.totals(neighbor);
    totals.downs[cause.cause] = (totals.downs[cause.cause] ?? 0) + 1;
    this.downSince.set(neighbor, t);
  }

  private gracefulRestart(g: GracefulRestartAnnouncement): void {
    const type = g.phase === 'start' ? 'gr-helper-start' : 'gr-helper-end';
    const outcome = {
      start: 'kept stale',
      end: 'stale paths purged, helper done',
      purge: 'stale paths purged',
      skip: 'routes not kept',
    }[g.phase];
    this.journal.add(type, {
      peer: g.neighbor,
      outcome,
      families: g.families,
      why: g.why,
      ...(g.restartTime !== undefined && { restartTime: g.restartTime }),
      ...(g.stalePaths && { stalePaths: g.stalePaths }),
      ...(g.flags && { flags: g.flags }),
    });
    if (g.phase === 'start') this.history.staleFor(g.neighbor, true);
    if (g.phase === 'end') this.history.staleFor(g.neighbor, false);
  }

  private reload(r: ReloadReport): void {
    this.journal.add('reload', {
      ok: r.ok,
      ...(r.errors.length && { error: r.errors.join('; ') }),
      summary: `${r.actions.length} neighbor action(s), networks +${r.networks.added.length} -${r.networks.removed.length}`,
      actions: r.actions,
      networks: r.networks,
      ...(r.restartRequired.length && { restartRequired: r.restartRequired }),
    });
  }

  /** Seconds down and losses by cause per neighbor that has been up once (metrics). */
  sessionTotals(): Map<string, PeerSessionTotals> {
    const now = this.journal.now();
    const out = new Map<string, PeerSessionTotals>();
    for (const [peer, t] of this.peerTotals) {
      const since = this.downSince.get(peer);
      out.set(peer, {
        downSeconds: (t.downMs + (since === undefined ? 0 : now - since)) / 1000,
        downs: { ...t.downs },
      });
    }
    return out;
  }

  /** Forget a neighbor removed from the configuration (its metric series go with it). */
  forget(neighbor: string): void {
    this.peerTotals.delete(neighbor);
    this.downSince.delete(neighbor);
  }

  /**
   * Every event from `since` (default: the next one) as it comes, for as long as the caller
   * iterates. Events overwritten before they were read are skipped (the ring is bounded).
   */
  events(o: Omit<EventFilter, 'limit'> = {}): AsyncIterableIterator<JournalEvent> {
    const j = this.journal;
    let cursor = o.since ?? j.next;
    let buffered: JournalEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = j.subscribe(() => wake?.());
    let done = false;
    const finish = (): IteratorResult<JournalEvent> => {
      done = true;
      unsubscribe();
      wake?.();
      return { done: true, value: undefined };
    };
    const it: AsyncIterableIterator<JournalEvent> = {
      [Symbol.asyncIterator]: () => it,
      next: async () => {
        while (!done) {
          if (buffered.length) return { done: false, value: buffered.shift() as JournalEvent };
          if (cursor < j.next) {
            const upto = Math.max(cursor, j.oldest);
            buffered = j.query({ ...o, since: upto, limit: 1000 });
            // Up to the last event looked at, matched or not.
            cursor = buffered.length === 1000 ? buffered[999].seq + 1 : j.next;
            continue;
          }
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
        return { done: true, value: undefined };
      },
      return: async () => finish(),
    };
    return it;
  }

  /**
   * The first event from `since` (default: the next one) for which `predicate` holds; rejects after
   * `timeout` ms (default 30 s) with the last events of the journal in the message and as `.events`.
   */
  async waitFor(
    predicate: (e: JournalEvent) => boolean,
    o: { timeout?: number; since?: number } = {},
  ): Promise<JournalEvent> {
    const timeout = o.timeout ?? 30_000;
    const it = this.events({ since: o.since ?? this.journal.next });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const recent = this.journal.query({ since: this.journal.next - 20 });
        const err = new Error(
          `timed out after ${timeout} ms waiting for a journal event; the last ${recent.length}:\n${recent.map(formatEvent).join('\n')}`,
        ) as Error & { events: JournalEvent[] };
        err.events = recent;
        reject(err);
      }, timeout);
    });
    const found = (async () => {
      for await (const e of it) if (predicate(e)) return e;
      throw new Error('journal closed');
    })();
    found.catch(() => {});
    try {
      return await Promise.race([found, expired]);
    } finally {
      clearTimeout(timer);
      await it.return?.();
    }
  }
}

const unicast = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

/** The peer's GR capability bits as last negotiated (RFC 4724 §3; N: RFC 8538). */
export function grFlags(gr: PeerGracefulRestart): GracefulRestartAnnouncement['flags'] {
  return {
    R: gr.restarting,
    N: gr.notification,
    F: Object.fromEntries([...gr.families].map(([f, fwd]) => [familyName(f), fwd])),
  };
}

/** Why the helper keeps nothing for a session that just ended, or undefined when it does. */
export function grSkipped(
  neighbor: string,
  p: SessionParams,
  byNotification: boolean,
): GracefulRestartAnnouncement | undefined {
  const gr = p.peerGracefulRestart;
  if (!gr) return undefined;
  const why = !p.localGracefulRestart
    ? 'we do not announce graceful restart, so we are no helper'
    : byNotification
      ? 'the session ended with a NOTIFICATION (RFC 4724 §4.2: routes are kept only when the TCP session is lost)'
      : gr.restartTime === 0
        ? 'the peer announced restart time 0'
        : '';
  return why ? { neighbor, phase: 'skip', families: [], why, flags: grFlags(gr) } : undefined;
}

/** The helper keeps `families` stale for the peer's restart time. */
export function grStarted(
  neighbor: string,
  gr: PeerGracefulRestart,
  families: ReadonlySet<4 | 6>,
  paths: (f: 4 | 6) => number,
): GracefulRestartAnnouncement {
  const kept = [...families];
  return {
    neighbor,
    phase: 'start',
    families: kept.map(unicast),
    why: `TCP session lost; paths kept stale for up to ${gr.restartTime} s (restart time)`,
    restartTime: gr.restartTime,
    stalePaths: Object.fromEntries(kept.map((f) => [unicast(f), paths(f)])),
    flags: grFlags(gr),
  };
}

/** Stale paths of `families` purged (`left`: families still kept). */
export function grPurged(
  neighbor: string,
  families: readonly (4 | 6)[],
  why: string,
  left: number,
): GracefulRestartAnnouncement {
  return { neighbor, phase: left ? 'purge' : 'end', families: families.map(unicast), why };
}

/** For the library's events()/waitFor() when the configuration turned the journal off. */
export function journalOff(): never {
  throw new Error('the event journal is off (journal: { size: 0 } in the configuration)');
}

/** The journal for a speaker, or undefined with `journal.size: 0`. */
export function wireJournal(host: JournalHost, s: JournalSettings): JournalWiring | undefined {
  return s.size > 0 ? new JournalWiring(host, s) : undefined;
}
