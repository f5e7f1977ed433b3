/**
 * One descriptor per known path attribute (BIRD's bgp_attr_table): canonical flags, the RFC 7606 §7
 * action when malformed, decode into a draft, and encode (length + value). The generic loops in
 * decode.ts and encode.ts do framing, flags, duplicates and the unknown-attribute rules.
 */
import { formatIPv4, parseIPv4, toHex } from '../../util/ip.js';
import { AS_TRANS, AttrCode, AttrFlag, Origin, type OriginCode, UpdateSubcode } from '../constants.js';
import { Action, type ActionCode } from '../errors.js';
import { u32At } from '../reader.js';
import type { Writer } from '../writer.js';
import { as4PathOf, asPathLength, decodeAsPath, needsAs4, writeAsPath } from './as-path.js';
import type { AsPathSegment, Mutable, PathAttributes } from './types.js';

/** What the codec needs to know of the session (RFC 6793: AS number size). */
export interface AttrContext {
  readonly fourOctetAs: boolean;
}

/** The draft a decode fills, plus the raw RFC 6793 attributes folded in afterwards. */
export interface AttrDraft extends Mutable<PathAttributes> {
  as4Path?: AsPathSegment[];
  as4Aggregator?: { asn: number; address: string };
}

/** [subcode, reason] of a malformed attribute; undefined when fine. */
export type Problem = readonly [number, string] | undefined;

export interface AttrDescriptor {
  readonly code: number;
  readonly name: string;
  /** Canonical OPTIONAL | TRANSITIVE bits (RFC 4271 §5, each attribute's RFC). */
  readonly flags: number;
  /** RFC 7606 §7 action for a malformed instance. */
  readonly malformed: ActionCode;
  decode(v: Uint8Array, ctx: AttrContext, draft: AttrDraft): Problem;
  /** Value length to send, or -1 when the attribute is absent for this session. */
  length(a: PathAttributes, ctx: AttrContext): number;
  write(w: Writer, a: PathAttributes, ctx: AttrContext): void;
}

/** An IPv4 address as the 32-bit value written (no 4-octet array per write: one per UPDATE encoded). */
function ipv4Value(s: string): number {
  const v = parseIPv4(s);
  if (v < 0) throw new RangeError(`not an IPv4 address: ${s}`);
  return v;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL = AttrFlag.OPTIONAL;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const LENGTH = UpdateSubcode.ATTRIBUTE_LENGTH_ERROR;
const OPTIONAL_ERROR = UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR;

const lengthIs = (v: Uint8Array, n: number): Problem =>
  v.length === n ? undefined : [LENGTH, `length ${v.length}`];
const multipleOf = (v: Uint8Array, n: number): Problem =>
  v.length > 0 && v.length % n === 0 ? undefined : [LENGTH, `length ${v.length}`];

function u32Attr(
  code: number,
  name: string,
  flags: number,
  key: 'med' | 'localPref',
  malformed: ActionCode,
): AttrDescriptor {
  return {
    code,
    name,
    flags,
    malformed,
    decode(v, _ctx, d) {
      const bad = lengthIs(v, 4);
      if (!bad) d[key] = u32At(v, 0);
      return bad;
    },
    length: (a) => (a[key] === undefined ? -1 : 4),
    write: (w, a) => void w.u32(a[key]!),
  };
}

function addressAttr(code: number, name: string, key: 'nextHop' | 'originatorId'): AttrDescriptor {
  return {
    code,
    name,
    flags: code === AttrCode.NEXT_HOP ? WELL_KNOWN : OPTIONAL,
    malformed: Action.TREAT_AS_WITHDRAW,
    decode(v, _ctx, d) {
      const bad = lengthIs(v, 4);
      if (!bad) d[key] = formatIPv4(u32At(v, 0));
      return bad;
    },
    length: (a) => (a[key] === undefined ? -1 : 4),
    write: (w, a) => void w.u32(ipv4Value(a[key]!)),
  };
}

function aggregatorAttr(code: number, name: string, four: boolean): AttrDescriptor {
  // AGGREGATOR uses the session's AS size; AS4_AGGREGATOR is always 4 octets (RFC 6793 §3).
  const asnSize = (ctx: AttrContext) => (four || ctx.fourOctetAs ? 4 : 2);
  return {
    code,
    name,
    flags: OPTIONAL_TRANSITIVE,
    malformed: Action.DISCARD, // RFC 7606 §7.7, RFC 6793 §6
    decode(v, ctx, d) {
      const size = asnSize(ctx);
      if (v.length !== size + 4) return [LENGTH, `length ${v.length}`];
      const asn = size === 4 ? u32At(v, 0) : (v[0] << 8) | v[1];
      const value = { asn, address: formatIPv4(u32At(v, size)) };
      if (four) d.as4Aggregator = value;
      else d.aggregator = value;
      return undefined;
    },
    length(a, ctx) {
      if (!a.aggregator) return -1;
      if (four) return !ctx.fourOctetAs && a.aggregator.asn > 0xffff ? 8 : -1;
      return asnSize(ctx) + 4;
    },
    write(w, a, ctx) {
      const { asn, address } = a.aggregator!;
      if (asnSize(ctx) === 4) w.u32(asn);
      else w.u16(asn > 0xffff ? AS_TRANS : asn);
      w.u32(ipv4Value(address));
    },
  };
}

const hexToBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

export const ATTRIBUTES: readonly AttrDescriptor[] = [
  {
    code: AttrCode.ORIGIN,
    name: 'ORIGIN',
    flags: WELL_KNOWN,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 7606 §7.1
    decode(v, _ctx, d) {
      if (v.length !== 1) return [LENGTH, `length ${v.length}`];
      if (v[0] > Origin.INCOMPLETE) return [UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, `value ${v[0]}`];
      d.origin = v[0] as OriginCode;
      return undefined;
    },
    length: (a) => (a.origin === undefined ? -1 : 1),
    write: (w, a) => void w.u8(a.origin!),
  },
  {
    code: AttrCode.AS_PATH,
    name: 'AS_PATH',
    flags: WELL_KNOWN,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 7606 §7.2
    decode(v, ctx, d) {
      const r = decodeAsPath(v, ctx.fourOctetAs ? 4 : 2);
      if (typeof r === 'string') return [UpdateSubcode.MALFORMED_AS_PATH, r];
      d.asPath = r;
      return undefined;
    },
    length: (a, ctx) => (a.asPath ? asPathLength(a.asPath, ctx.fourOctetAs ? 4 : 2) : -1),
    write: (w, a, ctx) => writeAsPath(w, a.asPath!, ctx.fourOctetAs ? 4 : 2),
  },
  addressAttr(AttrCode.NEXT_HOP, 'NEXT_HOP', 'nextHop'), // RFC 7606 §7.3
  u32Attr(AttrCode.MULTI_EXIT_DISC, 'MULTI_EXIT_DISC', OPTIONAL, 'med', Action.TREAT_AS_WITHDRAW), // §7.4
  u32Attr(AttrCode.LOCAL_PREF, 'LOCAL_PREF', WELL_KNOWN, 'localPref', Action.TREAT_AS_WITHDRAW), // §7.5
  {
    code: AttrCode.ATOMIC_AGGREGATE,
    name: 'ATOMIC_AGGREGATE',
    flags: WELL_KNOWN,
    malformed: Action.DISCARD, // RFC 7606 §7.6
    decode(v, _ctx, d) {
      const bad = lengthIs(v, 0);
      if (!bad) d.atomicAggregate = true;
      return bad;
    },
    length: (a) => (a.atomicAggregate ? 0 : -1),
    write: () => {},
  },
  aggregatorAttr(AttrCode.AGGREGATOR, 'AGGREGATOR', false),
  {
    code: AttrCode.COMMUNITIES,
    name: 'COMMUNITIES',
    flags: OPTIONAL_TRANSITIVE,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 7606 §7.8
    decode(v, _ctx, d) {
      const bad = multipleOf(v, 4);
      if (bad) return bad;
      const out = new Array<number>(v.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = u32At(v, 4 * i);
      d.communities = out;
      return undefined;
    },
    length: (a) => (a.communities?.length ? 4 * a.communities.length : -1),
    write: (w, a) => {
      for (const c of a.communities!) w.u32(c);
    },
  },
  addressAttr(AttrCode.ORIGINATOR_ID, 'ORIGINATOR_ID', 'originatorId'), // RFC 7606 §7.9
  {
    code: AttrCode.CLUSTER_LIST,
    name: 'CLUSTER_LIST',
    flags: OPTIONAL,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 7606 §7.10
    decode(v, _ctx, d) {
      const bad = multipleOf(v, 4);
      if (bad) return bad;
      const out = new Array<string>(v.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = formatIPv4(u32At(v, 4 * i));
      d.clusterList = out;
      return undefined;
    },
    length: (a) => (a.clusterList?.length ? 4 * a.clusterList.length : -1),
    write: (w, a) => {
      for (const c of a.clusterList!) w.u32(ipv4Value(c));
    },
  },
  {
    code: AttrCode.EXTENDED_COMMUNITIES,
    name: 'EXTENDED_COMMUNITIES',
    flags: OPTIONAL_TRANSITIVE,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 7606 §7.14
    decode(v, _ctx, d) {
      const bad = multipleOf(v, 8);
      if (bad) return bad;
      const out = new Array<string>(v.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = toHex(v.subarray(8 * i, 8 * i + 8));
      d.extendedCommunities = out;
      return undefined;
    },
    length: (a) => (a.extendedCommunities?.length ? 8 * a.extendedCommunities.length : -1),
    write: (w, a) => {
      for (const c of a.extendedCommunities!) w.bytes(hexToBytes(c));
    },
  },
  {
    code: AttrCode.AS4_PATH,
    name: 'AS4_PATH',
    flags: OPTIONAL_TRANSITIVE,
    malformed: Action.DISCARD, // RFC 6793 §6, RFC 7606 §7.2 note
    decode(v, _ctx, d) {
      const r = decodeAsPath(v, 4);
      if (typeof r === 'string') return [UpdateSubcode.MALFORMED_AS_PATH, r];
      // RFC 6793 §6: confederation segments are discarded and the rest used; reported to be logged.
      d.as4Path = as4PathOf(r);
      if (r.length !== d.as4Path.length)
        return [UpdateSubcode.MALFORMED_AS_PATH, 'confederation segments discarded'];
      return undefined;
    },
    // Sent only to a 2-octet peer and only when the path holds a 4-octet AS (RFC 6793 §4.2.2).
    length: (a, ctx) =>
      !ctx.fourOctetAs && a.asPath && needsAs4(a.asPath) ? asPathLength(as4PathOf(a.asPath), 4) : -1,
    write: (w, a) => writeAsPath(w, as4PathOf(a.asPath!), 4),
  },
  aggregatorAttr(AttrCode.AS4_AGGREGATOR, 'AS4_AGGREGATOR', true),
  {
    code: AttrCode.LARGE_COMMUNITY,
    name: 'LARGE_COMMUNITY',
    flags: OPTIONAL_TRANSITIVE,
    malformed: Action.TREAT_AS_WITHDRAW, // RFC 8092 §5
    decode(v, _ctx, d) {
      const bad = multipleOf(v, 12);
      if (bad) return [OPTIONAL_ERROR, bad[1]];
      const out = [];
      for (let p = 0; p < v.length; p += 12)
        out.push([u32At(v, p), u32At(v, p + 4), u32At(v, p + 8)] as const);
      d.largeCommunities = out;
      return undefined;
    },
    length: (a) => (a.largeCommunities?.length ? 12 * a.largeCommunities.length : -1),
    write: (w, a) => {
      for (const [g, l1, l2] of a.largeCommunities!) w.u32(g).u32(l1).u32(l2);
    },
  },
];

/** Descriptor by attribute code; MP_REACH/MP_UNREACH are handled by the UPDATE codec. */
export const DESCRIPTORS: ReadonlyArray<AttrDescriptor | undefined> = (() => {
  const t: (AttrDescriptor | undefined)[] = new Array(256).fill(undefined);
  for (const d of ATTRIBUTES) t[d.code] = d;
  return t;
})();

export const attrName = (code: number): string =>
  DESCRIPTORS[code]?.name ??
  (code === AttrCode.MP_REACH_NLRI
    ? 'MP_REACH_NLRI'
    : code === AttrCode.MP_UNREACH_NLRI
      ? 'MP_UNREACH_NLRI'
      : `ATTR_${code}`);
