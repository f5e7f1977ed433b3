/**
 * Graceful restart, restarting side (RFC 4724 §4.1): after `rackbgp restart` the next run keeps the
 * kernel routes, sets the Restart State bit, and defers its selection's export (and FIB changes)
 * until every expected GR neighbor sent End-of-RIB for each family, or the selection-deferral timer
 * fires; then it releases: tables and End-of-RIB go out, and kernel routes that did not come back
 * go. Neighbors without the GR capability, or restarting themselves (R bit), are not waited for.
 * The receiving side is src/core/graceful-restart.ts. Time comes from the Clock.
 */
import type { Dest } from '../rib/loc-rib.js';
import type { LocalRestartState } from '../session/neighbor-config.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import { IPV4_UNICAST, IPV6_UNICAST, type SessionParams } from '../wire/index.js';

/** The restart's milestones, for the journal: begun, one neighbor's End-of-RIB in, over. */
export interface RestartAnnouncement {
  readonly phase: 'begin' | 'eor' | 'end';
  readonly neighbor?: string;
  readonly why?: string;
  /** ms since the deferral began. */
  readonly ms?: number;
  /** begin: neighbors waited for; end: still waited for when it ended. */
  readonly neighbors?: readonly string[];
}

export interface DeferralView {
  /** This run is a graceful restart (the marker was fresh). */
  readonly restarted: boolean;
  /** Selection and export are deferred now. */
  readonly deferring: boolean;
  /** Neighbors (and their families) whose End-of-RIB is still awaited. */
  readonly waitingFor: Record<string, string[]>;
  /** Neighbors whose End-of-RIB came, with ms from the start of the deferral. */
  readonly endOfRib: Record<string, number>;
  /** Why the deferral ended (End-of-RIB from all, or the timer), and after how many ms. */
  readonly ended?: { readonly why: string; readonly ms: number };
  readonly deferralTime: number;
}

/** What the deferral holds back and releases (the speaker's parts, as ports). */
export interface DeferralPorts {
  readonly routing: {
    deferExport(): void;
    settle(): void;
    releaseExport(): void;
    readonly rib: { readonly tables: Record<4 | 6, ReadonlyMap<unknown, Dest>> };
  };
  readonly sessions: { setRestartState(s: LocalRestartState | undefined): void };
  /** The kernel FIB, once started (fib: true). */
  readonly forwarding: () => { thaw(dests: Iterable<Dest>): void; endStartup(): void } | undefined;
}

/**
 * Enters the restart: R and F in later OPENs, export deferred, the wait for `neighbors` begun. At
 * its end the RIB is decided in full (the last End-of-RIB comes with UPDATEs not decided yet, and
 * the FIB would take an undecided destination for one without a route), tables and End-of-RIB go
 * out, the FIB follows the RIB (kernel routes that did not come back go), and R is cleared.
 */
export function enterRestart(
  ports: DeferralPorts,
  deps: { clock: Clock; log: Logger; deferralTime: number; announce?: (e: RestartAnnouncement) => void },
  neighbors: readonly string[],
): RestartingSpeaker {
  const r = new RestartingSpeaker({
    ...deps,
    release: () => {
      ports.routing.settle();
      ports.routing.releaseExport();
      const fwd = ports.forwarding();
      if (fwd) {
        fwd.thaw([4, 6].flatMap((f) => [...ports.routing.rib.tables[f as 4 | 6].values()]));
        fwd.endStartup();
      }
      ports.sessions.setRestartState(undefined);
    },
  });
  ports.routing.deferExport();
  ports.sessions.setRestartState({ restarting: true, forwardingPreserved: true });
  r.begin(neighbors);
  return r;
}

const familyOf = (f: number): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);
const unicastName = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

export class RestartingSpeaker {
  private deferring = false;
  private restarted = false;
  private timer: Timer | undefined;
  private since = 0;
  /** Expected neighbors: undefined families until the session is up (then its GR families). */
  private readonly waiting = new Map<string, Set<4 | 6> | undefined>();
  private readonly received = new Map<string, number>();
  private ended: { why: string; ms: number } | undefined;

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly log: Logger;
      /** Seconds until the deferral ends without every End-of-RIB (RFC 4724 §4.1 Selection_Deferral_Timer). */
      readonly deferralTime: number;
      /** Called once when the deferral ends: release export and the FIB, clear the R bit. */
      readonly release: (why: string) => void;
      readonly announce?: (e: RestartAnnouncement) => void;
    },
  ) {}

  /** Enters the deferral for these configured neighbors (their sessions are not up yet). */
  begin(neighbors: readonly string[]): void {
    this.restarted = true;
    this.deferring = true;
    this.since = this.deps.clock.now();
    for (const n of neighbors) this.waiting.set(n, undefined);
    this.timer = this.deps.clock.setTimer(this.deps.deferralTime * 1000, () =>
      this.finish(`selection-deferral timer (${this.deps.deferralTime} s) expired`),
    );
    this.deps.log.info(
      { neighbors: neighbors.length, deferralTime: this.deps.deferralTime },
      'graceful restart: deferring best-path selection until End-of-RIB from every GR neighbor',
    );
    this.deps.announce?.({ phase: 'begin', neighbors: [...neighbors], ms: 0 });
    if (!neighbors.length) queueMicrotask(() => this.finish('no neighbor to wait for'));
  }

  get isDeferring(): boolean {
    return this.deferring;
  }

  get isRestart(): boolean {
    return this.restarted;
  }

  /** A session came up: wait for its End-of-RIB per GR family, unless RFC 4724 §4.1 excludes it. */
  established(address: string, params: SessionParams): void {
    if (!this.deferring) return;
    const gr = params.peerGracefulRestart;
    if (!gr || gr.restarting) {
      // Excluded: no GR capability, or restarting itself (R bit).
      this.waiting.delete(address);
      this.deps.log.info(
        { peer: address, why: gr ? 'restarting itself (R bit)' : 'no graceful-restart capability' },
        'graceful restart: not waiting for this neighbor',
      );
      this.check();
      return;
    }
    const families = new Set(params.families.map(familyOf).filter((f): f is 4 | 6 => f !== 0));
    this.waiting.set(address, families);
    this.check();
  }

  /** End-of-RIB received (RFC 4724 §2). */
  endOfRib(address: string, family: 4 | 6): void {
    if (!this.deferring) return;
    const w = this.waiting.get(address);
    if (!w) return;
    w.delete(family);
    if (!w.size) {
      this.waiting.delete(address);
      const ms = Math.round(this.deps.clock.now() - this.since);
      this.received.set(address, ms);
      this.deps.log.info(
        { peer: address, family: unicastName(family), ms },
        'graceful restart: End-of-RIB waited for',
      );
      this.deps.announce?.({ phase: 'eor', neighbor: address, ms });
    }
    this.check();
  }

  /** A neighbor removed from the configuration is not waited for. */
  forget(address: string): void {
    if (this.waiting.delete(address)) this.check();
  }

  view(): DeferralView {
    return {
      restarted: this.restarted,
      deferring: this.deferring,
      waitingFor: Object.fromEntries(
        [...this.waiting].map(([a, f]) => [a, f ? [...f].map(unicastName) : ['(session not up)']]),
      ),
      endOfRib: Object.fromEntries(this.received),
      ...(this.ended && { ended: this.ended }),
      deferralTime: this.deps.deferralTime,
    };
  }

  stop(): void {
    this.timer?.cancel();
  }

  private check(): void {
    if (this.deferring && this.waiting.size === 0) this.finish('End-of-RIB from every GR neighbor');
  }

  private finish(why: string): void {
    if (!this.deferring) return;
    this.deferring = false;
    this.timer?.cancel();
    this.ended = { why, ms: Math.round(this.deps.clock.now() - this.since) };
    this.deps.log.info(
      { why, ms: this.ended.ms, stillWaiting: [...this.waiting.keys()] },
      'graceful restart: deferral over, selecting and sending tables with End-of-RIB',
    );
    this.deps.release(why);
    this.deps.announce?.({ phase: 'end', why, ms: this.ended.ms, neighbors: [...this.waiting.keys()] });
  }
}
