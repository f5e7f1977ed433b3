/**
 * `npm run bench:parsers`: the hand-written codec against binary-parser (decode) and smart-buffer
 * (encode) on the same UPDATEs: 1M IPv4 /24s packed into 4096- and 65535-octet UPDATEs, and 100k
 * UPDATEs with distinct attributes. Frames are pre-split so only parsing/building is timed.
 * Prints a Markdown table, and with --json one JSON line. Options as bench/codec.ts.
 */
import { Afi, decodeMessage, IPV4_UNICAST, NlriList, packAnnouncements } from '../src/wire/index.js';
import {
  type BpUpdate,
  type BpUpdateRawNlri,
  bpUpdate,
  bpUpdateRawNlri,
  sbPackPerPrefix,
  sbPackRuns,
  sbUpdate,
} from './library-codecs.js';
import {
  CTX,
  distinctUpdates,
  encodeAll,
  flag,
  label,
  machine,
  median,
  rate,
  SHARED_ATTRS,
  timeEach,
  v4Slash24s,
} from './workloads.js';

const N = flag('n', 1_000_000);
const DISTINCT = flag('distinct', 100_000);
const PER_UPDATE = flag('per-update', 4);
const RUNS = flag('runs', 7);
const WARMUP = flag('warmup', 2);

interface Tally {
  prefixes: number;
  bits: number;
  /** Sum of MED values seen: checks that attributes were really decoded. */
  med: number;
}

type Decoder = (frames: readonly Uint8Array[], maxLength: number) => Tally;
type Encoder = () => Uint8Array[];

const ours: Decoder = (frames, maxLength) => {
  const t: Tally = { prefixes: 0, bits: 0, med: 0 };
  const visit = (_b: Uint8Array, _o: number, len: number) => {
    t.prefixes++;
    t.bits += len;
  };
  for (const f of frames) {
    const r = decodeMessage(f, CTX, maxLength);
    if (!r.ok || r.message.type !== 'update') throw new Error('decode failed');
    r.message.nlri.forEach(visit);
    t.med += r.message.attributes?.med ?? 0;
  }
  return t;
};

const medOf = (u: BpUpdate | BpUpdateRawNlri) => {
  for (const a of u.attributes) if (a.code === 4) return a.value as number;
  return 0;
};

const binaryParser: Decoder = (frames) => {
  const t: Tally = { prefixes: 0, bits: 0, med: 0 };
  for (const f of frames) {
    const u = bpUpdate.parse(f) as BpUpdate;
    for (const p of u.nlri) {
      t.prefixes++;
      t.bits += p.len;
    }
    t.med += medOf(u);
  }
  return t;
};

/** binary-parser for header and attributes, then exactly rackbgp's NLRI work: isolates the library. */
const binaryParserSameNlri: Decoder = (frames) => {
  const t: Tally = { prefixes: 0, bits: 0, med: 0 };
  const visit = (_b: Uint8Array, _o: number, len: number) => {
    t.prefixes++;
    t.bits += len;
  };
  for (const f of frames) {
    const u = bpUpdateRawNlri.parse(f) as BpUpdateRawNlri;
    const nlri = NlriList.decode(u.nlri, 0, u.nlri.length, Afi.IPV4, false);
    if (!nlri) throw new Error('malformed NLRI');
    nlri.forEach(visit);
    t.med += medOf(u);
  }
  return t;
};

const binaryParserRawNlri: Decoder = (frames) => {
  const t: Tally = { prefixes: 0, bits: 0, med: 0 };
  for (const f of frames) {
    const u = bpUpdateRawNlri.parse(f) as BpUpdateRawNlri;
    const b = u.nlri;
    for (let p = 0; p < b.length; p += 1 + ((b[p] + 7) >> 3)) {
      t.prefixes++;
      t.bits += b[p];
    }
    t.med += medOf(u);
  }
  return t;
};

interface Result {
  operation: 'decode' | 'encode';
  workload: string;
  implementation: string;
  messagesPerSec: number;
  prefixesPerSec: number;
  /** This implementation's throughput divided by the hand-written codec's (>1: library faster). */
  ratio: number;
}

const results: Result[] = [];

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => Buffer.compare(x, b[i]) === 0);
}

/**
 * Times the implementations interleaved; the ratio is the median over rounds of
 * (rackbgp's time / this one's time), robust to load that changes between rounds.
 */
function record(
  operation: Result['operation'],
  workload: string,
  messages: number,
  prefixes: number,
  impls: readonly [string, () => unknown][],
) {
  const timings = timeEach(
    impls.map(([, fn]) => fn),
    RUNS,
    WARMUP,
  );
  const base = timings[0].samples;
  impls.forEach(([implementation], k) => {
    const t = timings[k].median;
    const ratios = timings[k].samples.map((x, i) => base[i] / x);
    results.push({
      operation,
      workload,
      implementation,
      messagesPerSec: messages / t,
      prefixesPerSec: prefixes / t,
      ratio: median(ratios),
    });
  });
}

function compareDecoders(workload: string, frames: Uint8Array[], maxLength: number, prefixes: number) {
  const impls: [string, Decoder][] = [
    ['rackbgp decodeMessage + NlriList.forEach', ours],
    ['binary-parser (NLRI as prefix objects)', binaryParser],
    ['binary-parser + NlriList.decode + forEach (same NLRI work)', binaryParserSameNlri],
    ['binary-parser + one-pass NLRI walk (no copy, no checks)', binaryParserRawNlri],
  ];
  const expect = ours(frames, maxLength);
  if (expect.prefixes !== prefixes) throw new Error(`${workload}: ${expect.prefixes} prefixes`);
  for (const [name, dec] of impls) {
    const got = dec(frames, maxLength);
    if (got.prefixes !== expect.prefixes || got.bits !== expect.bits || got.med !== expect.med)
      throw new Error(`${name} on ${workload}: ${JSON.stringify(got)} != ${JSON.stringify(expect)}`);
  }
  const run = impls.map(([name, dec]): [string, () => unknown] => [name, () => dec(frames, maxLength)]);
  record('decode', workload, frames.length, prefixes, run);
}

function compareEncoders(workload: string, prefixes: number, impls: [string, Encoder][]) {
  const expect = impls[0][1]();
  for (const [name, enc] of impls) {
    if (!sameBytes(enc(), expect)) throw new Error(`${name} on ${workload}: different octets`);
  }
  record('encode', workload, expect.length, prefixes, impls);
}

const nlri = v4Slash24s(N);
for (const max of [4096, 65535]) {
  const workload = `${label(N)} IPv4 /24 packed, ${max}-octet UPDATEs`;
  compareDecoders(workload, packAnnouncements(SHARED_ATTRS, nlri, IPV4_UNICAST, CTX, max).messages, max, N);
  compareEncoders(workload, N, [
    [
      'rackbgp packAnnouncements',
      () => packAnnouncements(SHARED_ATTRS, nlri, IPV4_UNICAST, CTX, max).messages,
    ],
    ['smart-buffer, prefix by prefix', () => sbPackPerPrefix(SHARED_ATTRS, nlri, max)],
    ['smart-buffer, runs of prefixes', () => sbPackRuns(SHARED_ATTRS, nlri, max)],
  ]);
}
{
  const ms = distinctUpdates(DISTINCT, PER_UPDATE);
  const workload = `${label(DISTINCT)} UPDATEs, distinct attributes, ${PER_UPDATE} /24s each`;
  compareDecoders(workload, encodeAll(ms, 4096), 4096, DISTINCT * PER_UPDATE);
  compareEncoders(workload, DISTINCT * PER_UPDATE, [
    ['rackbgp encodeMessage', () => encodeAll(ms, 4096)],
    ['smart-buffer', () => ms.map(sbUpdate)],
  ]);
}

const m = machine();
console.log(
  `rackbgp vs binary-parser/smart-buffer — ${m.cpu}, ${m.nproc} CPUs (one used), node ${m.node}, ` +
    `${m.date}, load ${m.load}; median of ${RUNS} interleaved samples (each ≥ 0.1 s) after ${WARMUP} warm-up runs; ` +
    "ratio = median of rackbgp's time / this one's (>1: faster than rackbgp)",
);
console.log('');
console.log('| op | workload | implementation | msgs/s | prefixes/s | ratio |');
console.log('|---|---|---|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.operation} | ${r.workload} | ${r.implementation} | ${rate(r.messagesPerSec)} | ` +
      `${rate(r.prefixesPerSec)} | ${r.ratio.toFixed(2)} |`,
  );
}
if (process.argv.includes('--json')) {
  const round = (r: Result) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : v]),
    );
  console.log(
    JSON.stringify({ bench: 'parsers', ...m, runs: RUNS, warmup: WARMUP, results: results.map(round) }),
  );
}
