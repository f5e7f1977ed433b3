/**
 * Graceful restart, receiving side (RFC 4724 §4.2, RFC 8538): a neighbor whose session ended
 * without a NOTIFICATION (or, with the N bit exchanged, with any NOTIFICATION but Hard Reset) keeps
 * its paths, marked stale, for its restart time; when it is back, families it did not keep
 * forwarding for go at once, the rest at its End-of-RIB or after the stale-path time. The
 * restarting side (our own restart) is src/core/restarting-speaker.ts. Time comes from the Clock.
 */
import type { PeerInfo } from '../rib/types.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import {
  CeaseSubcode,
  ErrorCode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NotificationMessage,
  type SessionParams,
} from '../wire/index.js';
import {
  type GracefulRestartAnnouncement,
  grFlags,
  grPurged,
  grSkipped,
  grStarted,
} from './journal-wiring.js';

/** Seconds a restarted peer has to send End-of-RIB before its stale routes go (BIRD and FRR: 360). */
export const DEFAULT_STALE_PATH_TIME = 360;

export interface HelperRouting {
  /** The session's paths leave the RIB, or stay marked stale (keepStale). */
  peerDown(info: PeerInfo, keepStale?: boolean): void;
  purgeStale(info: PeerInfo, family?: 4 | 6): number;
  readonly rib: { countOf(info: PeerInfo, family: 4 | 6): number };
}

export interface HelperDeps {
  readonly clock: Clock;
  readonly routing: HelperRouting;
  readonly log: Logger;
  /** Seconds from the peer's return to the purge of what its End-of-RIB did not refresh. */
  readonly stalePathTime: () => number;
  /** Outcomes for the journal (src/core/journal-wiring.ts). */
  readonly announce: (g: GracefulRestartAnnouncement) => void;
  /** Wall clock (ms) for the `until` of snapshots. */
  readonly wallClock?: () => number;
}

/** How a session ended, as the helper needs to know it. */
export interface SessionEnd {
  readonly reason: string;
  /** A NOTIFICATION was sent or received at the end. */
  readonly byNotification: boolean;
  /** That NOTIFICATION, when known. */
  readonly notification?: NotificationMessage | null;
  /** RFC 8538 §2: both OPENs had the N bit. */
  readonly notificationGr: boolean;
}

const familyNumber = (f: number): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);
const unicastName = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

/** RFC 8538 §3: Cease/Hard Reset ends graceful restart even when the N bit was exchanged. */
export const isHardReset = (n: NotificationMessage | null | undefined): boolean =>
  !!n && n.code === ErrorCode.CEASE && n.subcode === CeaseSubcode.HARD_RESET;

interface Restarting {
  info: PeerInfo;
  families: Set<4 | 6>;
  timer: Timer;
  until: number;
  /** Clock time the session went down, for time-to-EoR. */
  since: number;
}

export class GracefulRestartHelper {
  /** Per neighbor address: the previous session's paths, kept stale. */
  private readonly restarting = new Map<string, Restarting>();
  /** Counters for metrics: helper episodes begun, ended by End-of-RIB, by timer, skipped. */
  readonly totals = { started: 0, endOfRib: 0, expired: 0, skipped: 0, hardResets: 0 };

  constructor(private readonly deps: HelperDeps) {}

  private get now(): number {
    return (this.deps.wallClock ?? Date.now)();
  }

  /** The session of `address` ended: keep its paths stale (RFC 4724 §4.2, RFC 8538 §4) or let them go. */
  sessionDown(address: string, info: PeerInfo, params: SessionParams, end: SessionEnd): void {
    const gr = params.peerGracefulRestart;
    const hard = isHardReset(end.notification);
    // RFC 8538 §4: with N exchanged, a NOTIFICATION other than Hard Reset is handled like a lost session.
    const ended = end.byNotification && (!end.notificationGr || hard);
    if (!gr || !params.localGracefulRestart || ended || gr.restartTime === 0) {
      if (hard && gr) {
        this.totals.hardResets++;
        this.deps.announce({
          neighbor: address,
          phase: 'skip',
          families: [],
          why: 'Hard Reset (Cease 6/9, RFC 8538 §3): no graceful restart',
          flags: grFlags(gr),
        });
      } else {
        const skipped = grSkipped(address, params, ended);
        if (skipped) this.deps.announce(skipped);
      }
      if (gr) this.totals.skipped++;
      this.deps.routing.peerDown(info);
      return;
    }
    const families = new Set([...gr.families.keys()].map(familyNumber).filter((f): f is 4 | 6 => f !== 0));
    this.deps.routing.peerDown(info, true);
    for (const f of [4, 6] as const) if (!families.has(f)) this.deps.routing.purgeStale(info, f);
    this.restarting.get(address)?.timer.cancel();
    const timer = this.deps.clock.setTimer(gr.restartTime * 1000, () =>
      this.end(address, 'restart time expired'),
    );
    this.restarting.set(address, {
      info,
      families,
      timer,
      until: this.now + gr.restartTime * 1000,
      since: this.deps.clock.now(),
    });
    this.totals.started++;
    this.deps.announce(grStarted(address, gr, families, (f) => this.deps.routing.rib.countOf(info, f)));
    this.deps.log.info(
      {
        peer: address,
        reason: end.reason,
        restartTime: gr.restartTime,
        ...(end.byNotification && { notification: 'soft (RFC 8538 N bit)' }),
      },
      'graceful restart helper: keeping routes stale',
    );
  }

  /** A restarted peer is back: purge what it may not keep; the rest waits for its End-of-RIB. */
  sessionUp(address: string, params: SessionParams): void {
    const r = this.restarting.get(address);
    if (!r) return;
    r.timer.cancel();
    const gr = params.peerGracefulRestart;
    for (const f of [...r.families]) {
      // RFC 4724 §4.2: without the forwarding-state bit for a family, its stale routes go now.
      const code = f === 4 ? IPV4_UNICAST : IPV6_UNICAST;
      if (!gr?.families.get(code)) {
        this.deps.routing.purgeStale(r.info, f);
        r.families.delete(f);
        const why = 'the restarted peer did not set the forwarding-state bit for it (RFC 4724 §4.2)';
        this.deps.announce(grPurged(address, [f], why, r.families.size));
      }
    }
    if (!r.families.size) {
      this.restarting.delete(address);
      return;
    }
    // Stale routes not refreshed by End-of-RIB within this time go anyway (BIRD's stale time).
    const t = this.deps.stalePathTime();
    r.timer = this.deps.clock.setTimer(t * 1000, () => this.end(address, 'no End-of-RIB'));
    r.until = this.now + t * 1000;
  }

  /** End-of-RIB of `family` from `address` (RFC 4724 §4.2): what it did not refresh goes. */
  endOfRib(address: string, family: 4 | 6): void {
    this.end(address, 'End-of-RIB', family);
  }

  private end(address: string, why: string, family?: 4 | 6): void {
    const r = this.restarting.get(address);
    if (!r) return;
    const purged = family ? [family].filter((f) => r.families.has(f)) : [...r.families];
    if (!purged.length) return;
    let paths = 0;
    for (const f of purged) {
      paths += this.deps.routing.purgeStale(r.info, f);
      r.families.delete(f);
    }
    this.deps.announce(grPurged(address, purged, why, r.families.size));
    if (why === 'End-of-RIB') this.totals.endOfRib++;
    else this.totals.expired++;
    this.deps.log.info(
      {
        peer: address,
        why,
        families: purged.map(unicastName),
        purged: paths,
        ms: Math.round(this.deps.clock.now() - r.since),
      },
      'graceful restart helper: stale routes purged',
    );
    if (!r.families.size) {
      r.timer.cancel();
      this.restarting.delete(address);
    }
  }

  /** Helper state of a neighbor, for snapshots. */
  state(address: string): { families: string[]; until: number } | undefined {
    const r = this.restarting.get(address);
    return r && { families: [...r.families].map(unicastName), until: r.until };
  }

  /** Neighbors whose paths are kept stale now (metrics). */
  get active(): number {
    return this.restarting.size;
  }

  stop(): void {
    for (const r of this.restarting.values()) r.timer.cancel();
    this.restarting.clear();
  }
}
