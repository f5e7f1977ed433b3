/**
 * AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 6793 §4.2.3, RFC 5065 confederation segments):
 * segment codec and the 2-octet ↔ 4-octet reconstruction.
 */
import { AS_TRANS, AsPathSegmentType } from '../constants.js';
import type { Writer } from '../writer.js';
import type { AsPathSegment } from './types.js';

/** Parses segments; returns a reason string when malformed (RFC 7606 §7.2). */
export function decodeAsPath(v: Uint8Array, asnSize: 2 | 4): AsPathSegment[] | string {
  const out: AsPathSegment[] = [];
  let p = 0;
  while (p < v.length) {
    if (p + 2 > v.length) return 'segment header truncated';
    const type = v[p];
    const count = v[p + 1];
    p += 2;
    if (type < AsPathSegmentType.AS_SET || type > AsPathSegmentType.AS_CONFED_SET)
      return `segment type ${type}`;
    if (count === 0) return 'empty segment';
    if (p + count * asnSize > v.length) return 'segment overruns the attribute';
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, p += asnSize) {
      asns[i] =
        asnSize === 4
          ? ((v[p] << 24) | (v[p + 1] << 16) | (v[p + 2] << 8) | v[p + 3]) >>> 0
          : (v[p] << 8) | v[p + 1];
    }
    out.push({ type, asns });
  }
  // Sized to fit: a pushed-to array keeps room for 17, and the decoded path may live as long as its route.
  return out.length === 1 ? [out[0]] : out.slice();
}

/** Segments longer than 255 ASNs are split (RFC 4271 §5.1.2 prepend overflow); empty ones vanish. */
export function asPathLength(segments: readonly AsPathSegment[], asnSize: 2 | 4): number {
  let n = 0;
  for (const s of segments) {
    n += 2 * Math.ceil(s.asns.length / 255) + asnSize * s.asns.length;
  }
  return n;
}

export function writeAsPath(w: Writer, segments: readonly AsPathSegment[], asnSize: 2 | 4): void {
  for (const s of segments) {
    for (let i = 0; i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255);
      w.u8(s.type).u8(chunk.length);
      for (const a of chunk) {
        if (asnSize === 4) w.u32(a);
        else w.u16(a > 0xffff ? AS_TRANS : a);
      }
    }
  }
}

const isConfed = (t: number) =>
  t === AsPathSegmentType.AS_CONFED_SEQUENCE || t === AsPathSegmentType.AS_CONFED_SET;

/** Path length for RFC 6793 §4.2.3 counting: a set counts 1, confederation segments 0. */
export function countAsPath(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AS_SET) n += 1;
  }
  return n;
}

export const needsAs4 = (segments: readonly AsPathSegment[]): boolean =>
  segments.some((s) => !isConfed(s.type) && s.asns.some((a) => a > 0xffff));

/** AS4_PATH carries no confederation segments (RFC 6793 §3). */
export const as4PathOf = (segments: readonly AsPathSegment[]): AsPathSegment[] =>
  segments.filter((s) => !isConfed(s.type));

/**
 * RFC 6793 §4.2.3: the leading ASes of AS_PATH that AS4_PATH lacks, then AS4_PATH.
 * When AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored.
 */
export function reconstructAsPath(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]) {
  let need = countAsPath(asPath) - countAsPath(as4Path);
  if (need < 0) return asPath;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (isConfed(s.type)) {
      out.push(s);
      continue;
    }
    if (need === 0) break;
    if (s.type === AsPathSegmentType.AS_SET) {
      out.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      out.push({ type: s.type, asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  return [...out, ...as4Path];
}
