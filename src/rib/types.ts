/**
 * The RIB's data: an interned attribute set and a path (peer, path id, attribute set). Per prefix
 * only what differs is stored; attribute sets are shared. PeerInfo and RouteAttrs are the shared
 * route model (src/route/types.ts), re-exported here for the RIB's users.
 */
import type { PeerInfo, RouteAttrs } from '../route/types.js';

// Shared with policy (which must not import rib): src/route/types.ts.
export type { PeerInfo, RouteAttrs } from '../route/types.js';

/** An interned attribute set: one object per distinct set of attributes, shared by all its paths. */
export interface AttrSet {
  readonly id: number;
  readonly attrs: RouteAttrs;
  /** Canonical form used for interning. */
  readonly key: string;
  refs: number;
  /** The store that interned it (a number unique per AttrStore). */
  readonly owner: number;
}

export interface Path {
  readonly peer: PeerInfo;
  /** RFC 7911 path identifier as received (0 without ADD-PATH). */
  readonly pathId: number;
  /** Our path identifier when sending with ADD-PATH (stable while the path is replaced in place). */
  readonly txId: number;
  readonly attrs: AttrSet;
  /** Graceful-restart stale mark (RFC 4724 §4.2). */
  stale: boolean;
}

/** A prefix in a family, in the text form used by snapshots and the FIB. */
export interface RoutePrefix {
  readonly family: 4 | 6;
  readonly prefix: string;
}
