/**
 * The FIB port: what the routing core asks of a forwarding table. Implementations: noop (fib: false,
 * tests) and Linux (kernel of the namespace rackbgp runs in). The reconciler decides what to change;
 * a port only carries changes out and reports which ones the kernel refused.
 */

export interface FibNextHop {
  /**
   * Gateway address: of the route's family, or IPv6 for an IPv4 route (RFC 8950, unnumbered BGP:
   * `10.0.0.0/24 via inet6 fe80::1 dev eth1`, the kernel's RTA_VIA).
   */
  readonly via: string;
  /** Output interface, required for IPv6 link-local gateways (also under an IPv4 route). */
  readonly dev?: string;
}

export interface FibRoute {
  readonly family: 4 | 6;
  /** Canonical "10.0.0.0/24" / "fd00::/64". */
  readonly prefix: string;
  /** One next hop, or several for ECMP. */
  readonly nextHops: readonly FibNextHop[];
}

/**
 * `add` installs a route the reconciler does not own yet: it must not overwrite a route of another
 * protocol with the same prefix and metric (Linux `replace` would). `replace` changes one of ours,
 * and must not overwrite another protocol's route either when ours has gone meanwhile.
 */
export type FibChange =
  | { readonly op: 'add'; readonly route: FibRoute }
  | { readonly op: 'replace'; readonly route: FibRoute }
  | { readonly op: 'delete'; readonly family: 4 | 6; readonly prefix: string };

/** A change the kernel (or the port's own validation) refused, with the reason as text. */
export interface FibFailure {
  readonly change: FibChange;
  readonly error: string;
}

export interface FibApplyResult {
  /** Changes that did not take effect; every other change did. */
  readonly failed: readonly FibFailure[];
}

/** How a port reaches the kernel: rtnetlink directly, `ip -batch` children, or not at all. */
export type FibMethod = 'netlink' | 'ip-batch' | 'none';

export interface FibPort {
  /** How this port reaches the kernel (`show fib` says it). */
  readonly method?: FibMethod;
  /** Routes this daemon owns in the table now (e.g. left by an earlier run). */
  dump(): Promise<FibRoute[]>;
  /** Applies changes in order per prefix, batched; resolves when the kernel has them all. */
  apply(changes: readonly FibChange[]): Promise<FibApplyResult>;
  close(): Promise<void>;
}

export function changePrefix(c: FibChange): string {
  return c.op === 'delete' ? c.prefix : c.route.prefix;
}

export function changeFamily(c: FibChange): 4 | 6 {
  return c.op === 'delete' ? c.family : c.route.family;
}
