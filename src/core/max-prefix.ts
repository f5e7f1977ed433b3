/**
 * Max-prefix (RFC 4486 §4): a neighbor over its limit gets Cease/Maximum Number of Prefixes
 * Reached (data built in wire: AFI, SAFI, limit) and, with `restart-after`, its session starts
 * again after that many seconds. The count is the import pipeline's; timers come from the Clock.
 */
import type { Logger, PeerSession } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import { IPV4_UNICAST, IPV6_UNICAST, maxPrefixNotification } from '../wire/index.js';

export interface MaxPrefixDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The neighbor's `max-prefix.restart-after` in seconds, if set. */
  readonly restartAfter: (address: string) => number | undefined;
}

export class MaxPrefixGuard {
  /** Timers that restart a peer (cancelled by stop()). */
  private readonly timers = new Set<Timer>();

  constructor(private readonly d: MaxPrefixDeps) {}

  exceeded(peer: PeerSession, family: 4 | 6, limit: number): void {
    const address = peer.endpoint.address;
    const restartAfter = this.d.restartAfter(address);
    this.d.log.warn(
      { peer: address, family: family === 4 ? 'ipv4-unicast' : 'ipv6-unicast', limit, restartAfter },
      'maximum prefixes exceeded',
    );
    peer.stopWith(maxPrefixNotification(family === 4 ? IPV4_UNICAST : IPV6_UNICAST, limit));
    if (restartAfter) {
      const t = this.d.clock.setTimer(restartAfter * 1000, () => {
        this.timers.delete(t);
        peer.start();
      });
      this.timers.add(t);
    }
  }

  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}
