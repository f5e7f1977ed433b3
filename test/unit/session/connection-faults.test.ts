/**
 * The fault hooks of a Connection (src/session/connection.ts) on a fake socket: sending paused and
 * resumed in priority order, a blackhole that reads and writes nothing and closes without a FIN,
 * abort without a NOTIFICATION, and UPDATEs / End-of-RIB held back on a ManualClock.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../../src/session/connection.js';
import { ManualClock } from '../../../src/util/clock.js';
import {
  encodeMessage,
  endOfRib,
  INITIAL_CONTEXT,
  IPV4_UNICAST,
  IPV6_UNICAST,
  MAX_MESSAGE_LENGTH,
  type Message,
} from '../../../src/wire/index.js';

const KEEPALIVE: Message = { type: 'keepalive' };
const encode = (m: Message) => encodeMessage(m, INITIAL_CONTEXT, MAX_MESSAGE_LENGTH);
const TYPE = 18;

/** A socket that records writes, pause/resume, end and destroy. */
function fakeSocket() {
  const s = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const writes: number[][] = [];
  const calls: string[] = [];
  Object.assign(s, {
    writableLength: 0,
    destroyed: false,
    write: (chunk: Uint8Array) => {
      // One array of message types per write (messages are split at their length fields).
      const types: number[] = [];
      for (let i = 0; i < chunk.length; i += (chunk[i + 16] << 8) | chunk[i + 17])
        types.push(chunk[i + TYPE]);
      writes.push(types);
      return true;
    },
    setNoDelay() {},
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    end: () => calls.push('end'),
    destroy: () => {
      calls.push('destroy');
      s.destroyed = true;
    },
  });
  return { socket: s as unknown as Socket, emitter: s, writes, calls };
}

function connection() {
  const f = fakeSocket();
  const received: string[] = [];
  const closed: string[] = [];
  const counted: number[] = [];
  const conn = new Connection(
    f.socket,
    {
      message: (m) => received.push(m.type),
      error: (e) => received.push(`error ${e.code}`),
      closed: (r) => closed.push(r),
    },
    () => {},
    (frames) => counted.push(frames.length),
  );
  return { conn, received, closed, counted, ...f };
}

const turn = () => new Promise<void>((r) => queueMicrotask(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('Connection fault hooks', () => {
  it('pauseSending holds everything; resumeSending writes it in priority order', async () => {
    const c = connection();
    c.conn.pauseSending();
    c.conn.sendUpdates([encode(endOfRib(IPV4_UNICAST))]);
    c.conn.send(KEEPALIVE);
    await turn();
    expect(c.writes).toEqual([]);
    c.conn.resumeSending();
    expect(c.writes).toEqual([[4, 2]]); // KEEPALIVE (4) before the UPDATE (2)
  });

  it('a blackhole reads nothing until it ends, and its close sends neither NOTIFICATION nor FIN', async () => {
    vi.useFakeTimers();
    const c = connection();
    c.conn.blackhole(5000);
    expect(c.calls).toEqual(['pause']);
    c.emitter.emit('data', Buffer.from(encode(KEEPALIVE)));
    expect(c.received).toEqual([]);
    c.conn.endBlackhole();
    expect(c.received).toEqual(['keepalive']);
    expect(c.calls).toEqual(['pause', 'resume']);

    c.conn.blackhole(5000);
    c.conn.send({ type: 'notification', code: 4, subcode: 0, data: new Uint8Array(0) });
    c.conn.close();
    await vi.advanceTimersByTimeAsync(4999);
    expect(c.writes).toEqual([]);
    expect(c.calls).not.toContain('end');
    expect(c.calls).not.toContain('destroy');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.calls.at(-1)).toBe('destroy');
  });

  it('abort closes the socket at once and reports it, with nothing written', async () => {
    const c = connection();
    c.conn.send(KEEPALIVE);
    c.conn.abort('dropped by fault injection');
    await turn();
    expect(c.closed).toEqual(['dropped by fault injection']);
    expect(c.calls).toEqual(['destroy']);
  });

  it('holds UPDATEs, or only End-of-RIB (IPv4 and IPv6), on the clock; null releases them', async () => {
    const clock = new ManualClock();
    const c = connection();
    // An UPDATE withdrawing 10.1.1.0/24 (not End-of-RIB), built by hand.
    const withdraw = Uint8Array.of(...new Array(16).fill(0xff), 0, 27, 2, 0, 4, 24, 10, 1, 1, 0, 0);
    c.conn.setUpdateDelay({ updatesMs: 0, eorMs: 1000 }, clock);
    c.conn.sendUpdates([withdraw, encode(endOfRib(IPV6_UNICAST)), withdraw]);
    clock.advance(0);
    await turn();
    expect(c.writes).toEqual([[2]]); // the first withdrawal only: the rest waits behind End-of-RIB
    clock.advance(999);
    await turn();
    expect(c.writes).toHaveLength(1);
    clock.advance(1);
    await turn();
    expect(c.writes).toEqual([[2], [2, 2]]);
    expect(c.counted).toEqual([1, 2]);

    c.conn.setUpdateDelay({ updatesMs: 500, eorMs: 0 }, clock);
    c.conn.sendUpdates([encode(endOfRib(IPV4_UNICAST))]);
    c.conn.setUpdateDelay(null, clock);
    await turn();
    expect(c.writes).toEqual([[2], [2, 2], [2]]);
    expect(clock.timers).toBe(0);
  });
});
