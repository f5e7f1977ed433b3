/**
 * The journal over HTTP (issue 15 §1): `GET /api/events?since=&peer=&prefix=&type=&limit=|tail=` →
 * `{ events, next, oldest }`; `GET /api/events/stream?since=` as Server-Sent Events (`id: SEQ`,
 * `event: TYPE`, `data: JSON`) that replays from `since` before it follows, so a client that
 * connects and then acts never misses the first event; `GET /api/history/PREFIX` → the prefix's
 * summary. Read-only, like every GET. 409 when the journal is off.
 */
import type http from 'node:http';
import { EVENT_TYPES, type EventFilter, type EventType, isEventType } from '../core/journal.js';
import type { JournalWiring } from '../core/journal-wiring.js';
import { parsePrefix } from '../util/ip.js';

type Answer = readonly [status: number, body: unknown];

const OFF: Answer = [409, { error: 'the event journal is off (journal: { size: 0 } in the configuration)' }];
const MAX_LIMIT = 100_000;
/** Events per write of the stream (backpressure is honoured between writes). */
const STREAM_CHUNK = 2000;
const HEARTBEAT_MS = 15_000;

class BadQuery extends Error {}

const int = (
  v: string | null,
  what: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined => {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BadQuery(`${what} must be an integer from ${min} to ${max}`);
  return n;
};

/** The filter of a query string; throws BadQuery with the reason. */
export function eventFilter(q: URLSearchParams): EventFilter {
  const since = int(q.get('since'), 'since', 0);
  const limit = int(q.get('limit'), 'limit', 1, MAX_LIMIT);
  const tail = int(q.get('tail'), 'tail', 1, MAX_LIMIT);
  if (limit !== undefined && tail !== undefined) throw new BadQuery('give limit or tail, not both');
  const type = q.get('type');
  if (type !== null && !isEventType(type))
    throw new BadQuery(`type must be one of ${EVENT_TYPES.join(', ')}`);
  const prefix = q.get('prefix');
  if (prefix !== null && !parsePrefix(prefix, true))
    throw new BadQuery(`prefix ${prefix} is not a prefix like 10.1.0.0/24`);
  const peer = q.get('peer');
  return {
    ...(since !== undefined && { since }),
    ...(limit !== undefined && { limit }),
    ...(tail !== undefined && { tail }),
    ...(type !== null && { type: type as EventType }),
    ...(prefix !== null && { prefix }),
    ...(peer !== null && peer !== '' && { peer }),
  };
}

/** Answers GET /api/events and /api/history/PREFIX; undefined for any other path. */
export function journalRead(j: JournalWiring | undefined, url: URL): Answer | undefined {
  const path = url.pathname;
  const history = path.startsWith('/api/history/');
  if (path !== '/api/events' && !history) return undefined;
  if (!j) return OFF;
  if (history) {
    const prefix = decodeURIComponent(path.slice('/api/history/'.length));
    if (!parsePrefix(prefix, true)) return [400, { error: `${prefix} is not a prefix like 10.1.0.0/24` }];
    const s = j.history.summary(prefix);
    return s ? [200, s] : [404, { error: `no history for ${prefix}: the journal never saw it in the RIB` }];
  }
  let f: EventFilter;
  try {
    f = eventFilter(url.searchParams);
  } catch (e) {
    if (e instanceof BadQuery) return [400, { error: e.message }];
    throw e;
  }
  // `tail`: the last N; otherwise the first `limit` (default 10,000) from `since`.
  const limit = f.tail === undefined ? (f.limit ?? 10_000) : Number.POSITIVE_INFINITY;
  const events = j.journal.query(f.tail === undefined ? { ...f, limit } : f);
  const next = events.length === limit ? events[events.length - 1].seq + 1 : j.journal.next;
  return [200, { events, next, oldest: j.journal.oldest }];
}

/**
 * GET /api/events/stream: replays from `since` (or the Last-Event-ID header + 1; default: only new
 * events), then follows. Events overwritten before they were sent are announced as one
 * `journal-gap` event with the range lost.
 */
export function streamEvents(
  j: JournalWiring | undefined,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): void {
  const fail = (status: number, error: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ error })}\n`);
  };
  if (!j) {
    fail(OFF[0], (OFF[1] as { error: string }).error);
    return;
  }
  let f: EventFilter;
  try {
    f = eventFilter(url.searchParams);
  } catch (e) {
    if (!(e instanceof BadQuery)) throw e;
    fail(400, e.message);
    return;
  }
  const lastId = Number(req.headers['last-event-id']);
  let cursor = f.since ?? (Number.isInteger(lastId) && lastId >= 0 ? lastId + 1 : j.journal.next);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // The stream is open before anything happens: a client may act as soon as it sees this.
  res.write(`: rackbgp journal, from seq ${cursor}\n\n`);
  let closed = false;
  let pumping = false;
  let again = false;
  const pump = async () => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!closed && cursor < j.journal.next) {
          let out = '';
          const oldest = j.journal.oldest;
          if (cursor < oldest) {
            out += `event: journal-gap\ndata: ${JSON.stringify({ from: cursor, to: oldest - 1 })}\n\n`;
            cursor = oldest;
          }
          const events = j.journal.query({ ...f, since: cursor, limit: STREAM_CHUNK });
          for (const e of events) out += `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
          cursor = events.length === STREAM_CHUNK ? events[events.length - 1].seq + 1 : j.journal.next;
          if (out && !res.write(out)) await new Promise((r) => res.once('drain', r));
        }
      } while (again && !closed);
    } finally {
      pumping = false;
    }
  };
  const unsubscribe = j.journal.subscribe(() => void pump());
  const heartbeat = setInterval(() => res.write(': keepalive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
  };
  req.on('close', close);
  res.on('close', close);
  void pump();
}
