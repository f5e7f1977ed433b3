/**
 * `rackbgp events [--follow] [--since SEQ] [--peer A] [--prefix P] [--type T] [--limit N] [--json]`:
 * the daemon's event journal, one line per event (or the API's JSON; with --follow, one JSON object
 * per line). --follow reads the Server-Sent Events stream, which replays from --since first.
 * `rackbgp show history PREFIX [--json]`: the prefix's summary (last change, flaps, outages).
 */
import { Command, Option } from 'commander';
import type { PrefixSummary } from '../../api/daemon.js';
import { EVENT_TYPES, formatEvent, type JournalEvent } from '../../api/daemon.js';
import { parsePrefix } from '../../util/ip.js';
import { type ApiOptions, CliError, getJson, target, UsageError, withApi } from '../api-client.js';

export interface EventsOptions extends ApiOptions {
  follow?: boolean;
  since?: string;
  peer?: string;
  prefix?: string;
  type?: string;
  limit?: string;
}

/** The API query of the options; a UsageError for a malformed one. */
export function eventsQuery(o: EventsOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (o.since !== undefined) {
    if (!/^\d+$/.test(o.since))
      throw new UsageError(`--since must be a sequence number (0 or more), not ${o.since}`);
    q.set('since', o.since);
  }
  if (o.limit !== undefined) {
    if (!/^[1-9]\d*$/.test(o.limit))
      throw new UsageError(`--limit must be a positive number, not ${o.limit}`);
    q.set('limit', o.limit);
  }
  if (o.prefix !== undefined) {
    if (!parsePrefix(o.prefix, true))
      throw new UsageError(`--prefix ${o.prefix} is not a prefix like 10.1.0.0/24`);
    q.set('prefix', o.prefix);
  }
  if (o.peer !== undefined) q.set('peer', o.peer);
  if (o.type !== undefined) q.set('type', o.type);
  return q;
}

/** Splits a Server-Sent Events byte stream into the `data:` payloads of its events. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart());
      if (data.length) yield data.join('\n');
    }
  }
}

async function follow(o: EventsOptions, q: URLSearchParams): Promise<void> {
  const t = target(o);
  let res: Response;
  try {
    res = await fetch(`${t.base}/api/events/stream?${q}`, { headers: { accept: 'text/event-stream' } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    throw new CliError(
      `cannot reach the rackbgp API at ${t.base} (${cause?.code ?? (e as Error).message}): is \`rackbgp run\` running there with its API on?`,
    );
  }
  if (res.status !== 200 || !res.body) {
    const error = ((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`;
    throw res.status === 400 || res.status === 409 ? new UsageError(error) : new CliError(error);
  }
  for await (const data of sseData(res.body)) {
    const e = JSON.parse(data) as JournalEvent & { from?: number; to?: number };
    if (o.json) process.stdout.write(`${data}\n`);
    else if (e.seq === undefined)
      process.stdout.write(`(events ${e.from}..${e.to} were overwritten before they were read)\n`);
    else process.stdout.write(`${formatEvent(e)}\n`);
  }
}

export async function showEvents(o: EventsOptions): Promise<void> {
  const q = eventsQuery(o);
  if (o.follow) return follow(o, q);
  // Without --since: the last --limit events (matching the filters), not the oldest held.
  if (!q.has('since')) {
    q.set('tail', q.get('limit') ?? '10000');
    q.delete('limit');
  }
  const r = await getJson<{ events: JournalEvent[]; next: number; oldest: number }>(
    target(o),
    `/api/events?${q}`,
  );
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  for (const e of r.events) process.stdout.write(`${formatEvent(e)}\n`);
  if (!r.events.length) process.stdout.write(`No events (next ${r.next}, oldest held ${r.oldest}).\n`);
}

export function eventsCommand(): Command {
  return withApi(
    new Command('events')
      .description('the event journal: sessions, End-of-RIB, graceful restart, route and FIB changes, faults')
      .option('-f, --follow', 'keep printing events as they happen (replays from --since first)')
      .option(
        '--since <seq>',
        'from this sequence number (default: the last --limit held; with --follow: new ones)',
      )
      .option(
        '--peer <address>',
        'only events of this neighbor (route events: a path from it before or after)',
      )
      .option('--prefix <prefix>', 'only events of this prefix')
      .addOption(new Option('--type <type>', 'only events of this type').choices(EVENT_TYPES))
      .option(
        '--limit <n>',
        'at most this many events (without --follow; default 10000): the first from --since, else the last',
      ),
  ).action((o: EventsOptions) => showEvents(o));
}

/** Text of a prefix summary. */
export function formatHistory(s: PrefixSummary): string {
  const lines = [
    `${s.prefix}`,
    `  first seen   ${s.firstSeen}`,
    `  last change  ${s.lastChange}`,
    `  changes      ${s.changes}, flaps ${s.flaps} (best path lost)`,
    `  outages      ${s.outageCount}: no best path ${s.outageMs['no-best']} ms, no FIB route ${s.outageMs['no-fib']} ms in total`,
  ];
  for (const o of s.outages)
    lines.push(`    ${o.kind.padEnd(7)} ${o.start} -> ${o.end ?? 'now (ongoing)'}  ${o.ms} ms`);
  return `${lines.join('\n')}\n`;
}

export function showHistoryCommand(): Command {
  return withApi(
    new Command('history')
      .description(
        "a prefix's history: first seen, last change, flaps and outage windows (no best path, no FIB route)",
      )
      .argument('<prefix>', 'the prefix, e.g. 10.1.0.0/24'),
  ).action(async (prefix: string, o: ApiOptions) => {
    if (!parsePrefix(prefix, true)) throw new UsageError(`${prefix} is not a prefix like 10.1.0.0/24`);
    const s = await getJson<PrefixSummary>(target(o), `/api/history/${encodeURIComponent(prefix)}`);
    process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatHistory(s));
  });
}
