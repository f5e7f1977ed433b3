/**
 * Path-attribute encoding in ascending type order (RFC 4271 §5 SHOULD), split around the
 * MP attributes (14, 15) so a packer can reuse the encoded bytes across many UPDATEs.
 */
import { AttrCode, AttrFlag } from '../constants.js';
import { Writer } from '../writer.js';
import { ATTRIBUTES, type AttrContext } from './table.js';
import type { PathAttributes } from './types.js';

/** Encoded attributes with codes below MP_REACH_NLRI (`before`) and above MP_UNREACH_NLRI (`after`). */
export interface EncodedAttributes {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
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

export function encodeAttributes(a: PathAttributes, ctx: AttrContext): EncodedAttributes {
  const before = new Writer(64);
  const after = new Writer(16);
  const unknown = [...(a.unknown ?? [])].sort((x, y) => x.code - y.code);
  let u = 0;
  const flushUnknownBelow = (code: number) => {
    for (; u < unknown.length && unknown[u].code < code; u++) {
      const x = unknown[u];
      const w = x.code < AttrCode.MP_REACH_NLRI ? before : after;
      writeHeader(w, x.flags, x.code, x.value.length);
      w.bytes(x.value);
    }
  };
  for (const d of ATTRIBUTES) {
    const len = d.length(a, ctx);
    if (len < 0) continue;
    flushUnknownBelow(d.code);
    const w = d.code < AttrCode.MP_REACH_NLRI ? before : after;
    writeHeader(w, d.flags, d.code, len);
    const mark = w.pos;
    d.write(w, a, ctx);
    if (w.pos - mark !== len) throw new Error(`${d.name}: wrote ${w.pos - mark} octets, declared ${len}`);
  }
  flushUnknownBelow(256);
  return { before: before.finish().slice(), after: after.finish().slice() };
}
