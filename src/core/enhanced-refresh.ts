/**
 * Enhanced route refresh as receiver (RFC 7313 §4): on BoRR a peer's paths of the family turn
 * stale, the re-sent UPDATEs replace them, and at EoRR (or when the stale timer fires because EoRR
 * never came) what is still stale is purged. The sending side (BoRR, table, EoRR) is the speaker's
 * routeRefresh hook. Time comes from the injected Clock.
 */
import type { PeerInfo } from '../rib/types.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';

/** Seconds from BoRR to the purge when EoRR does not come (FRR and BIRD use 360 s for stale paths). */
export const DEFAULT_REFRESH_STALE_TIME = 360;

export interface RefreshRib {
  markStale(info: PeerInfo, family: 4 | 6): number;
  purgeStale(info: PeerInfo, family: 4 | 6): number;
}

export interface RefreshOutcome {
  readonly neighbor: string;
  readonly family: 4 | 6;
  /** `begin` at BoRR; `end` at EoRR; `expired` when the stale timer fired first. */
  readonly phase: 'begin' | 'end' | 'expired';
  /** Paths marked stale (begin) or purged (end, expired). */
  readonly paths: number;
}

interface InProgress {
  readonly info: PeerInfo;
  readonly timer: Timer;
  readonly since: number;
}

export class EnhancedRefreshReceiver {
  private readonly pending = new Map<string, InProgress>();
  /** Refreshes completed and paths purged since start, for metrics. */
  readonly totals = { begun: 0, ended: 0, expired: 0, purged: 0 };

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly rib: RefreshRib;
      readonly log: Logger;
      /** Seconds until stale paths go without EoRR (RFC 7313 §4). */
      readonly staleTime: () => number;
      readonly onOutcome?: (o: RefreshOutcome) => void;
    },
  ) {}

  /** RFC 7313 §4: BoRR received: mark the family's paths stale; a BoRR during a refresh restarts it. */
  begin(info: PeerInfo, family: 4 | 6): void {
    const k = key(info, family);
    this.pending.get(k)?.timer.cancel();
    const paths = this.deps.rib.markStale(info, family);
    const timer = this.deps.clock.setTimer(this.deps.staleTime() * 1000, () =>
      this.finish(info, family, 'expired'),
    );
    this.pending.set(k, { info, timer, since: this.deps.clock.now() });
    this.totals.begun++;
    this.deps.log.debug(
      { peer: info.address, family, stale: paths },
      'enhanced route refresh: BoRR, paths stale',
    );
    this.deps.onOutcome?.({ neighbor: info.address, family, phase: 'begin', paths });
  }

  /** RFC 7313 §4: EoRR received: purge what the refresh did not replace. An EoRR without BoRR is ignored. */
  end(info: PeerInfo, family: 4 | 6): void {
    if (!this.pending.has(key(info, family))) {
      this.deps.log.debug(
        { peer: info.address, family },
        'enhanced route refresh: EoRR without BoRR ignored',
      );
      return;
    }
    this.finish(info, family, 'end');
  }

  /** Whether a refresh of the family from this peer is in progress. */
  inProgress(info: PeerInfo, family: 4 | 6): boolean {
    return this.pending.has(key(info, family));
  }

  /** The session went down: its paths leave (or turn GR-stale) by other means; forget the refreshes. */
  peerDown(info: PeerInfo): void {
    for (const f of [4, 6] as const) {
      const k = key(info, f);
      this.pending.get(k)?.timer.cancel();
      this.pending.delete(k);
    }
  }

  stop(): void {
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
  }

  private finish(info: PeerInfo, family: 4 | 6, phase: 'end' | 'expired'): void {
    const k = key(info, family);
    const p = this.pending.get(k);
    if (!p || p.info !== info) return;
    p.timer.cancel();
    this.pending.delete(k);
    const paths = this.deps.rib.purgeStale(info, family);
    this.totals[phase === 'end' ? 'ended' : 'expired']++;
    this.totals.purged += paths;
    const fields = {
      peer: info.address,
      family,
      purged: paths,
      ms: Math.round(this.deps.clock.now() - p.since),
    };
    if (phase === 'end') this.deps.log.info(fields, 'enhanced route refresh: EoRR, stale paths purged');
    else
      this.deps.log.warn(fields, 'enhanced route refresh: no EoRR in time, stale paths purged (RFC 7313 §4)');
    this.deps.onOutcome?.({ neighbor: info.address, family, phase, paths });
  }
}

const key = (info: PeerInfo, family: 4 | 6) => `${info.id}/${family}`;
