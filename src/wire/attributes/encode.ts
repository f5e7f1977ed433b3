/**
 * Path-attribute encoding in ascending type order (RFC 4271 §5 SHOULD), split around the
 * MP attributes (14, 15) so a packer can reuse the encoded bytes across many UPDATEs.
 */
import { AttrCode, AttrFlag } from '../constants.js';
import { Writer } from '../writer.js';
import { ATTRIBUTES, type AttrContext } from './table.js';
import type { PathAttributes, RawAttribute } from './types.js';

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

const NO_UNKNOWN: readonly RawAttribute[] = [];

/**
 * Writes the attributes straight into `w` in ascending type order, calling `mp(w)` once where
 * MP_REACH_NLRI/MP_UNREACH_NLRI (14, 15) belong. Unknown attributes are merged in by code.
 */
export function writeAttributes(
  w: Writer,
  a: PathAttributes,
  ctx: AttrContext,
  mp?: (w: Writer) => void,
): void {
  const unknown = a.unknown?.length ? [...a.unknown].sort((x, y) => x.code - y.code) : NO_UNKNOWN;
  let u = 0;
  let mpPending = mp !== undefined;
  // One pass past the end of the table (code 256) flushes the remaining unknown and MP attributes.
  for (let i = 0; i <= ATTRIBUTES.length; i++) {
    const d = ATTRIBUTES[i] as (typeof ATTRIBUTES)[number] | undefined;
    const len = d ? d.length(a, ctx) : 0;
    if (len < 0) continue;
    const code = d ? d.code : 256;
    for (; u < unknown.length && unknown[u].code < code; u++) {
      const x = unknown[u];
      if (mpPending && x.code >= AttrCode.MP_REACH_NLRI) {
        mpPending = false;
        mp!(w);
      }
      writeHeader(w, x.flags, x.code, x.value.length);
      w.bytes(x.value);
    }
    if (mpPending && code >= AttrCode.MP_REACH_NLRI) {
      mpPending = false;
      mp!(w);
    }
    if (!d) break;
    writeHeader(w, d.flags, d.code, len);
    const mark = w.pos;
    d.write(w, a, ctx);
    if (w.pos - mark !== len) throw new Error(`${d.name}: wrote ${w.pos - mark} octets, declared ${len}`);
  }
}

/** The attributes as two byte strings around the MP position, for reuse across many UPDATEs. */
export function encodeAttributes(a: PathAttributes, ctx: AttrContext): EncodedAttributes {
  const w = new Writer(128);
  let split = 0;
  writeAttributes(w, a, ctx, () => {
    split = w.pos;
  });
  return { before: w.buf.slice(0, split), after: w.buf.slice(split, w.pos) };
}
