/**
 * Packs N prefixes sharing one attribute set into the fewest UPDATEs that fit the size limit
 * (BIRD buckets, FRR update groups): attributes are encoded once, NLRI bytes copied in runs.
 */
import { type EncodedAttributes, encodeAttributes } from './attributes/encode.js';
import { type MpReach, mpReachLength, writeMpReachHead } from './attributes/mp.js';
import type { PathAttributes } from './attributes/types.js';
import {
  AttrCode,
  AttrFlag,
  type Family,
  familyAfi,
  familySafi,
  HEADER_LENGTH,
  IPV4_UNICAST,
  MessageType,
} from './constants.js';
import { MARKER } from './message.js';
import type { NlriList } from './nlri.js';
import type { UpdateContext } from './update.js';
import { Writer } from './writer.js';

/** Octets of NLRI entry boundaries: calls back with [start, end) runs that each fit in `budget`. */
function splitRuns(
  bytes: Uint8Array,
  addPath: boolean,
  budget: number,
  emit: (s: number, e: number) => void,
): void {
  let runStart = 0;
  let p = 0;
  while (p < bytes.length) {
    const entryStart = p;
    if (addPath) p += 4;
    p += 1 + ((bytes[p] + 7) >> 3);
    if (p - runStart > budget) {
      if (entryStart === runStart) throw new RangeError('one NLRI entry exceeds the UPDATE budget');
      emit(runStart, entryStart);
      runStart = entryStart;
    }
  }
  if (p > runStart) emit(runStart, p);
}

/** MP attributes: optional, non-transitive (RFC 4760 §3), always with a 2-octet length here. */
const MP_EXTENDED_FLAGS = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;

function header(w: Writer, len: number): void {
  w.bytes(MARKER).u16(len).u8(MessageType.UPDATE);
}

/**
 * Packed announcements. Every message has the same layout up to its NLRI, so one offset locates
 * the next hop in each: the NEXT_HOP value (RFC 4271 §5.1.3) for classic IPv4, else the first
 * (global) next hop of MP_REACH_NLRI (RFC 4760 §3); -1 when there is none. A sender patching next
 * hop self per receiver writes there without parsing the messages again.
 */
export interface PackedAnnouncements {
  readonly messages: Uint8Array[];
  readonly nextHopOffset: number;
}

/**
 * UPDATEs announcing `nlri` with `attributes`. IPv4 unicast with an IPv4 next hop goes in the
 * classic NLRI field (BIRD 1.x expects it there); anything else in MP_REACH_NLRI with `nextHop`.
 */
export function packAnnouncements(
  attributes: PathAttributes,
  nlri: NlriList,
  family: Family,
  ctx: UpdateContext,
  maxLength: number,
  mp?: Pick<MpReach, 'nextHop' | 'linkLocalNextHop'>,
): PackedAnnouncements {
  return packEncoded(encodeAttributes(attributes, ctx), nlri, family, ctx, maxLength, mp);
}

/** packAnnouncements with the attributes already encoded for the session (encodedOctets). */
export function packEncoded(
  enc: EncodedAttributes,
  nlri: NlriList,
  family: Family,
  ctx: UpdateContext,
  maxLength: number,
  mp?: Pick<MpReach, 'nextHop' | 'linkLocalNextHop'>,
): PackedAnnouncements {
  const list = nlri.withAddPath(ctx.addPathTx.has(family));
  const classic = family === IPV4_UNICAST && !mp;
  // Marker, length, type; withdrawn routes length; total path attribute length.
  const attrsAt = HEADER_LENGTH + 2 + 2;
  const fixed = attrsAt + enc.before.length + enc.after.length;
  const out: Uint8Array[] = [];
  if (classic) {
    splitRuns(list.bytes, list.addPath, maxLength - fixed, (s, e) => {
      const len = fixed + (e - s);
      const w = new Writer(len);
      header(w, len);
      w.u16(0)
        .u16(enc.before.length + enc.after.length)
        .bytes(enc.before)
        .bytes(enc.after);
      w.bytes(list.bytes.subarray(s, e));
      out.push(w.finish());
    });
    const nextHopOffset = enc.nextHopAt < 0 ? -1 : attrsAt + enc.before.length + enc.nextHopAt;
    return { messages: out, nextHopOffset };
  }
  const reach: MpReach = {
    family,
    nextHop: mp?.nextHop ?? '',
    ...(mp?.linkLocalNextHop !== undefined && { linkLocalNextHop: mp.linkLocalNextHop }),
    nlri: list,
  };
  const mpFixed = mpReachLength(reach, 0);
  // Extended-length MP header (4 octets) throughout keeps the budget independent of the run size.
  splitRuns(list.bytes, list.addPath, maxLength - fixed - 4 - mpFixed, (s, e) => {
    const mpLen = mpFixed + (e - s);
    const len = fixed + 4 + mpLen;
    const w = new Writer(len);
    header(w, len);
    w.u16(0)
      .u16(len - HEADER_LENGTH - 4)
      .bytes(enc.before);
    w.u8(MP_EXTENDED_FLAGS).u8(AttrCode.MP_REACH_NLRI).u16(mpLen);
    writeMpReachHead(w, reach);
    w.bytes(list.bytes.subarray(s, e));
    w.bytes(enc.after);
    out.push(w.finish());
  });
  // After the 4-octet attribute header: AFI (2), SAFI (1), next hop length (1), next hop.
  const nextHopOffset = mpFixed > 5 ? attrsAt + enc.before.length + 4 + 4 : -1;
  return { messages: out, nextHopOffset };
}

/** UPDATEs withdrawing `nlri`: the classic field for IPv4 unicast, MP_UNREACH_NLRI otherwise. */
export function packWithdrawals(
  nlri: NlriList,
  family: Family,
  ctx: UpdateContext,
  maxLength: number,
): Uint8Array[] {
  const list = nlri.withAddPath(ctx.addPathTx.has(family));
  const out: Uint8Array[] = [];
  if (family === IPV4_UNICAST) {
    splitRuns(list.bytes, list.addPath, maxLength - HEADER_LENGTH - 4, (s, e) => {
      const len = HEADER_LENGTH + 4 + (e - s);
      const w = new Writer(len);
      header(w, len);
      w.u16(e - s)
        .bytes(list.bytes.subarray(s, e))
        .u16(0);
      out.push(w.finish());
    });
    return out;
  }
  splitRuns(list.bytes, list.addPath, maxLength - HEADER_LENGTH - 4 - 4 - 3, (s, e) => {
    const len = HEADER_LENGTH + 4 + 4 + 3 + (e - s);
    const w = new Writer(len);
    header(w, len);
    w.u16(0).u16(len - HEADER_LENGTH - 4);
    w.u8(MP_EXTENDED_FLAGS)
      .u8(AttrCode.MP_UNREACH_NLRI)
      .u16(3 + (e - s));
    w.u16(familyAfi(family)).u8(familySafi(family)).bytes(list.bytes.subarray(s, e));
    out.push(w.finish());
  });
  return out;
}
