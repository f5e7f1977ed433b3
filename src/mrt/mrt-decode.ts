/**
 * MRT record reader (RFC 6396): splits a file into records and parses TABLE_DUMP (§4.2),
 * TABLE_DUMP_V2 PEER_INDEX_TABLE and RIB_IPV4/IPV6 unicast/multicast (§4.3, RFC 8050 ADD-PATH) and
 * BGP4MP/BGP4MP_ET messages and state changes (§4.4). BGP messages stay bytes (the wire codec decodes
 * them); RIB attributes are decoded here, with the abbreviated MP_REACH_NLRI of §4.3.4. Never throws.
 */
import { formatIPv4, formatIPv6, formatPrefix } from '../util/ip.js';
import { decodeAttributes } from '../wire/attributes/decode.js';
import { decodeMpReach } from '../wire/attributes/mp.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { AttrCode, AttrFlag, family } from '../wire/constants.js';
import type { AttrIssue } from '../wire/errors.js';
import { Reader } from '../wire/reader.js';
import { Bgp4mp, bgp4mpMessageKind, MRT_STATES, MrtType, TableDumpV2 } from './constants.js';
import { MRT_HEADER_LENGTH, type MrtPeer } from './mrt-encode.js';

export interface MrtHeader {
  /** Octet offset of the record in the file. */
  readonly offset: number;
  readonly seconds: number;
  /** BGP4MP_ET microseconds. */
  readonly microseconds?: number;
  readonly type: number;
  readonly subtype: number;
  /** Body length from the header. */
  readonly length: number;
}

export interface RibPathEntry {
  readonly peerIndex: number;
  readonly originated: number;
  readonly pathId?: number;
  readonly attributes: PathAttributes;
  readonly nextHop?: string;
  readonly linkLocalNextHop?: string;
  readonly issues: readonly AttrIssue[];
  /** TABLE_DUMP (v1) records name their peer themselves (there is no peer index table). */
  readonly peer?: MrtPeer;
}

export type MrtBody =
  | { kind: 'peer-index'; collectorId: string; viewName: string; peers: MrtPeer[] }
  | {
      kind: 'rib';
      family: 4 | 6;
      sequence: number;
      prefix: string;
      addPath: boolean;
      entries: RibPathEntry[];
    }
  | {
      kind: 'message';
      as4: boolean;
      local: boolean;
      addPath: boolean;
      peerAs: number;
      localAs: number;
      peerAddress: string;
      localAddress: string;
      message: Uint8Array;
    }
  | {
      kind: 'state';
      peerAs: number;
      localAs: number;
      peerAddress: string;
      localAddress: string;
      from: string;
      to: string;
    }
  | { kind: 'unsupported' }
  | { kind: 'error'; reason: string };

export interface MrtItem {
  readonly header: MrtHeader;
  readonly body: MrtBody;
}

/** The records of an MRT file; a record cut short by the end of the file is an 'error' item. */
export function* readMrt(bytes: Uint8Array): Generator<MrtItem> {
  let p = 0;
  while (p < bytes.length) {
    if (bytes.length - p < MRT_HEADER_LENGTH) {
      const header = { offset: p, seconds: 0, type: 0, subtype: 0, length: 0 };
      yield {
        header,
        body: { kind: 'error', reason: `${bytes.length - p} octets left, less than a header` },
      };
      return;
    }
    const r = new Reader(bytes, p);
    const seconds = r.u32();
    const type = r.u16();
    const subtype = r.u16();
    const length = r.u32();
    const header: MrtHeader = { offset: p, seconds, type, subtype, length };
    const start = p + MRT_HEADER_LENGTH;
    if (start + length > bytes.length) {
      const reason = `record length ${length} runs past the end of the file (${bytes.length - start} octets left)`;
      yield { header, body: { kind: 'error', reason } };
      return;
    }
    yield parseRecord(header, bytes.subarray(start, start + length));
    p = start + length;
  }
}

function parseRecord(header: MrtHeader, body: Uint8Array): MrtItem {
  try {
    const r = new Reader(body);
    if (header.type === MrtType.BGP4MP_ET) {
      const microseconds = r.u32();
      return { header: { ...header, microseconds }, body: bgp4mp(header.subtype, r) };
    }
    if (header.type === MrtType.BGP4MP) return { header, body: bgp4mp(header.subtype, r) };
    if (header.type === MrtType.TABLE_DUMP_V2) return { header, body: tableDumpV2(header.subtype, r) };
    if (header.type === MrtType.TABLE_DUMP) return { header, body: tableDump(header, r) };
    return { header, body: { kind: 'unsupported' } };
  } catch (e) {
    return { header, body: { kind: 'error', reason: (e as Error).message } };
  }
}

const address = (r: Reader, v6: boolean): string => (v6 ? formatIPv6(r.view(16)) : formatIPv4(r.u32()));

function bgp4mp(subtype: number, r: Reader): MrtBody {
  const kind = bgp4mpMessageKind(subtype);
  const state = subtype === Bgp4mp.STATE_CHANGE || subtype === Bgp4mp.STATE_CHANGE_AS4;
  if (!kind && !state) return { kind: 'unsupported' };
  const as4 = kind ? kind.as4 : subtype === Bgp4mp.STATE_CHANGE_AS4;
  const peerAs = as4 ? r.u32() : r.u16();
  const localAs = as4 ? r.u32() : r.u16();
  r.u16(); // interface index
  const afi = r.u16();
  if (afi !== 1 && afi !== 2) throw new RangeError(`unknown address family ${afi}`);
  const peerAddress = address(r, afi === 2);
  const localAddress = address(r, afi === 2);
  const ends = { peerAs, localAs, peerAddress, localAddress };
  if (state) {
    const from = r.u16();
    const to = r.u16();
    return {
      kind: 'state',
      ...ends,
      from: MRT_STATES[from] || String(from),
      to: MRT_STATES[to] || String(to),
    };
  }
  return { kind: 'message', ...kind!, ...ends, message: r.view(r.remaining) };
}

const RIB_FAMILY: Record<number, { family: 4 | 6; addPath: boolean; multicast?: boolean }> = {
  [TableDumpV2.RIB_IPV4_UNICAST]: { family: 4, addPath: false },
  [TableDumpV2.RIB_IPV4_MULTICAST]: { family: 4, addPath: false, multicast: true },
  [TableDumpV2.RIB_IPV6_UNICAST]: { family: 6, addPath: false },
  [TableDumpV2.RIB_IPV6_MULTICAST]: { family: 6, addPath: false, multicast: true },
  [TableDumpV2.RIB_IPV4_UNICAST_ADDPATH]: { family: 4, addPath: true },
  [TableDumpV2.RIB_IPV4_MULTICAST_ADDPATH]: { family: 4, addPath: true, multicast: true },
  [TableDumpV2.RIB_IPV6_UNICAST_ADDPATH]: { family: 6, addPath: true },
  [TableDumpV2.RIB_IPV6_MULTICAST_ADDPATH]: { family: 6, addPath: true, multicast: true },
};

function tableDumpV2(subtype: number, r: Reader): MrtBody {
  if (subtype === TableDumpV2.PEER_INDEX_TABLE) {
    const collectorId = formatIPv4(r.u32());
    const viewName = new TextDecoder().decode(r.view(r.u16()));
    const count = r.u16();
    const peers: MrtPeer[] = [];
    for (let i = 0; i < count; i++) {
      const t = r.u8();
      const routerId = formatIPv4(r.u32());
      const addr = address(r, (t & 1) !== 0);
      const asn = t & 2 ? r.u32() : r.u16();
      peers.push({ address: addr, asn, routerId });
    }
    return { kind: 'peer-index', collectorId, viewName, peers };
  }
  const f = RIB_FAMILY[subtype];
  if (!f) return { kind: 'unsupported' };
  const sequence = r.u32();
  const prefix = prefixAt(r, f.family);
  const count = r.u16();
  const entries: RibPathEntry[] = [];
  for (let i = 0; i < count; i++) {
    const peerIndex = r.u16();
    const originated = r.u32();
    const pathId = f.addPath ? r.u32() : undefined;
    const attrs = ribAttributes(r.view(r.u16()), true);
    entries.push({ peerIndex, originated, ...(pathId !== undefined && { pathId }), ...attrs });
  }
  return { kind: 'rib', family: f.family, sequence, prefix, addPath: f.addPath, entries };
}

function prefixAt(r: Reader, fam: 4 | 6): string {
  const len = r.u8();
  if (len > (fam === 4 ? 32 : 128)) throw new RangeError(`prefix length ${len}`);
  const octets = r.view((len + 7) >> 3);
  const full = new Uint8Array(fam === 4 ? 4 : 16);
  full.set(octets);
  return formatPrefix(fam, full, len);
}

/** RFC 6396 §4.2: one prefix, one path, 2-octet AS numbers. */
function tableDump(h: MrtHeader, r: Reader): MrtBody {
  const v6 = h.subtype === 2;
  if (h.subtype !== 1 && !v6) return { kind: 'unsupported' };
  r.u16(); // view number
  const sequence = r.u16();
  const bytes = r.view(v6 ? 16 : 4);
  const len = r.u8();
  r.u8(); // status
  const originated = r.u32();
  const peerAddress = address(r, v6);
  const peerAs = r.u16();
  const attrs = ribAttributes(r.view(r.u16()), false);
  const prefix = formatPrefix(v6 ? 6 : 4, bytes, len);
  // A TABLE_DUMP record names its peer itself: a one-entry peer table of its own, index 0.
  return {
    kind: 'rib',
    family: v6 ? 6 : 4,
    sequence,
    prefix,
    addPath: false,
    entries: [
      {
        peerIndex: 0,
        originated,
        ...attrs,
        peer: { address: peerAddress, asn: peerAs, routerId: '0.0.0.0' },
      },
    ],
  };
}

/**
 * RIB entry attributes: MP_REACH_NLRI is taken out and read as the §4.3.4 abbreviated form (next
 * hop length and next hop) or, as some writers send it, in full; the rest goes to the wire decoder.
 */
function ribAttributes(
  v: Uint8Array,
  as4: boolean,
): Pick<RibPathEntry, 'attributes' | 'nextHop' | 'linkLocalNextHop' | 'issues'> {
  const rest: number[] = [];
  let nextHop: string | undefined;
  let linkLocalNextHop: string | undefined;
  let p = 0;
  while (p < v.length) {
    if (p + 3 > v.length) break;
    const ext = (v[p] & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (ext && p + 4 > v.length) break;
    const len = ext ? (v[p + 2] << 8) | v[p + 3] : v[p + 2];
    const start = p + (ext ? 4 : 3);
    const end = Math.min(v.length, start + len);
    if (v[p + 1] === AttrCode.MP_REACH_NLRI) {
      const hop = mpNextHop(v.subarray(start, end));
      nextHop = hop.nextHop;
      linkLocalNextHop = hop.linkLocalNextHop;
    } else for (let i = p; i < end; i++) rest.push(v[i]);
    p = start + len;
  }
  const body = Uint8Array.from(rest);
  const d = decodeAttributes(body, 0, body.length, { fourOctetAs: as4, addPathRx: new Set() });
  return {
    attributes: d.attributes,
    ...(nextHop !== undefined && { nextHop }),
    ...(linkLocalNextHop !== undefined && { linkLocalNextHop }),
    issues: d.issues,
  };
}

function mpNextHop(v: Uint8Array): { nextHop?: string; linkLocalNextHop?: string } {
  if (v.length > 0 && v[0] === v.length - 1) {
    const n = v[0];
    if (n === 4) return { nextHop: formatIPv4(((v[1] << 24) | (v[2] << 16) | (v[3] << 8) | v[4]) >>> 0) };
    if (n === 16 || n === 32)
      return { nextHop: formatIPv6(v, 1), ...(n === 32 && { linkLocalNextHop: formatIPv6(v, 17) }) };
    return {};
  }
  const mp = decodeMpReach(v, new Set([family(1, 1), family(2, 1)]));
  return typeof mp === 'string'
    ? {}
    : {
        nextHop: mp.nextHop,
        ...(mp.linkLocalNextHop !== undefined && { linkLocalNextHop: mp.linkLocalNextHop }),
      };
}
