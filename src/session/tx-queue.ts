/**
 * Transmit queue of one connection: NOTIFICATION before KEEPALIVE before other control messages
 * before UPDATEs, so a large UPDATE backlog never delays a KEEPALIVE or NOTIFICATION (GoBGP #1723).
 * Respects back-pressure: hands the socket at most `highWater` unsent octets and resumes on drain.
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

  enqueue(bytes: Uint8Array, priority: PriorityLevel): void {
    this.queues[priority].push(bytes);
    this.queuedBytes += bytes.length;
    this.flush();
  }

  /** Writes queued messages in priority order while the socket has room; call again on 'drain'. */
  flush(): void {
    for (let level = 0; level < this.queues.length; level++) {
      const q = this.queues[level];
      while (this.heads[level] < q.length) {
        if (this.sink.writableLength >= this.highWater) return;
        const msg = q[this.heads[level]];
        q[this.heads[level]++] = EMPTY;
        this.queuedBytes -= msg.length;
        this.sink.write(msg);
      }
      q.length = 0;
      this.heads[level] = 0;
    }
  }

  clear(): void {
    for (const q of this.queues) q.length = 0;
    this.heads = [0, 0, 0, 0];
    this.queuedBytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
