/**
 * Unnumbered neighbors (`neighbors: [{ interface: eth1 }]`): the session runs between the IPv6
 * link-local addresses of the link. We send Router Advertisements on the interface (RFC 4861 §6.2,
 * as FRR does for `neighbor eth1 interface`) so the peer learns our address, and learn the peer's
 * from its RAs, its RSs or the connection it opens. A new address replaces the old one unless the
 * old one still has a live session. It does not run sessions: the SessionManager does, on callbacks.
 */
import type { NeighborConfig } from '../config/schema.js';
import type { Clock, Timer } from '../util/clock.js';
import { classifyIcmp6, encodeRouterAdvert, Icmp6Type } from './router-advert.js';

/** What the link needs of a raw ICMPv6 socket (Icmp6Socket; a fake in tests). */
export interface LinkSocket {
  sendAllNodes(data: Uint8Array): string | null;
  drain(): { from: string; data: Uint8Array }[];
  close(): void;
}

export interface LinkHost {
  readonly clock: Clock;
  /** Opens the socket of an interface; throws when it cannot (no interface, no CAP_NET_RAW). */
  openSocket(ifname: string): LinkSocket;
  /** Starts a session to `address` (zoned link-local) for the interface neighbor `n`. */
  create(n: NeighborConfig, address: string): void;
  /** Ends and forgets the session to `address`. */
  remove(address: string, why: string): void;
  established(address: string): boolean;
  warn(o: object, message: string): void;
  info(o: object, message: string): void;
}

export const LINK_TIMING = {
  /** RFC 4861 §6.2.4: the first advertisements go out quicker (MAX_INITIAL_RTR_ADVERT_INTERVAL 16 s; FRR's BGP RAs are every 10 s). */
  initialIntervalMs: 1000,
  initialCount: 3,
  intervalMs: 10_000,
  /** How often the socket is read. */
  pollMs: 200,
  /** An address heard from within this long keeps its Established session against a newer one. */
  aliveMs: 35_000,
} as const;

/** Which address of a link's peer to use; pure (times are inputs). */
export class PeerAddressTracker {
  current: string | undefined;
  private readonly heardAt = new Map<string, number>();

  /** `address` was heard from at `now`; returns the address to switch to, or null to stay. */
  heard(address: string, now: number, established: (a: string) => boolean): string | null {
    this.heardAt.set(address, now);
    const old = this.current;
    if (address === old) return null;
    if (
      old !== undefined &&
      established(old) &&
      now - (this.heardAt.get(old) ?? -Infinity) < LINK_TIMING.aliveMs
    )
      return null;
    this.current = address;
    return address;
  }
}

class Link {
  readonly tracker = new PeerAddressTracker();
  socket: LinkSocket | null = null;
  private timers: Timer[] = [];
  private sent = 0;

  constructor(
    public config: NeighborConfig,
    private readonly host: LinkHost,
    readonly ifname: string,
  ) {}

  start(): void {
    try {
      this.socket = this.host.openSocket(this.ifname);
    } catch (e) {
      this.host.warn(
        { interface: this.ifname, err: (e as Error).message },
        'unnumbered neighbor: no Router Advertisements; waiting for the peer to connect',
      );
      return;
    }
    this.advertise();
    this.poll();
  }

  /** An RA now, and the next one on the RFC 4861 §6.2.4 schedule. */
  advertise(): void {
    const err = this.socket?.sendAllNodes(encodeRouterAdvert());
    if (err) this.host.warn({ interface: this.ifname, err }, 'cannot send Router Advertisement');
    this.sent++;
    this.retime(
      0,
      this.sent <= LINK_TIMING.initialCount ? LINK_TIMING.initialIntervalMs : LINK_TIMING.intervalMs,
      () => this.advertise(),
    );
  }

  private poll(): void {
    for (const m of this.socket?.drain() ?? []) {
      const type = classifyIcmp6(m.data);
      if (type === Icmp6Type.ROUTER_SOLICITATION) this.advertise();
      if (type !== null) this.learn(m.from);
    }
    this.retime(1, LINK_TIMING.pollMs, () => this.poll());
  }

  private retime(slot: number, ms: number, fn: () => void): void {
    this.timers[slot]?.cancel();
    this.timers[slot] = this.host.clock.setTimer(ms, fn);
  }

  /** The peer spoke from `address` (an RA, an RS, a connection). */
  learn(address: string): void {
    const old = this.tracker.current;
    const next = this.tracker.heard(address, this.host.clock.now(), (a) => this.host.established(a));
    if (next === null) return;
    if (old !== undefined) this.host.remove(old, `peer address on ${this.ifname} changed to ${next}`);
    this.host.info(
      { interface: this.ifname, peer: next, ...(old && { was: old }) },
      'unnumbered neighbor address learned',
    );
    this.host.create(this.config, next);
    // A peer just heard from may not know us yet: tell it at once.
    if (this.socket && old === undefined) this.advertise();
  }

  /** Stops advertising and listening; with `why`, also ends the session. */
  stop(why?: string): void {
    for (const t of this.timers) t?.cancel();
    this.timers = [];
    this.socket?.close();
    this.socket = null;
    if (why !== undefined && this.tracker.current !== undefined) this.host.remove(this.tracker.current, why);
  }
}

/** The interface neighbors of a speaker, by interface name. */
export class LinkNeighbors {
  private readonly links = new Map<string, Link>();

  constructor(private readonly host: LinkHost) {}

  add(n: NeighborConfig & { interface: string }): void {
    this.remove(n.interface, 'replaced');
    const link = new Link(n, this.host, n.interface);
    this.links.set(n.interface, link);
    link.start();
  }

  has(ifname: string): boolean {
    return this.links.has(ifname);
  }

  /** The neighbor's current session address, if one was learned. */
  addressOf(ifname: string): string | undefined {
    return this.links.get(ifname)?.tracker.current;
  }

  /** The interface neighbor whose session `address` is (current or learned now from a connection). */
  connectionFrom(address: string): NeighborConfig | undefined {
    const zone = /%(.+)$/.exec(address)?.[1];
    const link = zone === undefined ? undefined : this.links.get(zone);
    if (!link) return undefined;
    link.learn(address);
    return link.tracker.current === address ? link.config : undefined;
  }

  /** New settings for a link (reload): used by the next session it creates. */
  reconfigure(n: NeighborConfig & { interface: string }): void {
    const link = this.links.get(n.interface);
    if (link) link.config = n;
  }

  remove(ifname: string, why: string): boolean {
    const link = this.links.get(ifname);
    if (!link) return false;
    this.links.delete(ifname);
    link.stop(why);
    return true;
  }

  /** Closes every socket and timer; the sessions are the manager's to stop. */
  close(): void {
    for (const link of this.links.values()) link.stop();
    this.links.clear();
  }
}
