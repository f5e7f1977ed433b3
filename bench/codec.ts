/**
 * `npm run bench:codec`: one-core encode and decode throughput of the wire codec (issue 2,
 * "Benchmark"). Packed full tables via packAnnouncements, decoded through Framer → decodeMessage →
 * NlriList.forEach; UPDATEs with distinct attributes via encodeMessage. Prints a Markdown table,
 * and with --json one JSON line. Options: --n 1000000 --distinct 100000 --runs 7 --warmup 2.
 */
import type { Message } from '../src/wire/index.js';
import {
  chunks,
  concat,
  decodeStream,
  distinctUpdates,
  encodeAll,
  encodePacked,
  flag,
  gc,
  label,
  machine,
  packedCases,
  rate,
  time,
} from './workloads.js';

interface Row {
  workload: string;
  prefixes: number;
  messages: number;
  encodePrefixesPerSec: number;
  encodeMessagesPerSec: number;
  decodePrefixesPerSec: number;
  decodeMessagesPerSec: number;
  /** Heap (JS heap + ArrayBuffers) held by the retained decoded messages, per prefix. */
  retainedBytesPerPrefix: number;
  /** Of which in the JS heap (process.memoryUsage().heapUsed)… */
  retainedHeapUsedBytes: number;
  /** …and in ArrayBuffer backing stores (process.memoryUsage().arrayBuffers). */
  retainedArrayBufferBytes: number;
}

const N = flag('n', 1_000_000);
const DISTINCT = flag('distinct', 100_000);
const PER_UPDATE = flag('per-update', 4);
const RUNS = flag('runs', 7);
const WARMUP = flag('warmup', 2);

/** Bytes kept alive by decoding the stream and retaining every message. */
function retainedBytes(reads: Uint8Array[], maxLength: number) {
  gc();
  const before = process.memoryUsage();
  const kept: Message[] = [];
  decodeStream(reads, maxLength, kept);
  gc();
  const after = process.memoryUsage();
  if (kept.length === 0) throw new Error('nothing retained');
  return {
    heapUsed: after.heapUsed - before.heapUsed,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  };
}

function measure(
  workload: string,
  prefixes: number,
  bitsPerPrefix: number,
  maxLength: number,
  encode: () => Uint8Array[],
): Row {
  const frames = encode();
  const enc = time(encode, RUNS, WARMUP);
  const reads = chunks(concat(frames));
  const check = decodeStream(reads, maxLength);
  if (
    check.prefixes !== prefixes ||
    check.bits !== prefixes * bitsPerPrefix ||
    check.messages !== frames.length
  )
    throw new Error(`${workload}: decoded ${check.prefixes} prefixes in ${check.messages} messages`);
  const dec = time(() => decodeStream(reads, maxLength), RUNS, WARMUP);
  const kept = retainedBytes(reads, maxLength);
  return {
    workload,
    prefixes,
    messages: frames.length,
    encodePrefixesPerSec: prefixes / enc.median,
    encodeMessagesPerSec: frames.length / enc.median,
    decodePrefixesPerSec: prefixes / dec.median,
    decodeMessagesPerSec: frames.length / dec.median,
    retainedBytesPerPrefix: (kept.heapUsed + kept.arrayBuffers) / prefixes,
    retainedHeapUsedBytes: kept.heapUsed,
    retainedArrayBufferBytes: kept.arrayBuffers,
  };
}

const rows: Row[] = [];
for (const c of packedCases(N))
  rows.push(measure(c.name, N, c.v6 ? 48 : 24, c.maxLength, () => encodePacked(c)));
{
  const ms = distinctUpdates(DISTINCT, PER_UPDATE);
  rows.push(
    measure(
      `${label(DISTINCT)} UPDATEs, distinct attributes, ${PER_UPDATE} /24s each`,
      DISTINCT * PER_UPDATE,
      24,
      4096,
      () => encodeAll(ms, 4096),
    ),
  );
}

const m = machine();
console.log(
  `rackbgp codec benchmark — ${m.cpu}, ${m.nproc} CPUs (one used), node ${m.node}, ${m.date}, load ${m.load}; ` +
    `median of ${RUNS} samples (each ≥ 0.1 s of repeated runs) after ${WARMUP} warm-up runs`,
);
console.log('');
console.log(
  '| workload | messages | encode prefixes/s | encode msgs/s | decode prefixes/s | decode msgs/s | retained B/prefix |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.workload} | ${r.messages} | ${rate(r.encodePrefixesPerSec)} | ${rate(r.encodeMessagesPerSec)} | ` +
      `${rate(r.decodePrefixesPerSec)} | ${rate(r.decodeMessagesPerSec)} | ${r.retainedBytesPerPrefix.toFixed(1)} |`,
  );
}
if (process.argv.includes('--json')) {
  const round = (r: Row) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 10) / 10 : v]),
    );
  console.log(JSON.stringify({ bench: 'codec', ...m, runs: RUNS, warmup: WARMUP, rows: rows.map(round) }));
}
