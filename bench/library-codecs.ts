/**
 * The UPDATE codec (RFC 4271 §4.3) written with the libraries the user prefers, for comparison in
 * bench/parsers.ts only: binary-parser for decoding (header, withdrawn list, attribute TLV loop with
 * the attributes the workloads carry, NLRI list) and smart-buffer for building the same octets
 * packAnnouncements/encodeMessage produce. No validation beyond what the libraries do themselves.
 */
// binary-parser 2.3's ESM entry ships no .d.mts, so TypeScript cannot see its types; its CommonJS
// build (same code) can be imported by path with its declarations.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { SmartBuffer } from 'smart-buffer';
import { parseIPv4 } from '../src/util/ip.js';
import type { NlriList, PathAttributes, UpdateMessage } from '../src/wire/index.js';

/* binary-parser compiles these with `this` bound to the object being parsed. */
type Ctx = Record<string, number> & { $parent: Record<string, number> };

const prefixEntry = new Parser().uint8('len').buffer('prefix', {
  length(this: Ctx) {
    return (this.len + 7) >> 3;
  },
});

const asPathSegment = new Parser().uint8('type').uint8('count').array('asns', {
  type: 'uint32be',
  length: 'count',
});

const parentLength = function (this: Ctx) {
  return this.$parent.len;
};

/** Attribute values decoded by type code; unknown codes stay raw. 4-octet AS session. */
const attribute = new Parser()
  .uint8('flags')
  .uint8('code')
  .choice('len', {
    tag(this: Ctx) {
      return (this.flags >> 4) & 1; // RFC 4271 §4.3 Extended Length bit
    },
    choices: { 0: 'uint8', 1: 'uint16be' },
  })
  .choice('value', {
    tag: 'code',
    choices: {
      1: 'uint8',
      2: new Parser().array('segments', { type: asPathSegment, lengthInBytes: parentLength }),
      3: 'uint32be',
      4: 'uint32be',
      5: 'uint32be',
      8: new Parser().array('communities', { type: 'uint32be', lengthInBytes: parentLength }),
      32: new Parser().array('large', {
        type: new Parser().uint32be('global').uint32be('local1').uint32be('local2'),
        lengthInBytes: parentLength,
      }),
    },
    defaultChoice: new Parser().buffer('raw', { length: parentLength }),
  });

const head = () =>
  new Parser()
    .useContextVars()
    .buffer('marker', { length: 16 })
    .uint16be('length')
    .uint8('type')
    .uint16be('withdrawnLength')
    .array('withdrawn', { type: prefixEntry, lengthInBytes: 'withdrawnLength' })
    .uint16be('attrLength')
    .array('attributes', { type: attribute, lengthInBytes: 'attrLength' });

export interface ParsedPrefix {
  len: number;
  prefix: Uint8Array;
}

export interface ParsedUpdate {
  length: number;
  type: number;
  withdrawn: ParsedPrefix[];
  attributes: { flags: number; code: number; len: number; value: unknown }[];
}

/** The whole UPDATE with binary-parser, NLRI as an array of {len, prefix} objects. */
export const bpUpdate = head().array('nlri', { type: prefixEntry, readUntil: 'eof' });
export type BpUpdate = ParsedUpdate & { nlri: ParsedPrefix[] };

/** binary-parser for header and attributes, NLRI kept as one view for a hand-written walk. */
export const bpUpdateRawNlri = head().buffer('nlri', { readUntil: 'eof' });
export type BpUpdateRawNlri = ParsedUpdate & { nlri: Uint8Array };

const MARKER = Buffer.alloc(16, 0xff);

function attrHeader(sb: SmartBuffer, flags: number, code: number, len: number): void {
  if (len > 255)
    sb.writeUInt8(flags | 0x10)
      .writeUInt8(code)
      .writeUInt16BE(len);
  else sb.writeUInt8(flags).writeUInt8(code).writeUInt8(len);
}

/** Path attributes in ascending code order, as encodeAttributes writes them (4-octet AS). */
export function sbAttributes(sb: SmartBuffer, a: PathAttributes): void {
  if (a.origin !== undefined) {
    attrHeader(sb, 0x40, 1, 1);
    sb.writeUInt8(a.origin);
  }
  if (a.asPath) {
    let len = 0;
    for (const s of a.asPath) len += 2 + 4 * s.asns.length;
    attrHeader(sb, 0x40, 2, len);
    for (const s of a.asPath) {
      sb.writeUInt8(s.type).writeUInt8(s.asns.length);
      for (const asn of s.asns) sb.writeUInt32BE(asn);
    }
  }
  if (a.nextHop !== undefined) {
    attrHeader(sb, 0x40, 3, 4);
    sb.writeUInt32BE(parseIPv4(a.nextHop));
  }
  if (a.med !== undefined) {
    attrHeader(sb, 0x80, 4, 4);
    sb.writeUInt32BE(a.med);
  }
  if (a.communities?.length) {
    attrHeader(sb, 0xc0, 8, 4 * a.communities.length);
    for (const c of a.communities) sb.writeUInt32BE(c);
  }
  if (a.largeCommunities?.length) {
    attrHeader(sb, 0xc0, 32, 12 * a.largeCommunities.length);
    for (const [g, l1, l2] of a.largeCommunities) sb.writeUInt32BE(g).writeUInt32BE(l1).writeUInt32BE(l2);
  }
}

/** Starts an UPDATE with an empty withdrawn list; lengths are patched by finishUpdate. */
function startUpdate(sb: SmartBuffer, attrs: Buffer): void {
  sb.writeBuffer(MARKER).writeUInt16BE(0).writeUInt8(2).writeUInt16BE(0);
  sb.writeUInt16BE(attrs.length).writeBuffer(attrs);
}

function finishUpdate(sb: SmartBuffer): Buffer {
  sb.writeUInt16BE(sb.length, 16);
  return sb.toBuffer();
}

const bufferOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function encodedAttributes(a: PathAttributes): Buffer {
  const sb = SmartBuffer.fromSize(128);
  sbAttributes(sb, a);
  return sb.toBuffer();
}

/** packAnnouncements for IPv4 unicast with smart-buffer, writing prefix by prefix. */
export function sbPackPerPrefix(a: PathAttributes, nlri: NlriList, maxLength: number): Buffer[] {
  const attrs = encodedAttributes(a);
  const bytes = bufferOf(nlri.bytes);
  const out: Buffer[] = [];
  let sb = SmartBuffer.fromSize(maxLength);
  startUpdate(sb, attrs);
  const empty = sb.length;
  for (let p = 0; p < bytes.length; ) {
    const octets = (bytes[p] + 7) >> 3;
    if (sb.length + 1 + octets > maxLength) {
      out.push(finishUpdate(sb));
      sb = SmartBuffer.fromSize(maxLength);
      startUpdate(sb, attrs);
    }
    sb.writeUInt8(bytes[p]).writeBuffer(bytes.subarray(p + 1, p + 1 + octets));
    p += 1 + octets;
  }
  if (sb.length > empty) out.push(finishUpdate(sb));
  return out;
}

/** The same with smart-buffer copying whole runs of prefixes, as packAnnouncements does. */
export function sbPackRuns(a: PathAttributes, nlri: NlriList, maxLength: number): Buffer[] {
  const attrs = encodedAttributes(a);
  const bytes = bufferOf(nlri.bytes);
  const budget = maxLength - 23 - attrs.length;
  const out: Buffer[] = [];
  const emit = (s: number, e: number) => {
    const sb = SmartBuffer.fromSize(23 + attrs.length + e - s);
    startUpdate(sb, attrs);
    sb.writeBuffer(bytes.subarray(s, e));
    out.push(finishUpdate(sb));
  };
  let run = 0;
  let p = 0;
  while (p < bytes.length) {
    const entry = p;
    p += 1 + ((bytes[p] + 7) >> 3);
    if (p - run > budget) {
      emit(run, entry);
      run = entry;
    }
  }
  if (p > run) emit(run, p);
  return out;
}

/** encodeMessage for an IPv4 UPDATE without withdrawals or MP attributes, with smart-buffer. */
export function sbUpdate(m: UpdateMessage): Buffer {
  const sb = SmartBuffer.fromSize(256);
  sb.writeBuffer(MARKER).writeUInt16BE(0).writeUInt8(2).writeUInt16BE(0).writeUInt16BE(0);
  if (m.attributes) sbAttributes(sb, m.attributes);
  sb.writeUInt16BE(sb.length - 23, 21);
  sb.writeBuffer(bufferOf(m.nlri.bytes));
  return finishUpdate(sb);
}
