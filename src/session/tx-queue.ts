/**
 * Transmit queue of one connection: NOTIFICATION before KEEPALIVE before other control messages
 * before UPDATEs, so a large UPDATE backlog never delays a KEEPALIVE or NOTIFICATION (GoBGP #1723).
 * Respects back-pressure: hands the socket at most `highWater` unsent octets and resumes on drain.
 * Messages queued in one turn go out together: one socket write of the concatenated octets, not a
 * syscall (and, with TCP_NODELAY, a segment) per message.
 */

/** The part of a socket the queue needs (net.Socket satisfies it). */
export interface WritableSink {
  write(chunk: Uint8Array): boolean;
  readonly writableLength: number;
}

export const Priority = { NOTIFICATION: 0, KEEPALIVE: 1, CONTROL: 2, UPDATE: 3 } as const;
export type PriorityLevel = (typeof Priority)[keyof typeof Priority];

export class TxQueue {
  private readonly queues: Uint8Array[][] = [[], [], [], []];
  private heads = [0, 0, 0, 0];
  private queuedBytes = 0;
  private scheduled = false;
  /** Fault injection (`hold`, `blackhole`): nothing is written; messages keep queueing. */
  private paused = false;

  constructor(
    private readonly sink: WritableSink,
    private readonly highWater = 64 * 1024,
  ) {}

  /** Octets queued here and not yet handed to the socket. */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Messages queued at UPDATE priority (the OutQ of `show summary`). */
  get pendingUpdates(): number {
    return this.queues[Priority.UPDATE].length - this.heads[Priority.UPDATE];
  }

  /** Queues a message; it is written at the end of this turn (microtask) or by an earlier flush(). */
  enqueue(bytes: Uint8Array, priority: PriorityLevel): void {
    this.queues[priority].push(bytes);
    this.queuedBytes += bytes.length;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Writes queued messages in priority order, in chunks of up to the room below `highWater`, until
   * the queue is empty or a write reports back-pressure ('drain' calls this again).
   */
  flush(): void {
    if (this.paused) return;
    while (this.queuedBytes > 0) {
      const chunk = this.take(this.highWater - this.sink.writableLength);
      if (!chunk) return;
      // true: the socket took it below its own mark and will not emit 'drain'; go on at once.
      if (!this.sink.write(chunk)) return;
    }
  }

  /** Dequeues messages worth up to `room` octets (at least one) as one buffer; null when no room. */
  private take(room: number): Uint8Array | null {
    if (room <= 0) return null;
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let level = 0; level < this.queues.length && size < room; level++) {
      const q = this.queues[level];
      while (this.heads[level] < q.length && size < room) {
        const msg = q[this.heads[level]];
        q[this.heads[level]++] = EMPTY;
        parts.push(msg);
        size += msg.length;
      }
      if (this.heads[level] === q.length) {
        q.length = 0;
        this.heads[level] = 0;
      }
    }
    if (!parts.length) return null;
    this.queuedBytes -= size;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
  }

  /** Stops writing (fault injection); messages queue until resumeSending(). */
  pauseSending(): void {
    this.paused = true;
  }

  /** Writes what queued while paused, in priority order. */
  resumeSending(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flush();
  }

  get sendingPaused(): boolean {
    return this.paused;
  }

  clear(): void {
    for (const q of this.queues) q.length = 0;
    this.heads = [0, 0, 0, 0];
    this.queuedBytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
