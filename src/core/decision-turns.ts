/**
 * When the decision runs: at most once per event-loop turn for whatever import, origination or a
 * peer going down made dirty (that peer's paths leave a chunk per turn too), a chunk of
 * destinations per turn (a full table must not hold other
 * sessions' timers, RFC 4271 §4.4), and what changed goes to the listeners (FIB, events) and the
 * update groups. Turns come from an injected TurnScheduler; the decision itself is rib/decision.ts.
 */
import type { DecisionOptions } from '../rib/decision.js';
import type { Dest, LocRib } from '../rib/loc-rib.js';
import type { TurnScheduler } from '../util/turns.js';

export interface DecisionTurnDeps {
  readonly rib: LocRib;
  readonly options: DecisionOptions;
  readonly turns: TurnScheduler;
  /** Destinations decided per turn. */
  readonly chunk: number;
  /** Export of what changed (the update groups). */
  readonly export: (dests: readonly Dest[]) => void;
  /** Called first with what changed (the FIB). */
  readonly onBestChanged?: (dests: readonly Dest[]) => void;
  /** How long each run took and how many destinations changed (metrics). */
  readonly onFlush?: (seconds: number, destinations: number) => void;
}

export class DecisionTurns {
  private scheduled = false;
  private readonly listeners = new Set<(dests: readonly Dest[]) => void>();

  constructor(private readonly d: DecisionTurnDeps) {}

  /** Something is dirty: run the decision in the next turn (once, however often asked). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.d.turns.next(() => this.flush());
  }

  /** Runs the decision for a chunk of what is dirty and hands on what changed. */
  flush(): void {
    this.scheduled = false;
    const { rib, onFlush } = this.d;
    const start = onFlush ? performance.now() : undefined;
    // A peer gone: its paths leave a chunk of destinations per turn, decided in the turns after.
    if (rib.flushing) rib.flushSome(this.d.chunk * 2);
    const changed = rib.decide(this.d.options, this.d.chunk);
    if (changed.length) {
      this.d.onBestChanged?.(changed);
      for (const l of this.listeners) l(changed);
      this.d.export(changed);
    }
    if (start !== undefined) onFlush?.((performance.now() - start) / 1000, changed.length);
    if (rib.dirtyCount || rib.flushing) this.schedule();
  }

  /** Runs the decision until nothing is dirty. */
  settle(): void {
    do this.flush();
    while (this.d.rib.dirtyCount || this.d.rib.flushing);
  }

  /** Calls `fn` with the destinations of every decision run; returns the unsubscribe. */
  onChange(fn: (dests: readonly Dest[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
