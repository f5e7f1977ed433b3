/**
 * MRT type and subtype numbers (RFC 6396 §4, RFC 8050 §3 ADD-PATH subtypes) and the BGP FSM state
 * numbers of BGP4MP_STATE_CHANGE (RFC 6396 §4.4.1). Names as the RFCs spell them.
 */

export const MrtType = {
  TABLE_DUMP: 12,
  TABLE_DUMP_V2: 13,
  BGP4MP: 16,
  /** BGP4MP with a microsecond timestamp after the header (RFC 6396 §3). */
  BGP4MP_ET: 17,
} as const;

export const TableDumpV2 = {
  PEER_INDEX_TABLE: 1,
  RIB_IPV4_UNICAST: 2,
  RIB_IPV4_MULTICAST: 3,
  RIB_IPV6_UNICAST: 4,
  RIB_IPV6_MULTICAST: 5,
  RIB_GENERIC: 6,
  RIB_IPV4_UNICAST_ADDPATH: 8,
  RIB_IPV4_MULTICAST_ADDPATH: 9,
  RIB_IPV6_UNICAST_ADDPATH: 10,
  RIB_IPV6_MULTICAST_ADDPATH: 11,
  RIB_GENERIC_ADDPATH: 12,
} as const;

export const Bgp4mp = {
  STATE_CHANGE: 0,
  MESSAGE: 1,
  MESSAGE_AS4: 4,
  STATE_CHANGE_AS4: 5,
  MESSAGE_LOCAL: 6,
  MESSAGE_AS4_LOCAL: 7,
  MESSAGE_ADDPATH: 8,
  MESSAGE_AS4_ADDPATH: 9,
  MESSAGE_LOCAL_ADDPATH: 10,
  MESSAGE_AS4_LOCAL_ADDPATH: 11,
} as const;

/** RFC 6396 §4.4.1 state numbers. */
export const MRT_STATES = [
  '',
  'Idle',
  'Connect',
  'Active',
  'OpenSent',
  'OpenConfirm',
  'Established',
] as const;

export const mrtStateNumber = (name: string): number => Math.max(0, MRT_STATES.indexOf(name as never));

const nameOf = (table: Record<string, number>, v: number): string =>
  Object.entries(table).find(([, n]) => n === v)?.[0] ?? String(v);

export const mrtTypeName = (t: number): string => nameOf(MrtType, t);

export function mrtSubtypeName(type: number, subtype: number): string {
  if (type === MrtType.TABLE_DUMP_V2) return nameOf(TableDumpV2, subtype);
  if (type === MrtType.BGP4MP || type === MrtType.BGP4MP_ET) return nameOf(Bgp4mp, subtype);
  if (type === MrtType.TABLE_DUMP)
    return subtype === 1 ? 'AFI_IPv4' : subtype === 2 ? 'AFI_IPv6' : String(subtype);
  return String(subtype);
}

/** BGP4MP message subtype facts: 4-octet AS fields, locally sent, NLRI with path ids (RFC 8050). */
export function bgp4mpMessageKind(
  subtype: number,
): { as4: boolean; local: boolean; addPath: boolean } | null {
  switch (subtype) {
    case Bgp4mp.MESSAGE:
      return { as4: false, local: false, addPath: false };
    case Bgp4mp.MESSAGE_AS4:
      return { as4: true, local: false, addPath: false };
    case Bgp4mp.MESSAGE_LOCAL:
      return { as4: false, local: true, addPath: false };
    case Bgp4mp.MESSAGE_AS4_LOCAL:
      return { as4: true, local: true, addPath: false };
    case Bgp4mp.MESSAGE_ADDPATH:
      return { as4: false, local: false, addPath: true };
    case Bgp4mp.MESSAGE_AS4_ADDPATH:
      return { as4: true, local: false, addPath: true };
    case Bgp4mp.MESSAGE_LOCAL_ADDPATH:
      return { as4: false, local: true, addPath: true };
    case Bgp4mp.MESSAGE_AS4_LOCAL_ADDPATH:
      return { as4: true, local: true, addPath: true };
    default:
      return null;
  }
}

export function bgp4mpMessageSubtype(as4: boolean, local: boolean, addPath: boolean): number {
  if (addPath)
    return local
      ? as4
        ? Bgp4mp.MESSAGE_AS4_LOCAL_ADDPATH
        : Bgp4mp.MESSAGE_LOCAL_ADDPATH
      : as4
        ? Bgp4mp.MESSAGE_AS4_ADDPATH
        : Bgp4mp.MESSAGE_ADDPATH;
  return local
    ? as4
      ? Bgp4mp.MESSAGE_AS4_LOCAL
      : Bgp4mp.MESSAGE_LOCAL
    : as4
      ? Bgp4mp.MESSAGE_AS4
      : Bgp4mp.MESSAGE;
}
