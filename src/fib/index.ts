/**
 * The FIB: the port the core installs best paths through (Linux via iproute2, or noop), the
 * reconciler and its per-loop-turn driver, and next-hop resolution over the kernel's own tables.
 */

export { CAP_NET_ADMIN, hasCapability, mayChangeRoutes } from './capabilities.js';
export { FibDriver, type FibDriverOptions, type FibOperationCounts, type FibStats } from './driver.js';
export { DEFAULT_METRIC, MAX_NEXT_HOPS } from './ip-lines.js';
export { LinuxFib, type LinuxFibOptions } from './linux.js';
export { PrefixTable } from './lpm.js';
export { NetlinkFib, type NetlinkFibOptions } from './netlink-driver.js';
export {
  type ConnectedPrefix,
  type KernelAddress,
  type KernelLink,
  type KernelRoute,
  type NextHopResolution,
  NextHopTable,
} from './next-hop.js';
export { NoopFib } from './noop.js';
export * from './protocol.js';
export { ReadOnlyFib } from './read-only.js';
export { FibReconciler, type FibRouteState, type ReconcilerStats, sameNextHops } from './reconciler.js';
export { KernelResolver, type ResolverChange, type ResolverOptions } from './resolver.js';
export * from './types.js';
