/**
 * Fault injection `delay-updates` / `delay-eor`: outbound UPDATEs (or only End-of-RIB, RFC 4724 §2)
 * are held back by a fixed time before they reach the transmit queue. First in, first out: a frame
 * never overtakes one held before it, so UPDATEs queued behind a held End-of-RIB wait for it.
 * Timers come from the Clock; nothing here touches a socket.
 */
import type { Clock, Timer } from '../util/clock.js';

export interface UpdateDelayRule {
  /** Milliseconds every UPDATE (End-of-RIB included) is held. */
  readonly updatesMs: number;
  /** Milliseconds an End-of-RIB is held (the larger of the two applies to it). */
  readonly eorMs: number;
}

interface Held {
  readonly at: number;
  readonly frame: Uint8Array;
  /** Already counted as sent by whoever queued it (messages encoded by the connection). */
  readonly counted: boolean;
}

export class UpdateDelayLine {
  private held: Held[] = [];
  private timer: Timer | null = null;

  constructor(
    private rule: UpdateDelayRule,
    private readonly clock: Clock,
    private readonly isEndOfRib: (frame: Uint8Array) => boolean,
    /** Receives due frames in order; `uncounted` is the subset not yet counted as sent. */
    private readonly release: (frames: Uint8Array[], uncounted: Uint8Array[]) => void,
  ) {}

  /** Frames waiting. */
  get pending(): number {
    return this.held.length;
  }

  /** A new rule applies to frames queued from now on. */
  setRule(rule: UpdateDelayRule): void {
    this.rule = rule;
  }

  push(frames: readonly Uint8Array[], counted = false): void {
    const now = this.clock.now();
    let last = this.held.length ? this.held[this.held.length - 1].at : now;
    for (const frame of frames) {
      const wait =
        this.rule.eorMs > 0 && this.isEndOfRib(frame)
          ? Math.max(this.rule.eorMs, this.rule.updatesMs)
          : this.rule.updatesMs;
      last = Math.max(last, now + wait);
      this.held.push({ at: last, frame, counted });
    }
    this.schedule();
  }

  /** Releases everything held now, in order (the fault ended). */
  flushAll(): void {
    this.timer?.cancel();
    this.timer = null;
    this.emit(this.held);
    this.held = [];
  }

  /** Forgets what is held (the connection is gone). */
  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.held = [];
  }

  private schedule(): void {
    if (this.timer || !this.held.length) return;
    this.timer = this.clock.setTimer(Math.max(0, this.held[0].at - this.clock.now()), () => {
      this.timer = null;
      const now = this.clock.now();
      let n = 0;
      while (n < this.held.length && this.held[n].at <= now) n++;
      const due = this.held.slice(0, n);
      this.held = this.held.slice(n);
      this.emit(due);
      this.schedule();
    });
  }

  private emit(items: readonly Held[]): void {
    if (!items.length) return;
    this.release(
      items.map((h) => h.frame),
      items.filter((h) => !h.counted).map((h) => h.frame),
    );
  }
}
