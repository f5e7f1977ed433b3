/**
 * Event-loop turns as an input, like time (clock.ts): work split across turns (initial tables in
 * chunks, one decision run per turn) asks a TurnScheduler for the next turn instead of calling
 * setImmediate, so tests step turns by hand with ManualTurns.
 */

export interface TurnScheduler {
  /** Runs `fn` in a later turn of the event loop, after I/O already queued. */
  next(fn: () => void): void;
}

/** The daemon's turns: setImmediate (after pending I/O callbacks, so sockets are never starved). */
export const immediateTurns: TurnScheduler = { next: (fn) => setImmediate(fn) };

/** Turns run by hand: `step()` runs what the previous turn queued; `drain()` until nothing is left. */
export class ManualTurns implements TurnScheduler {
  private queue: (() => void)[] = [];

  next(fn: () => void): void {
    this.queue.push(fn);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** One turn: what was queued before it (work it queues waits for the next step). */
  step(): void {
    const now = this.queue;
    this.queue = [];
    for (const fn of now) fn();
  }

  /** Turns until nothing is queued; throws after `limit` turns (a loop that never ends). */
  drain(limit = 1_000_000): number {
    let n = 0;
    while (this.queue.length) {
      if (++n > limit) throw new Error(`ManualTurns: still busy after ${limit} turns`);
      this.step();
    }
    return n;
  }
}
