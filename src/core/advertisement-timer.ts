/**
 * MinRouteAdvertisementInterval for one peer (RFC 4271 §9.2.1.1): the first change after a quiet
 * interval goes at once; changes within the interval are held and sent together when it ends.
 */
import type { Dest } from '../rib/loc-rib.js';
import type { Clock, Timer } from '../util/clock.js';

export class AdvertisementTimer {
  private readonly held = new Set<Dest>();
  private timer: Timer | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly send: (dests: readonly Dest[]) => void,
  ) {}

  /** Sends `changed` now, or holds it (with what is already held) for the end of the interval. */
  offer(changed: readonly Dest[]): void {
    for (const d of changed) this.held.add(d);
    if (this.timer) return;
    const wait = this.lastSentAt + this.intervalMs - this.clock.now();
    if (wait <= 0) this.fire();
    else this.timer = this.clock.setTimer(wait, () => this.fire());
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.held.clear();
  }

  private fire(): void {
    this.timer = null;
    this.lastSentAt = this.clock.now();
    const dests = [...this.held];
    this.held.clear();
    this.send(dests);
  }
}
