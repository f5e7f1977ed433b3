/**
 * Shared benchmark workloads and timing for bench/codec.ts and bench/parsers.ts: a full table of
 * IPv4 /24s and IPv6 /48s in wire form (RFC 4271 §4.3 NLRI), UPDATEs with distinct attributes, the
 * Framer → decodeMessage → NlriList.forEach pipeline, and median-of-N timing with hrtime.
 */
import os from 'node:os';
import {
  AsPathSegmentType,
  decodeMessage,
  encodeMessage,
  Framer,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type Message,
  NlriList,
  Origin,
  type PathAttributes,
  packAnnouncements,
  type UpdateContext,
  type UpdateMessage,
} from '../src/wire/index.js';

/** A 4-octet-AS eBGP session without ADD-PATH: what a Calico node or a leaf negotiates. */
export const CTX: UpdateContext = {
  fourOctetAs: true,
  addPathRx: new Set(),
  addPathTx: new Set(),
};

/** The attribute set every prefix of the packed workloads shares. */
export const SHARED_ATTRS: PathAttributes = {
  origin: Origin.IGP,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [64512, 64513, 4200000001] }],
  nextHop: '192.0.2.1',
  med: 0,
  communities: [64512 * 65536 + 100, 64512 * 65536 + 200],
};

export const V6_NEXT_HOP = { nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' };

/** `n` distinct IPv4 /24s from 16.0.0.0/24 upwards, as canonical wire bytes. */
export function v4Slash24s(n: number): NlriList {
  const b = new Uint8Array(4 * n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    b[p] = 24;
    b[p + 1] = 16 + (i >>> 16);
    b[p + 2] = (i >>> 8) & 255;
    b[p + 3] = i & 255;
  }
  return NlriList.fromCanonical(1, false, b, n);
}

/** `n` distinct IPv6 /48s 2001:XXXX:YYYY::/48 counting from 2001:db8::/48. */
export function v6Slash48s(n: number): NlriList {
  const b = new Uint8Array(7 * n);
  for (let i = 0, p = 0; i < n; i++, p += 7) {
    const v = (0x0db80000 + i) >>> 0;
    b[p] = 48;
    b[p + 1] = 0x20;
    b[p + 2] = 0x01;
    b[p + 3] = v >>> 24;
    b[p + 4] = (v >>> 16) & 255;
    b[p + 5] = (v >>> 8) & 255;
    b[p + 6] = v & 255;
  }
  return NlriList.fromCanonical(2, false, b, n);
}

/** UPDATE i of the distinct workload: its own AS path, MED, communities and large community. */
export function distinctAttrs(i: number): PathAttributes {
  return {
    origin: Origin.IGP,
    asPath: [
      { type: AsPathSegmentType.AS_SEQUENCE, asns: [64512, 65000 + (i % 500), 4200000000 + i] },
      ...(i % 7 === 0 ? [{ type: AsPathSegmentType.AS_SET, asns: [64600, 64601 + (i % 13)] }] : []),
    ],
    nextHop: `192.0.2.${1 + (i % 250)}`,
    med: i,
    communities: [64512 * 65536 + (i & 0xffff), 65000 * 65536 + (i % 97), 0xffffff01],
    largeCommunities: [[64512, i, 1]],
  };
}

/** `n` UPDATEs with distinct attributes, each announcing `perUpdate` /24s. */
export function distinctUpdates(n: number, perUpdate: number): UpdateMessage[] {
  const all = v4Slash24s(n * perUpdate).bytes;
  const empty = NlriList.empty(1);
  const out: UpdateMessage[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = all.slice(4 * perUpdate * i, 4 * perUpdate * (i + 1));
    out.push({
      type: 'update',
      withdrawn: empty,
      attributes: distinctAttrs(i),
      nlri: NlriList.fromCanonical(1, false, bytes, perUpdate),
    });
  }
  return out;
}

export interface PackedCase {
  readonly name: string;
  readonly nlri: NlriList;
  readonly maxLength: number;
  readonly v6: boolean;
}

export const packedCases = (n: number): PackedCase[] => {
  const v4 = v4Slash24s(n);
  const v6 = v6Slash48s(n);
  return [
    { name: `${label(n)} IPv4 /24, 4096-octet UPDATEs`, nlri: v4, maxLength: 4096, v6: false },
    { name: `${label(n)} IPv4 /24, 65535-octet UPDATEs`, nlri: v4, maxLength: 65535, v6: false },
    { name: `${label(n)} IPv6 /48 MP_REACH, 4096-octet`, nlri: v6, maxLength: 4096, v6: true },
    { name: `${label(n)} IPv6 /48 MP_REACH, 65535-octet`, nlri: v6, maxLength: 65535, v6: true },
  ];
};

export const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);

export function encodePacked(c: PackedCase): Uint8Array[] {
  return c.v6
    ? packAnnouncements(SHARED_ATTRS, c.nlri, IPV6_UNICAST, CTX, c.maxLength, V6_NEXT_HOP).messages
    : packAnnouncements(SHARED_ATTRS, c.nlri, IPV4_UNICAST, CTX, c.maxLength).messages;
}

export function encodeAll(ms: readonly UpdateMessage[], maxLength: number): Uint8Array[] {
  const out = new Array<Uint8Array>(ms.length);
  for (let i = 0; i < ms.length; i++) out[i] = encodeMessage(ms[i], CTX, maxLength);
  return out;
}

export function concat(frames: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const f of frames) n += f.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const f of frames) {
    out.set(f, p);
    p += f.length;
  }
  return out;
}

/** The stream as socket reads of `size` octets (views, no copies). */
export function chunks(stream: Uint8Array, size = 65536): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < stream.length; p += size) out.push(stream.subarray(p, p + size));
  return out;
}

/**
 * Calls onFrame for every message in the stream, pushed through a Framer chunk by chunk. The
 * frame is a view valid only until the next push.
 */
export function frameAll(reads: readonly Uint8Array[], maxLength: number, onFrame: (f: Uint8Array) => void) {
  const framer = new Framer(maxLength);
  for (const r of reads) {
    framer.push(r);
    for (let f = framer.next(); f !== null; f = framer.next()) {
      if (!(f instanceof Uint8Array)) throw new Error(`framer: ${f.message}`);
      onFrame(f);
    }
  }
  if (framer.buffered) throw new Error('trailing octets');
}

export interface DecodeTally {
  messages: number;
  prefixes: number;
  /** Sum of prefix lengths: keeps the walk from being optimised away and checks the data. */
  bits: number;
}

/** Framer → decodeMessage → walk every prefix. Keeps the decoded messages in `retain` if given. */
export function decodeStream(
  reads: readonly Uint8Array[],
  maxLength: number,
  retain?: Message[],
): DecodeTally {
  const t: DecodeTally = { messages: 0, prefixes: 0, bits: 0 };
  const visit = (_b: Uint8Array, _off: number, len: number) => {
    t.prefixes++;
    t.bits += len;
  };
  frameAll(reads, maxLength, (frame) => {
    const r = decodeMessage(frame, CTX, maxLength);
    if (!r.ok) throw new Error(`decode: ${r.error.message}`);
    if (r.action !== 0) throw new Error(`decode issues: ${r.issues.map((i) => i.reason).join('; ')}`);
    const m = r.message;
    t.messages++;
    if (m.type === 'update') {
      m.nlri.forEach(visit);
      m.mpReach?.nlri.forEach(visit);
    }
    retain?.push(m);
  });
  return t;
}

export interface Timing {
  /** Median wall time of one call, in seconds. */
  readonly median: number;
  readonly samples: readonly number[];
}

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Each timed sample repeats a workload until it lasts at least this long, averaging out GC pauses. */
const MIN_SAMPLE_SECONDS = 0.1;

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * `warmup` untimed runs, then the median of `runs` samples timed with process.hrtime.bigint(); a
 * sample repeats fn enough times to last MIN_SAMPLE_SECONDS and is reported per call.
 */
export function time(fn: () => unknown, runs: number, warmup: number): Timing {
  return timeEach([fn], runs, warmup)[0];
}

/**
 * The same for several implementations, interleaved sample by sample so that load from other
 * processes falls on all of them alike and their ratio stays meaningful on a shared machine.
 */
export function timeEach(fns: readonly (() => unknown)[], runs: number, warmup: number): Timing[] {
  const reps = fns.map((fn) => {
    let once = Number.POSITIVE_INFINITY;
    for (let i = 0; i < Math.max(1, warmup); i++) {
      const t0 = process.hrtime.bigint();
      fn();
      once = Math.min(once, seconds(t0));
    }
    return Math.max(1, Math.ceil(MIN_SAMPLE_SECONDS / once));
  });
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < reps[k]; r++) fn();
      samples[k].push(seconds(t0) / reps[k]);
    });
  }
  return samples.map((s) => ({ median: median(s), samples: s }));
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run node with --expose-gc');
  g();
  g();
}

/** Numeric flag `--name N` from argv, or the default. */
export function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** 12345678 → "12.35M" */
export function rate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

export function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
    /** 1-minute load average at the end: other processes share the cores. */
    load: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
