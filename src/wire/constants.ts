/**
 * IANA registries used on the wire, named as IANA spells them (RFC 4271 §4, BGP parameters registry).
 * Call sites use these names, never the bare numbers.
 */

export const MARKER_LENGTH = 16;
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1 maximum message size; RFC 8654 raises it once extended messages are negotiated. */
export const MAX_MESSAGE_LENGTH = 4096;
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;
export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet placeholder for a 4-octet AS. */
export const AS_TRANS = 23456;

export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const AttrCode = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

export const CapabilityCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  EXTENDED_NEXT_HOP: 5,
  EXTENDED_MESSAGE: 6,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
  LONG_LIVED_GRACEFUL_RESTART: 71,
  FQDN: 73,
  /** Pre-standard route refresh code still sent by FRR and Cisco. */
  ROUTE_REFRESH_OLD: 128,
} as const;

/** OPEN optional parameter types (RFC 5492; RFC 9072 extended parameters length). */
export const OptParamType = {
  CAPABILITIES: 2,
  EXTENDED_LENGTH: 255,
} as const;

export const Afi = { IPV4: 1, IPV6: 2 } as const;
export const Safi = { UNICAST: 1, MULTICAST: 2 } as const;

/** An address family as one number: (AFI << 8) | SAFI. */
export type Family = number;
export const family = (afi: number, safi: number): Family => ((afi & 0xffff) << 8) | (safi & 0xff);
export const familyAfi = (f: Family): number => f >>> 8;
export const familySafi = (f: Family): number => f & 0xff;
export const IPV4_UNICAST: Family = family(Afi.IPV4, Safi.UNICAST);
export const IPV6_UNICAST: Family = family(Afi.IPV6, Safi.UNICAST);

export function familyName(f: Family): string {
  if (f === IPV4_UNICAST) return 'ipv4-unicast';
  if (f === IPV6_UNICAST) return 'ipv6-unicast';
  const afi = familyAfi(f) === Afi.IPV4 ? 'ipv4' : familyAfi(f) === Afi.IPV6 ? 'ipv6' : `afi${familyAfi(f)}`;
  const safi = familySafi(f) === Safi.MULTICAST ? 'multicast' : `safi${familySafi(f)}`;
  return `${afi}-${safi}`;
}

export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
export type OriginCode = (typeof Origin)[keyof typeof Origin];

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3). */
export const AsPathSegmentType = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
} as const;

/** NOTIFICATION error codes and subcodes (RFC 4271 §4.5, 4486, 7313, 8203, IANA). */
export const ErrorCode = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH_MESSAGE: 7,
} as const;

export const HeaderSubcode = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

export const OpenSubcode = {
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
  ROLE_MISMATCH: 11,
} as const;

export const UpdateSubcode = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

export const FsmSubcode = {
  UNSPECIFIED: 0,
  UNEXPECTED_MESSAGE_IN_OPENSENT: 1,
  UNEXPECTED_MESSAGE_IN_OPENCONFIRM: 2,
  UNEXPECTED_MESSAGE_IN_ESTABLISHED: 3,
} as const;

/** RFC 4486. */
export const CeaseSubcode = {
  MAXIMUM_NUMBER_OF_PREFIXES_REACHED: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DE_CONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
  BFD_DOWN: 10,
} as const;

/** RFC 7313 §5. */
export const RouteRefreshSubcode = { INVALID_MESSAGE_LENGTH: 1 } as const;

/** ROUTE-REFRESH message subtypes (RFC 7313 §3.2). */
export const RefreshSubtype = { NORMAL: 0, BORR: 1, EORR: 2 } as const;

const subcodeTables: Record<number, Record<string, number>> = {
  [ErrorCode.MESSAGE_HEADER]: HeaderSubcode,
  [ErrorCode.OPEN_MESSAGE]: OpenSubcode,
  [ErrorCode.UPDATE_MESSAGE]: UpdateSubcode,
  [ErrorCode.FSM]: FsmSubcode,
  [ErrorCode.CEASE]: CeaseSubcode,
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: RouteRefreshSubcode,
};

const kebab = (s: string) => s.toLowerCase().replace(/_/g, '-');

/** Human names for a NOTIFICATION code/subcode, e.g. "cease" / "administrative-shutdown". */
export function errorName(code: number, subcode: number): { code: string; subcode: string } {
  const codeName = Object.entries(ErrorCode).find(([, v]) => v === code)?.[0];
  const table = subcodeTables[code];
  const subName = table ? Object.entries(table).find(([, v]) => v === subcode)?.[0] : undefined;
  return {
    code: codeName ? kebab(codeName) : `code-${code}`,
    subcode: subName ? kebab(subName) : subcode === 0 ? 'unspecific' : `subcode-${subcode}`,
  };
}
