/**
 * The pure parts of `rackbgp events` and `rackbgp show history` (src/cli/commands/events.ts): the
 * API query from the options (usage errors for malformed ones), the Server-Sent Events framing,
 * the text of a prefix summary.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/api-client.js';
import { eventsQuery, formatHistory, sseData } from '../../../src/cli/commands/events.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe('rackbgp events', () => {
  it('builds the API query and refuses malformed options', () => {
    expect(
      eventsQuery({ since: '5', prefix: '10.1.0.0/24', peer: '192.0.2.1', type: 'fib-install' }).toString(),
    ).toBe('since=5&prefix=10.1.0.0%2F24&peer=192.0.2.1&type=fib-install');
    expect(() => eventsQuery({ since: '-1' })).toThrow(UsageError);
    expect(() => eventsQuery({ since: 'x' })).toThrow(/--since must be a sequence number/);
    expect(() => eventsQuery({ limit: '0' })).toThrow(/--limit must be a positive number/);
    expect(() => eventsQuery({ prefix: '10.1.0.0/33' })).toThrow(/not a prefix/);
  });

  it('splits an SSE stream into data payloads, across chunk boundaries, skipping comments', async () => {
    const out: string[] = [];
    for await (const d of sseData(
      chunks(
        ': rackbgp journal\n\nid: 1\nevent: reload\nda',
        'ta: {"seq":1}\n\nid: 2\nevent: x\ndata: {"seq":2}\n',
        '\n',
      ),
    ))
      out.push(d);
    expect(out).toEqual(['{"seq":1}', '{"seq":2}']);
  });
});

describe('rackbgp show history', () => {
  it('prints the summary with each outage window', () => {
    const text = formatHistory({
      prefix: '10.1.0.0/24',
      firstSeen: '2026-12-06T12:00:00.000Z',
      lastChange: '2026-12-06T12:00:02.100Z',
      flaps: 1,
      changes: 2,
      outages: [
        { kind: 'no-best', start: '2026-12-06T12:00:01.000Z', end: '2026-12-06T12:00:02.100Z', ms: 1100 },
        { kind: 'no-fib', start: '2026-12-06T12:00:01.010Z', end: null, ms: 2000 },
      ],
      outageCount: 2,
      outageMs: { 'no-best': 1100, 'no-fib': 2000 },
    });
    expect(text).toBe(
      [
        '10.1.0.0/24',
        '  first seen   2026-12-06T12:00:00.000Z',
        '  last change  2026-12-06T12:00:02.100Z',
        '  changes      2, flaps 1 (best path lost)',
        '  outages      2: no best path 1100 ms, no FIB route 2000 ms in total',
        '    no-best 2026-12-06T12:00:01.000Z -> 2026-12-06T12:00:02.100Z  1100 ms',
        '    no-fib  2026-12-06T12:00:01.010Z -> now (ongoing)  2000 ms',
        '',
      ].join('\n'),
    );
  });
});
