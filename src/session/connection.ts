/**
 * One TCP connection of a peer: reads through the Framer and the codec, writes through the
 * TxQueue. Decoding follows the negotiated parameters from the moment they are known, so a
 * message right behind an OPEN in the same segment already decodes with them.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../util/clock.js';
import {
  type AttrIssue,
  type BgpError,
  decodeMessage,
  encodeMessage,
  endOfRibFamily,
  Framer,
  INITIAL_CONTEXT,
  MAX_MESSAGE_LENGTH,
  type Message,
  type UpdateContext,
} from '../wire/index.js';
import { Priority, type PriorityLevel, TxQueue } from './tx-queue.js';
import { UpdateDelayLine, type UpdateDelayRule } from './update-delay.js';

export interface ConnectionHandlers {
  message(m: Message, issues: readonly AttrIssue[]): void;
  /** A framing or decoding error: the NOTIFICATION to send is in the error. */
  error(e: BgpError): void;
  /** The socket is gone (peer closed, reset, or we closed it). */
  closed(reason: string): void;
  /** Every frame read (before decoding) and queued to send, for MRT and BMP; `frame` may be reused after the call. */
  raw?(direction: 'in' | 'out', frame: Uint8Array): void;
}

const priorityOf = (m: Message): PriorityLevel =>
  m.type === 'notification'
    ? Priority.NOTIFICATION
    : m.type === 'keepalive'
      ? Priority.KEEPALIVE
      : m.type === 'update'
        ? Priority.UPDATE
        : Priority.CONTROL;

/**
 * Octets read from one connection per event-loop turn before it pauses until the next turn. A peer
 * sending a full table would otherwise hand libuv's poll phase megabytes per turn (32 reads of 64 KiB
 * per stream) and hold timers, KEEPALIVEs to other peers included, for seconds (RFC 4271 §4.4).
 */
export const READ_BUDGET = 64 * 1024;

export class Connection {
  private readonly framer = new Framer(MAX_MESSAGE_LENGTH);
  private readonly tx: TxQueue;
  private ctx: UpdateContext = INITIAL_CONTEXT;
  private maxOut = MAX_MESSAGE_LENGTH;
  private done = false;
  /** Closed by us with its last message (a NOTIFICATION) on the way, until the socket is gone. */
  flushing = false;
  /** Octets read in this event-loop turn (see READ_BUDGET). */
  private readThisTurn = 0;
  /** Fault injection (src/core/faults.ts): reading stopped, outbound UPDATEs held back, a dead link. */
  private readPaused = false;
  private heldChunks: Buffer[] = [];
  private delay: UpdateDelayLine | null = null;
  private deadLinkMs = 0;

  constructor(
    readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    private readonly sent: (m: Message) => void,
    /** Told of pre-encoded UPDATEs queued with sendUpdates (they bypass `sent`). */
    private readonly sentUpdates: (messages: readonly Uint8Array[]) => void = () => {},
  ) {
    this.tx = new TxQueue(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.tx.flush());
    socket.on('error', (err) => this.finish(err.message));
    socket.on('close', () => this.finish('connection closed'));
    socket.on('end', () => this.finish('peer closed the connection'));
  }

  get remoteAddress(): string {
    return (this.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }

  get localAddress(): string {
    return (this.socket.localAddress ?? '').replace(/^::ffff:/, '');
  }

  /** The codec context in use (the negotiated one once Established). */
  get context(): UpdateContext {
    return this.ctx;
  }

  get outQueue(): number {
    return this.tx.pendingUpdates;
  }

  get inQueue(): number {
    return this.framer.buffered;
  }

  /** Switches decoding and the message size limit to the negotiated session (RFC 8654). */
  negotiated(ctx: UpdateContext, maxMessageLength: number): void {
    this.ctx = ctx;
    this.maxOut = maxMessageLength;
    this.framer.maxLength = maxMessageLength;
  }

  send(m: Message): void {
    if (this.done) return;
    this.out(encodeMessage(m, this.ctx, this.maxOut), priorityOf(m));
    this.sent(m);
  }

  /** Sends a message at UPDATE priority, behind the UPDATEs queued so far (End-of-RIB, EoRR). */
  sendAfterUpdates(m: Message): void {
    if (this.done) return;
    const bytes = encodeMessage(m, this.ctx, this.maxOut);
    if (this.delay) this.delay.push([bytes], true);
    else this.out(bytes, Priority.UPDATE);
    this.sent(m);
  }

  /** Queues pre-encoded UPDATEs (from the packer). */
  sendUpdates(messages: readonly Uint8Array[]): void {
    if (this.done) return;
    if (this.delay) {
      this.delay.push(messages);
      return;
    }
    for (const m of messages) this.out(m, Priority.UPDATE);
    this.sentUpdates(messages);
  }

  private out(frame: Uint8Array, priority: PriorityLevel): void {
    this.tx.enqueue(frame, priority);
    this.handlers.raw?.('out', frame);
  }

  // ---- fault injection hooks (src/core/faults.ts) ----

  /** `hold`: nothing more is written (KEEPALIVEs included); reading and our hold timer go on. */
  pauseSending(): void {
    this.tx.pauseSending();
  }

  resumeSending(): void {
    if (!this.done) this.tx.resumeSending();
  }

  /**
   * `blackhole`: neither reads nor writes, the TCP connection stays open (a dead link). If the
   * session ends meanwhile (our hold timer), the socket stays silent for `deadLinkMs`, so the peer
   * learns of it from its own hold timer, then goes.
   */
  blackhole(deadLinkMs: number): void {
    this.deadLinkMs = deadLinkMs;
    this.tx.pauseSending();
    this.readPaused = true;
    this.socket.pause();
  }

  /** The link is back: what arrived meanwhile is read, what queued is written. */
  endBlackhole(): void {
    if (this.done || !this.readPaused) return;
    this.readPaused = false;
    this.tx.resumeSending();
    this.socket.resume();
    const held = this.heldChunks;
    this.heldChunks = [];
    for (const c of held) this.onData(c);
  }

  /** `drop`: the TCP connection goes without a NOTIFICATION, as when a switch crashes. */
  abort(reason: string): void {
    this.finish(reason);
  }

  /** `delay-updates` / `delay-eor`: outbound UPDATEs held back by the rule; null releases them now. */
  setUpdateDelay(rule: UpdateDelayRule | null, clock: Clock): void {
    if (!rule) {
      const d = this.delay;
      this.delay = null;
      d?.flushAll();
      return;
    }
    if (this.delay) this.delay.setRule(rule);
    else
      this.delay = new UpdateDelayLine(
        rule,
        clock,
        (f) => this.isEndOfRib(f),
        (frames, uncounted) => {
          if (this.done) return;
          for (const f of frames) this.out(f, Priority.UPDATE);
          if (uncounted.length) this.sentUpdates(uncounted);
        },
      );
  }

  /** RFC 4724 §2: an UPDATE with nothing in it (IPv4: 23 octets), or with an empty MP_UNREACH_NLRI. */
  private isEndOfRib(frame: Uint8Array): boolean {
    if (frame[18] !== 2) return false;
    if (frame.length === 23) return true;
    if (frame.length > 40) return false;
    const m = this.decodeSent(frame);
    return m?.type === 'update' && endOfRibFamily(m) !== null;
  }

  /** Decodes a message this connection encoded (for packet tracing of pre-encoded UPDATEs). */
  decodeSent(frame: Uint8Array): Message | null {
    const r = decodeMessage(frame, this.ctx, this.maxOut);
    return r.ok ? r.message : null;
  }

  /** Flushes what is queued (a NOTIFICATION first) and closes the connection. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.delay?.cancel();
    if (this.readPaused) {
      this.socket.pause();
      // Blackholed: a dead link carries no NOTIFICATION and no FIN.
      this.tx.clear();
      const t = setTimeout(() => this.socket.destroy(), this.deadLinkMs).unref();
      this.socket.once('close', () => clearTimeout(t));
      return;
    }
    this.flushing = true;
    // Keep reading (and dropping) until the peer's FIN: closing with unread data would send RST,
    // which can discard the NOTIFICATION at the peer before it reads it.
    this.socket.resume();
    this.tx.flush();
    this.socket.end();
    // Give the NOTIFICATION time to leave, then make sure the socket is gone.
    const timer = setTimeout(() => this.socket.destroy(), 2000).unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    if (this.readPaused) {
      this.heldChunks.push(chunk);
      return;
    }
    this.framer.push(chunk);
    if (this.readThisTurn === 0) setImmediate(() => this.nextTurn());
    this.readThisTurn += chunk.length;
    if (this.readThisTurn >= READ_BUDGET) this.socket.pause();
    for (;;) {
      const frame = this.framer.next();
      if (frame === null) return;
      if (!(frame instanceof Uint8Array)) {
        this.handlers.error(frame);
        return;
      }
      this.handlers.raw?.('in', frame);
      const r = decodeMessage(frame, this.ctx, this.framer.maxLength);
      if (!r.ok) {
        this.handlers.error(r.error);
        return;
      }
      this.handlers.message(r.message, r.issues);
      if (this.done) return;
    }
  }

  /** A new turn: reading may go on (timers and other peers have had theirs). */
  private nextTurn(): void {
    const paused = this.readThisTurn >= READ_BUDGET;
    this.readThisTurn = 0;
    if (paused && !this.done && !this.readPaused) this.socket.resume();
  }

  /** The socket went away without our asking: report it once. */
  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.delay?.cancel();
    this.socket.destroy();
    this.handlers.closed(reason);
  }
}
