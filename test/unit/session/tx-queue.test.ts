import { describe, expect, it } from 'vitest';
import { Priority, TxQueue, type WritableSink } from '../../../src/session/tx-queue.js';

/** A socket stand-in: records writes; `unsent` octets count against the high-water mark until drained. */
class Sink implements WritableSink {
  writes: number[][] = [];
  unsent = 0;
  /** `immediate`: the kernel takes every write at once (nothing stays unsent, no 'drain' follows). */
  constructor(private readonly immediate = false) {}
  get writableLength(): number {
    return this.unsent;
  }
  write(chunk: Uint8Array): boolean {
    this.writes.push([...chunk]);
    if (!this.immediate) this.unsent += chunk.length;
    return this.immediate;
  }
}

const msg = (tag: number, n = 4) => new Uint8Array(n).fill(tag);

describe('TxQueue', () => {
  it('writes what one turn queued as one chunk, NOTIFICATION, KEEPALIVE and control before UPDATEs', async () => {
    const sink = new Sink();
    const q = new TxQueue(sink);
    q.enqueue(msg(3), Priority.UPDATE);
    q.enqueue(msg(4), Priority.UPDATE);
    q.enqueue(msg(1), Priority.KEEPALIVE);
    q.enqueue(msg(0), Priority.NOTIFICATION);
    q.enqueue(msg(2), Priority.CONTROL);
    expect(sink.writes).toEqual([]);
    expect(q.pendingUpdates).toBe(2);
    await Promise.resolve();
    expect(sink.writes).toEqual([[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]]);
    expect(q.pending).toBe(0);
    expect(q.pendingUpdates).toBe(0);
  });

  it('hands the socket at most about highWater octets; the rest goes on drain, a KEEPALIVE first', async () => {
    const sink = new Sink();
    const q = new TxQueue(sink, 10);
    for (let i = 0; i < 5; i++) q.enqueue(msg(10 + i), Priority.UPDATE);
    await Promise.resolve();
    expect(sink.writes).toEqual([[10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12]]);
    expect(q.pending).toBe(8);
    q.enqueue(msg(1), Priority.KEEPALIVE);
    await Promise.resolve();
    expect(sink.writes).toHaveLength(1); // still over the mark
    sink.unsent = 0; // 'drain'
    q.flush();
    expect(sink.writes[1]).toEqual([1, 1, 1, 1, 13, 13, 13, 13, 14, 14, 14, 14]);
    expect(q.pending).toBe(0);
  });

  it('flush() writes at once (a NOTIFICATION before close)', () => {
    const sink = new Sink();
    const q = new TxQueue(sink);
    q.enqueue(msg(0, 21), Priority.NOTIFICATION);
    q.flush();
    expect(sink.writes).toHaveLength(1);
    expect(sink.writes[0]).toHaveLength(21);
  });

  it('goes on writing while the socket takes everything at once (no drain would come)', async () => {
    const sink = new Sink(true);
    const q = new TxQueue(sink, 8);
    for (let i = 0; i < 5; i++) q.enqueue(msg(i), Priority.UPDATE);
    await Promise.resolve();
    expect(sink.writes.map((w) => w.length)).toEqual([8, 8, 4]);
    expect(q.pending).toBe(0);
  });
});
