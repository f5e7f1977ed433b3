/**
 * IPv4/IPv6 address and prefix helpers on plain bytes and numbers. Pure; no sockets.
 * Addresses travel as strings at the edges ("10.0.0.1", "fd00::1") and as bytes on the wire.
 */

/**
 * Parses dotted-quad IPv4; returns the 32-bit value or -1 when malformed. Leading zeros are
 * refused ("010.0.0.1"), as inet_pton(3) does: inet_aton and ping read them as octal (010 = 8).
 * One pass over the char codes, no split or regex: next hops and router ids go through here.
 */
export function parseIPv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/** True for a dotted quad that is valid but for leading zeros ("010.0.0.1"), so a message can say why. */
export function hasIPv4LeadingZero(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && /(^|\.)0\d/.test(s);
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function ipv4ToBytes(s: string): Uint8Array {
  const v = parseIPv4(s);
  if (v < 0) throw new RangeError(`not an IPv4 address: ${s}`);
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** Parses IPv6 (with :: and an optional dotted IPv4 tail) into 16 bytes, or null when malformed. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45 || s.includes('%')) return null;
  const out = new Uint8Array(16);
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const words: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        if (v4 < 0) return null;
        words.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        words.push(Number.parseInt(it, 16));
      }
    }
    return words;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >>> 8;
    out[2 * i + 1] = words[i] & 255;
  }
  return out;
}

/** RFC 5952 canonical text form of 16 bytes (longest zero run compressed, lowercase). */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[offset + 2 * i] << 8) | b[offset + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) {
    // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
    return hex(w);
  }
  const head = hex(w.slice(0, bestStart));
  const tail = w.slice(bestStart + bestLen);
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) {
    return `::ffff:${formatIPv4(((w[6] << 16) | w[7]) >>> 0)}`;
  }
  return `${head}::${hex(tail)}`;
}

export function ipv6ToBytes(s: string): Uint8Array {
  const b = parseIPv6(s);
  if (!b) throw new RangeError(`not an IPv6 address: ${s}`);
  return b;
}

/** Address family of a textual address: 4, 6 or 0 when it is neither. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (parseIPv4(s) >= 0) return 4;
  if (parseIPv6(s)) return 6;
  return 0;
}

export interface ParsedPrefix {
  readonly family: 4 | 6;
  /** Network bytes, 4 or 16 long, host bits zeroed. */
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Parses "a.b.c.d/n" or "x::/n"; host bits must be zero unless `lenient`. Returns null when malformed. */
export function parsePrefix(s: string, lenient = false): ParsedPrefix | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const length = Number(lenText);
  const v4 = parseIPv4(addr);
  let bytes: Uint8Array;
  let family: 4 | 6;
  if (v4 >= 0) {
    family = 4;
    bytes = Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  } else {
    const v6 = parseIPv6(addr);
    if (!v6) return null;
    family = 6;
    bytes = v6;
  }
  if (length > bytes.length * 8) return null;
  const masked = maskBytes(bytes, length);
  if (!lenient && !equalBytes(masked, bytes)) return null;
  return { family, bytes: masked, length };
}

export function formatPrefix(family: 4 | 6, bytes: Uint8Array, length: number, offset = 0): string {
  if (family === 4) {
    const v =
      ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>>
      0;
    return `${formatIPv4(v)}/${length}`;
  }
  return `${formatIPv6(bytes, offset)}/${length}`;
}

/** Copy of `bytes` with every bit past `length` cleared. */
export function maskBytes(bytes: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Parses hex, ignoring whitespace, ':' and '#'-to-end-of-line comments. Throws on odd or non-hex input. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError('invalid hex');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
