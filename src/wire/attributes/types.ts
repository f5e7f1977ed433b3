/**
 * Decoded path attributes as readonly plain data (RFC 4271 §5 and the RFCs each field names).
 * MP_REACH/MP_UNREACH are not here: they carry NLRI and live on the UPDATE itself.
 */
import type { OriginCode } from '../constants.js';

export interface AsPathSegment {
  /** AsPathSegmentType: AS_SET 1, AS_SEQUENCE 2, AS_CONFED_SEQUENCE 3, AS_CONFED_SET 4 */
  readonly type: number;
  readonly asns: readonly number[];
}

/** RFC 8092 large community: global administrator, local data part 1, local data part 2. */
export type LargeCommunity = readonly [number, number, number];

/** An attribute this codec does not interpret, kept with its flags for pass-through (RFC 4271 §5). */
export interface RawAttribute {
  readonly flags: number;
  readonly code: number;
  readonly value: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: OriginCode;
  /** Always 4-octet ASNs; AS4_PATH is folded in on receipt and derived on send (RFC 6793 §4.2.3). */
  readonly asPath?: readonly AsPathSegment[];
  /** IPv4 NEXT_HOP attribute (IPv6 next hops are in MP_REACH_NLRI). */
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  /** RFC 1997 communities as 32-bit values (high 16 bits AS, low 16 bits value). */
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  /** RFC 4360 extended communities as 16 hex digits each. */
  readonly extendedCommunities?: readonly string[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Unrecognized attributes in the order received. */
  readonly unknown?: readonly RawAttribute[];
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
