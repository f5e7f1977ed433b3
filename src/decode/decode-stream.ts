/**
 * Decodes BGP byte streams into the records `rackbgp decode` prints: frames each direction with
 * the Framer, resynchronises on the next valid header after a header error (RFC 4271 §6.1), and
 * follows the OPENs of a connection to decode later messages with the negotiated 4-octet AS,
 * ADD-PATH and message size (RFC 6793, RFC 7911, RFC 8654). Pure: bytes in, plain records out.
 */
import { type CaptureTime, formatCaptureTime, readCapture } from '../pcap/pcap-reader.js';
import { contiguousRuns, reassemble, type TcpConnection } from '../pcap/tcp-streams.js';
import { toHex } from '../util/ip.js';
import {
  Action,
  actionName,
  BgpError,
  checkHeader,
  decodeMessage,
  ErrorCode,
  errorName,
  Framer,
  HEADER_LENGTH,
  HeaderSubcode,
  INITIAL_CONTEXT,
  issueToJson,
  MARKER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  messageToJson,
  negotiate,
  type OpenMessage,
  type SessionParams,
  type UpdateContext,
} from '../wire/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the documented JSON form is untyped
type Json = any;

/** The NOTIFICATION rackbgp would send for an error (RFC 4271 §4.5), plus why. */
export interface ErrorJson {
  readonly code: number;
  readonly subcode: number;
  readonly codeName: string;
  readonly subcodeName: string;
  /** NOTIFICATION data, hex. */
  readonly data: string;
  readonly reason: string;
}

/** Where a record comes from: set for captures, absent for hex input. */
interface Origin {
  stream?: number;
  direction?: string;
  /** Packet number (1-based) that completed the message, and its time. */
  frame?: number;
  time?: string;
}

export interface MessageRecord extends Origin {
  /** Message number within its direction (or within the hex input), from 0. */
  index: number;
  /** Octet offset of the message in its direction's stream (or its hex input item). */
  offset: number;
  length: number;
  message: Json;
  /** RFC 7606 issues found in an UPDATE, with `action` the strongest one's name. */
  issues?: Json[];
  action?: string;
}

export interface ErrorRecord extends Origin {
  index: number;
  offset: number;
  /** Length of the message when its header was sound; absent for header errors. */
  length?: number;
  error: ErrorJson;
  /** After a header error: octets skipped to reach the next valid header (or the end). */
  skipped?: number;
}

/**
 * Octets missing from a capture: `gap` octets from `offset` were never captured (0 when the capture
 * starts mid-stream, without the SYN). Decoding resumes at the next valid header, `skipped` octets on.
 */
export interface GapRecord extends Origin {
  offset: number;
  gap: number;
  skipped?: number;
}

/** The stream ends inside a message: `have` of the `need` octets are present. */
export interface TruncatedRecord extends Origin {
  offset: number;
  truncated: { have: number; need: number };
}

export type DecodeRecord = MessageRecord | ErrorRecord | GapRecord | TruncatedRecord;

/** Session parameters for messages decoded before both OPENs are seen. */
export interface DecodeContext {
  readonly ctx: UpdateContext;
  readonly maxLength: number;
}

export const DEFAULT_CONTEXT: DecodeContext = { ctx: INITIAL_CONTEXT, maxLength: MAX_MESSAGE_LENGTH };

export function errorToJson(e: BgpError): ErrorJson {
  const n = errorName(e.code, e.subcode);
  return {
    code: e.code,
    subcode: e.subcode,
    codeName: n.code,
    subcodeName: n.subcode,
    data: toHex(e.data),
    reason: e.message,
  };
}

// ---- framing ----

type Item =
  | { kind: 'frame'; offset: number; bytes: Uint8Array }
  | { kind: 'bad-header'; offset: number; error: BgpError; skipped: number }
  | { kind: 'truncated'; offset: number; have: number; need: number }
  | { kind: 'gap'; offset: number; length: number; skipped: number };

/** The first offset at or after `from` holding a valid header, or a marker cut short by the end. */
function nextHeader(data: Uint8Array, from: number): number {
  for (let p = from; p < data.length; p++) {
    if (data[p] !== 0xff) continue;
    const avail = Math.min(MARKER_LENGTH, data.length - p);
    let ones = 1;
    while (ones < avail && data[p + ones] === 0xff) ones++;
    if (ones < avail) {
      p += ones - 1;
      continue;
    }
    if (data.length - p < HEADER_LENGTH) return p;
    if (typeof checkHeader(data, p, MAX_EXTENDED_MESSAGE_LENGTH) === 'number') return p;
  }
  return data.length;
}

/**
 * Splits contiguous stream octets into frames with the Framer. Lengths are checked against the
 * largest possible limit here; the negotiated limit is applied when each message is decoded.
 */
function frameRun(data: Uint8Array, base: number, from = 0): Item[] {
  const items: Item[] = [];
  let pos = from;
  outer: while (pos < data.length) {
    const framer = new Framer(MAX_EXTENDED_MESSAGE_LENGTH);
    framer.push(data.subarray(pos));
    for (;;) {
      const f = framer.next();
      if (f instanceof Uint8Array) {
        items.push({ kind: 'frame', offset: base + pos, bytes: f.slice() });
        pos += f.length;
        if (pos === data.length) break outer;
        continue;
      }
      const have = data.length - pos;
      if (f === null && !startsWithMarker(data, pos)) {
        // Fewer than 19 octets left and they are not a marker: as good as a bad marker.
        items.push({ kind: 'bad-header', offset: base + pos, error: notSynchronized(), skipped: have });
        break outer;
      }
      if (f === null) {
        // The stream ends inside a message whose header looked sound so far.
        const need = have >= HEADER_LENGTH - 1 ? (data[pos + 16] << 8) | data[pos + 17] : HEADER_LENGTH;
        items.push({ kind: 'truncated', offset: base + pos, have, need });
        break outer;
      }
      // RFC 4271 §6.1 header error: report the NOTIFICATION, then resynchronise on the next header.
      const next = nextHeader(data, pos + 1);
      items.push({ kind: 'bad-header', offset: base + pos, error: f, skipped: next - pos });
      pos = next;
      continue outer;
    }
  }
  return items;
}

function startsWithMarker(data: Uint8Array, pos: number): boolean {
  const end = Math.min(data.length, pos + MARKER_LENGTH);
  for (let p = pos; p < end; p++) if (data[p] !== 0xff) return false;
  return true;
}

const notSynchronized = () =>
  new BgpError(
    ErrorCode.MESSAGE_HEADER,
    HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
    new Uint8Array(0),
    'marker is not all ones',
  );

// ---- decoding with OPEN tracking ----

/** Tracks the OPENs of one connection and decodes each message with the right context. */
class SessionDecoder {
  private readonly opens: (OpenMessage | null)[] = [null, null];
  private readonly contexts: (DecodeContext | null)[] = [null, null];
  private readonly counts = [0, 0];

  constructor(
    private readonly fallback: DecodeContext,
    /** Hex input: one side only; an OPEN stands for both sides (the peer mirrors it). */
    private readonly mirror: boolean,
  ) {}

  private context(dir: number): DecodeContext {
    return this.contexts[dir] ?? this.fallback;
  }

  private sawOpen(dir: number, open: OpenMessage): void {
    this.opens[dir] = open;
    const peer = this.mirror ? open : this.opens[1 - dir];
    if (!peer) return;
    // What each side sends is decoded as its receiver negotiated it: negotiate(receiver, sender).
    this.setContext(dir, negotiate(peer, open));
    if (!this.mirror) this.setContext(1 - dir, negotiate(open, peer));
  }

  private setContext(dir: number, p: SessionParams): void {
    this.contexts[dir] = { ctx: p, maxLength: p.maxMessageLength };
  }

  record(dir: number, item: Item, origin: Origin): DecodeRecord {
    switch (item.kind) {
      case 'gap':
        return {
          ...origin,
          offset: item.offset,
          gap: item.length,
          ...(item.skipped > 0 && { skipped: item.skipped }),
        };
      case 'truncated':
        return { ...origin, offset: item.offset, truncated: { have: item.have, need: item.need } };
      case 'bad-header':
        return {
          ...origin,
          index: this.counts[dir]++,
          offset: item.offset,
          error: errorToJson(item.error),
          skipped: item.skipped,
        };
      case 'frame': {
        const { ctx, maxLength } = this.context(dir);
        const index = this.counts[dir]++;
        const base = { ...origin, index, offset: item.offset, length: item.bytes.length };
        const r = decodeMessage(item.bytes, ctx, maxLength);
        if (!r.ok) return { ...base, error: errorToJson(r.error) };
        if (r.message.type === 'open') this.sawOpen(dir, r.message);
        const out: MessageRecord = { ...base, message: messageToJson(r.message) };
        if (r.issues.length) out.issues = r.issues.map(issueToJson);
        if (r.action !== Action.NONE) out.action = actionName(r.action);
        return out;
      }
    }
  }
}

/**
 * Hex input: each item is one message (or several back to back). Without `fixed`, an OPEN in
 * the input sets the context for what follows, as if the peer had sent the same OPEN.
 */
export function decodeHexMessages(
  inputs: readonly Uint8Array[],
  opts: { fixed?: DecodeContext } = {},
): DecodeRecord[] {
  const dec = new SessionDecoder(opts.fixed ?? DEFAULT_CONTEXT, !opts.fixed);
  const out: DecodeRecord[] = [];
  let offset = 0;
  for (const input of inputs) {
    if (input.length === 0) {
      out.push({ offset, truncated: { have: 0, need: HEADER_LENGTH } });
      continue;
    }
    for (const item of frameRun(input, offset)) out.push(dec.record(0, item, {}));
    offset += input.length;
  }
  return out;
}

interface Timed {
  item: Item;
  frame: number;
  time?: CaptureTime;
}

/** One direction's items, each with the packet that made it deliverable (stream order kept). */
function directionItems(conn: TcpConnection, dir: number): Timed[] {
  const d = conn.directions[dir];
  const out: Timed[] = [];
  // A message can be delivered only when every octet before it arrived: running maximum.
  let frame = 0;
  let time: CaptureTime | undefined;
  const gaps = [...d.gaps];
  for (const run of contiguousRuns(d)) {
    const size = run.chunks.reduce((n, c) => n + c.data.length, 0);
    const data = new Uint8Array(size);
    const ends: { end: number; frame: number; time?: CaptureTime }[] = [];
    let p = 0;
    for (const c of run.chunks) {
      data.set(c.data, p);
      p += c.data.length;
      if (c.frame >= frame) {
        frame = c.frame;
        time = c.time;
      }
      ends.push({ end: p, frame, time });
    }
    // After a hole, or at a capture that starts mid-stream, the run may begin inside a message:
    // skip to the next valid header and say so, instead of reporting the octets as a bad header.
    const hole = gaps.length > 0 && gaps[0].offset < run.offset ? gaps.shift()! : null;
    const resync = hole !== null || (run.offset === 0 && !d.synSeen);
    const start = resync ? nextHeader(data, 0) : 0;
    if (hole || start > 0) {
      const item: Item = {
        kind: 'gap',
        offset: hole?.offset ?? 0,
        length: hole?.length ?? 0,
        skipped: start,
      };
      out.push({ item, frame: ends[0].frame, time: ends[0].time });
    }
    let k = 0;
    for (const item of frameRun(data, run.offset, start)) {
      const last =
        item.kind === 'frame'
          ? item.offset - run.offset + item.bytes.length
          : Math.min(size, item.offset - run.offset + 1);
      while (k < ends.length - 1 && ends[k].end < last) k++;
      out.push({ item, frame: ends[k].frame, time: ends[k].time });
    }
  }
  return out;
}

/** Decodes both directions of a reassembled TCP connection, interleaved in capture order. */
export function decodeConnection(
  conn: TcpConnection,
  fallback: DecodeContext = DEFAULT_CONTEXT,
): DecodeRecord[] {
  const dec = new SessionDecoder(fallback, false);
  const lists = conn.directions.map((_, i) => directionItems(conn, i));
  const pos = lists.map(() => 0);
  const out: DecodeRecord[] = [];
  for (;;) {
    // Merge by delivering packet; within one direction the stream order is kept.
    let pick = -1;
    for (let i = 0; i < lists.length; i++) {
      if (pos[i] >= lists[i].length) continue;
      if (pick < 0 || lists[i][pos[i]].frame < lists[pick][pos[pick]].frame) pick = i;
    }
    if (pick < 0) break;
    const t = lists[pick][pos[pick]++];
    const origin: Origin = {
      stream: conn.id,
      direction: conn.directions[pick].label,
      frame: t.frame,
      ...(t.time && { time: formatCaptureTime(t.time) }),
    };
    out.push(dec.record(pick, t.item, origin));
  }
  return out;
}

export interface CaptureDecode {
  readonly records: DecodeRecord[];
  /** Problems reading the file or its frames (the records cover what could be read). */
  readonly issues: string[];
  readonly connections: number;
}

/**
 * Decodes every TCP connection on `port` in a pcap/pcapng file, records in capture order across
 * connections (each connection's own order is its stream order).
 */
export function decodeCapture(
  bytes: Uint8Array,
  opts: { port?: number; fallback?: DecodeContext } = {},
): CaptureDecode {
  const capture = readCapture(bytes);
  const { connections, issues } = reassemble(capture.packets, { port: opts.port ?? 179 });
  const all = connections.flatMap((c) => decodeConnection(c, opts.fallback));
  const records = all
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.frame ?? 0) - (b.r.frame ?? 0) || a.i - b.i)
    .map((x) => x.r);
  return { records, issues: [...capture.issues, ...issues], connections: connections.length };
}

/** Record fields in a stable, readable order for printing. */
export function orderRecord(r: DecodeRecord): Json {
  const keys = [
    'stream',
    'direction',
    'frame',
    'time',
    'index',
    'offset',
    'mrt',
    'peer',
    'local',
    'originated',
    'length',
    'peerIndex',
    'state',
    'message',
    'action',
    'issues',
    'error',
    'skipped',
    'gap',
    'truncated',
  ];
  const o: Json = {};
  for (const k of keys) if ((r as Json)[k] !== undefined) o[k] = (r as Json)[k];
  return o;
}
