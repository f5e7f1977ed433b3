/**
 * One BMP monitoring station (RFC 7854 §3.2: the router opens the TCP connection): connects,
 * reconnects with exponential backoff on the Clock, and sends without ever waiting. What the socket
 * has not taken is bounded by `buffer-size`; beyond it messages are dropped and counted, and the
 * connection is restarted so the station gets a full resynchronisation instead of a gap.
 * It does not build messages (feed.ts does) and never blocks the speaker.
 */
import net from 'node:net';
import type { Logger } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import { hostPort } from '../util/start-error.js';

/** What a BMP station reports (API, metrics). */
export interface BmpStationView {
  readonly address: string;
  readonly port: number;
  readonly state: 'connecting' | 'up' | 'waiting';
  readonly messages: number;
  readonly bytes: number;
  readonly dropped: number;
  readonly connects: number;
  readonly queuedBytes: number;
  readonly lastError?: string;
}

export interface StationSettings {
  readonly address: string;
  readonly port: number;
  readonly 'buffer-size': number;
}

/** What the station needs of a socket (net.Socket; a fake in tests). */
export interface StationSocket {
  write(data: Uint8Array): boolean;
  readonly writableLength: number;
  destroy(): void;
  end(cb?: () => void): void;
  on(event: 'connect' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  on(event: 'data', fn: (b: Buffer) => void): unknown;
}

export interface StationDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly connect?: (port: number, host: string) => StationSocket;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class BmpStation {
  private socket: StationSocket | null = null;
  private up = false;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private timer: Timer | undefined;
  private lastError: string | undefined;
  private readonly counts = { messages: 0, bytes: 0, dropped: 0, connects: 0 };
  private readonly where: string;

  constructor(
    readonly settings: StationSettings,
    private readonly deps: StationDeps,
    /** Called on each new connection: send the initiation and the initial dump. */
    private readonly onUp: (station: BmpStation) => void,
  ) {
    this.where = hostPort(settings.address, settings.port);
  }

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const open = this.deps.connect ?? ((port, host) => net.connect({ port, host }));
    const s = open(this.settings.port, this.settings.address);
    this.socket = s;
    this.timer = this.deps.clock.setTimer(CONNECT_TIMEOUT_MS, () => this.failed(s, 'connect timed out'));
    s.on('connect', () => {
      if (this.socket !== s) return;
      this.timer?.cancel();
      this.up = true;
      this.retryMs = FIRST_RETRY_MS;
      this.counts.connects++;
      this.lastError = undefined;
      this.deps.log.info({ station: this.where }, 'BMP station connected');
      this.onUp(this);
    });
    // A station sends nothing (RFC 7854 §3.2); whatever it sends is ignored.
    s.on('data', () => {});
    s.on('error', (e) => this.failed(s, (e as NodeJS.ErrnoException).code ?? e.message));
    s.on('close', () => this.failed(s, 'connection closed'));
  }

  /** The connection is gone: try again after the backoff (doubling up to 30 s). */
  private failed(s: StationSocket, why: string): void {
    if (this.socket !== s) return;
    this.timer?.cancel();
    this.socket = null;
    const wasUp = this.up;
    this.up = false;
    s.destroy();
    if (this.stopped) return;
    if (wasUp || this.lastError !== why)
      this.deps.log.warn(
        { station: this.where, err: why, retryInSeconds: this.retryMs / 1000 },
        wasUp ? 'BMP station lost' : 'BMP station unreachable',
      );
    this.lastError = why;
    this.timer = this.deps.clock.setTimer(this.retryMs, () => this.connect());
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }

  /**
   * Queues a message; false when it was not (no connection: the next one resynchronises; or the
   * buffer is full: dropped, counted, and the connection restarted for a full resynchronisation).
   */
  send(msg: Uint8Array): boolean {
    const s = this.socket;
    if (!s || !this.up) return false;
    if (s.writableLength + msg.length > this.settings['buffer-size']) {
      this.counts.dropped++;
      this.failed(s, `station too slow: more than ${this.settings['buffer-size']} octets queued`);
      return false;
    }
    s.write(msg);
    this.counts.messages++;
    this.counts.bytes += msg.length;
    return true;
  }

  /** Sends `last` (the termination message) when connected, then closes; no reconnection after. */
  async stop(last?: Uint8Array): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    const s = this.socket;
    this.socket = null;
    if (!s) return;
    if (this.up && last) s.write(last);
    this.up = false;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      s.end(() => {
        clearTimeout(t);
        resolve();
      });
    });
    s.destroy();
  }

  status(): BmpStationView {
    return {
      address: this.settings.address,
      port: this.settings.port,
      state: this.up ? 'up' : this.socket ? 'connecting' : 'waiting',
      ...this.counts,
      queuedBytes: this.socket?.writableLength ?? 0,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }
}
