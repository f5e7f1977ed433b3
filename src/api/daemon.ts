/**
 * The daemon as the cli sees it: the Speaker to run, and the types and pure helpers of what the
 * api serves (snapshots, journal events, faults, reload reports). The cli reaches the core only
 * through src/api (dependency-cruiser rule cli-through-api); src/index.ts is the library's list.
 */
export type { BfdStatus } from '../bfd/manager.js';
export {
  ANY_NEIGHBOR,
  FAULT_KINDS,
  FaultError,
  type FaultKind,
  type FaultSpec,
  type FaultView,
  parseDuration,
} from '../core/faults.js';
export { EVENT_TYPES, type JournalEvent } from '../core/journal.js';
export { formatEvent } from '../core/journal-text.js';
export type { PrefixSummary } from '../core/prefix-history.js';
export type { ReloadReport } from '../core/reload.js';
export { parseRouteQuery } from '../core/route-query.js';
export type { LastError, PathSnapshot, RouteSnapshot } from '../core/snapshot.js';
export { Speaker } from '../core/speaker.js';
