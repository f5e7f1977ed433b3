/**
 * Path-attribute encoding: MP_REACH_NLRI/MP_UNREACH_NLRI first (RFC 7606 §5.1 SHALL, so a receiver
 * can find the NLRI even when later attributes are malformed), then ascending type order
 * (RFC 4271 §5 SHOULD). A packer reuses the encoded non-MP bytes across many UPDATEs.
 */
import { AttrCode, AttrFlag } from '../constants.js';
import { Writer } from '../writer.js';
import { ATTRIBUTES, type AttrContext } from './table.js';
import type { PathAttributes, RawAttribute } from './types.js';

/** Encoded non-MP attributes as the bytes before and after the MP attributes' place (`before` is empty: MP goes first). */
export interface EncodedAttributes {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
  /** Offset of the NEXT_HOP value (RFC 4271 §5.1.3) in `after`, -1 without one. */
  readonly nextHopAt: number;
}

const headerLength = (valueLength: number) => (valueLength > 255 ? 4 : 3);

function writeHeader(w: Writer, flags: number, code: number, len: number): void {
  if (len > 255)
    w.u8(flags | AttrFlag.EXTENDED_LENGTH)
      .u8(code)
      .u16(len);
  else
    w.u8(flags & ~AttrFlag.EXTENDED_LENGTH)
      .u8(code)
      .u8(len);
}

/** Exact encoded size of the attributes (MP attributes excluded). */
export function attributesLength(a: PathAttributes, ctx: AttrContext): number {
  let n = 0;
  for (const d of ATTRIBUTES) {
    const len = d.length(a, ctx);
    if (len >= 0) n += headerLength(len) + len;
  }
  for (const u of a.unknown ?? []) n += headerLength(u.value.length) + u.value.length;
  return n;
}

const NO_UNKNOWN: readonly RawAttribute[] = [];

/**
 * Writes the attributes straight into `w`: first `mp(w)` (the MP attributes, RFC 7606 §5.1), then
 * the others in ascending type order with unknown attributes merged in by code. Returns the
 * position in `w` of the NEXT_HOP value, -1 without one.
 */
export function writeAttributes(
  w: Writer,
  a: PathAttributes,
  ctx: AttrContext,
  mp?: (w: Writer) => void,
): number {
  let nextHopAt = -1;
  const unknown = a.unknown?.length ? [...a.unknown].sort((x, y) => x.code - y.code) : NO_UNKNOWN;
  let u = 0;
  mp?.(w);
  // One pass past the end of the table (code 256) flushes the remaining unknown and MP attributes.
  for (let i = 0; i <= ATTRIBUTES.length; i++) {
    const d = ATTRIBUTES[i] as (typeof ATTRIBUTES)[number] | undefined;
    const len = d ? d.length(a, ctx) : 0;
    if (len < 0) continue;
    const code = d ? d.code : 256;
    for (; u < unknown.length && unknown[u].code < code; u++) {
      const x = unknown[u];
      writeHeader(w, x.flags, x.code, x.value.length);
      w.bytes(x.value);
    }
    if (!d) break;
    writeHeader(w, d.flags, d.code, len);
    const mark = w.pos;
    if (d.code === AttrCode.NEXT_HOP) nextHopAt = mark;
    d.write(w, a, ctx);
    if (w.pos - mark !== len) throw new Error(`${d.name}: wrote ${w.pos - mark} octets, declared ${len}`);
  }
  return nextHopAt;
}

/** The non-MP attributes as two byte strings around the MP position, for reuse across many UPDATEs. */
export function encodeAttributes(a: PathAttributes, ctx: AttrContext): EncodedAttributes {
  const w = new Writer(128);
  let split = 0;
  const nextHop = writeAttributes(w, a, ctx, () => {
    split = w.pos;
  });
  return {
    before: w.buf.slice(0, split),
    after: w.buf.slice(split, w.pos),
    nextHopAt: nextHop < 0 ? -1 : nextHop - split,
  };
}

/**
 * Attributes already encoded (for the session's AS size, MP ones excluded) as a packer takes them:
 * where the NEXT_HOP value is, found by walking the attributes' headers.
 */
export function encodedOctets(octets: Uint8Array): EncodedAttributes {
  let nextHopAt = -1;
  for (let p = 0; p + 3 <= octets.length; ) {
    const hdr = octets[p] & AttrFlag.EXTENDED_LENGTH ? 4 : 3;
    const len = hdr === 4 ? (octets[p + 2] << 8) | octets[p + 3] : octets[p + 2];
    if (octets[p + 1] === AttrCode.NEXT_HOP) {
      nextHopAt = p + hdr;
      break;
    }
    p += hdr + len;
  }
  return { before: NO_OCTETS, after: octets, nextHopAt };
}

const NO_OCTETS = new Uint8Array(0);
