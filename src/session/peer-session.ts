/**
 * The driver of one peer: carries out the pure peer/FSM actions on real sockets and Clock timers,
 * turns socket input into FSM events, counts everything, and reports state to its owner.
 * The only module here that touches the network.
 */
import net from 'node:net';
import type { Clock, Timer } from '../util/clock.js';
import {
  type AttrIssue,
  CeaseSubcode,
  familyName,
  type Message,
  messageToJson,
  type NotificationMessage,
  type OpenMessage,
  type RouteRefreshMessage,
  type SessionParams,
  shutdownNotification,
  type UpdateMessage,
} from '../wire/index.js';
import { Connection } from './connection.js';
import { countNotification, newCounters, type PeerCounters } from './counters.js';
import type { FsmAction, FsmEvent, SessionState } from './fsm.js';
import { withHardReset } from './hard-reset.js';
import {
  type ConnectionSide,
  initialPeerState,
  type PeerAction,
  type PeerConfig,
  type PeerEvent,
  type PeerState,
  peerSessionState,
  stepPeer,
} from './peer.js';
import { connectPrepared, setTtl } from './socket-options.js';
import type { UpdateDelayRule } from './update-delay.js';

export interface PeerEndpoint {
  readonly address: string;
  readonly port: number;
  readonly localAddress?: string;
  /** IP TTL for the session's packets (eBGP: 1, or `ebgp-multihop`; GTSM: 255); the system default when absent. */
  readonly ttl?: number;
  /** GTSM (RFC 5082): the lowest TTL accepted from the peer (IP_MINTTL / IPV6_MINHOPCOUNT). */
  readonly minTtl?: number;
  /** TCP MD5 key (RFC 2385): set before connect() on outgoing connections; the listener holds it for incoming ones. */
  readonly password?: string;
}

export interface PeerHooks {
  established(peer: PeerSession, params: SessionParams): void;
  /** An Established session ended; `byNotification` when a NOTIFICATION was sent or received (no GR then). */
  down(
    peer: PeerSession,
    reason: string,
    byNotification: boolean,
    notification?: NotificationMessage | null,
  ): void;
  update(peer: PeerSession, m: UpdateMessage, issues: readonly AttrIssue[]): void;
  routeRefresh(peer: PeerSession, m: RouteRefreshMessage): void;
  stateChange(peer: PeerSession, from: SessionState, to: SessionState): void;
  /** Every frame read or queued on a connection of the peer (MRT, BMP); `frame` may be reused after the call. */
  wire?(peer: PeerSession, direction: 'in' | 'out', frame: Uint8Array, conn: Connection): void;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface PeerDeps {
  readonly clock: Clock;
  /** Wall-clock milliseconds, for counters shown to users. */
  readonly wallClock: () => number;
  /** Uniform [0, 1) for RFC 4271 §10 jitter. */
  readonly random: () => number;
  readonly log: Logger;
  readonly hooks: PeerHooks;
  /** False holds a start back until resume() (BFD configured and not Up, src/core/bfd-link.ts). */
  readonly mayStart?: (address: string) => boolean;
}

export class PeerSession {
  private state: PeerState = initialPeerState;
  private readonly conns: Partial<Record<ConnectionSide, Connection>> = {};
  private readonly timers = new Map<string, Timer>();
  readonly counters: PeerCounters = newCounters();
  private lastState: SessionState = 'Idle';
  private establishedSide: ConnectionSide | null = null;
  /** Connections closed by us and still flushing their last message (destroy() ends them). */
  private readonly closing = new Set<Connection>();
  /** Counts connect requests; a deferred one goes out only if still the latest (see connect). */
  private connectAttempt = 0;
  /** Set when a NOTIFICATION was sent or received while handling the current event. */
  private notified = false;
  /** The last NOTIFICATION sent or received (what `notified` refers to; RFC 8538 tells Hard Reset apart). */
  private lastNotification: NotificationMessage | null = null;
  /** Set while a fault's NOTIFICATION goes out as given. */
  private exactNotification = false;
  /** The side whose Established session negotiated the N bit both ways (RFC 8538 §2), until it goes down. */
  private establishedN: ConnectionSide | null = null;
  /** Packet tracing: every message sent and received logged at info as its JSON form (off by default). */
  trace = false;
  /** Fault injection: UPDATEs held back on this and later connections until cleared. */
  private updateDelay: UpdateDelayRule | null = null;
  /** start() asked for and no stop since (a start held by deps.mayStart waits for resume()). */
  private wanted = false;

  constructor(
    readonly endpoint: PeerEndpoint,
    private cfg: PeerConfig,
    private readonly deps: PeerDeps,
  ) {}

  get config(): PeerConfig {
    return this.cfg;
  }

  get sessionState(): SessionState {
    return peerSessionState(this.state);
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  /** Negotiated parameters of the Established connection. */
  get params(): SessionParams | undefined {
    return this.establishedSide ? this.fsm(this.establishedSide)?.params : undefined;
  }

  get remoteOpen(): OpenMessage | undefined {
    return this.establishedSide ? this.fsm(this.establishedSide)?.remoteOpen : undefined;
  }

  /** The Established connection, for sending UPDATEs. */
  get connection(): Connection | undefined {
    return this.establishedSide ? this.conns[this.establishedSide] : undefined;
  }

  start(): void {
    this.wanted = true;
    if (this.deps.mayStart?.(this.endpoint.address) === false) return;
    this.dispatch({ type: 'Start' });
  }

  /** A start held back by deps.mayStart goes ahead now (BFD came Up). */
  resume(): void {
    if (this.wanted && !this.enabled) this.start();
  }

  /** Down at once with this NOTIFICATION (BFD Down, RFC 9384 Cease 6/10), still wanted: start() or resume() brings it back. */
  interrupt(notification: NotificationMessage): void {
    this.stopWith(notification);
    this.wanted = true;
  }

  /** Administrative shutdown with an RFC 8203 message. */
  stop(message = '', subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN): void {
    this.stopWith(shutdownNotification(subcode, message));
  }

  /** Stops the peer sending this NOTIFICATION on every live connection (e.g. Cease 6/1). */
  stopWith(notification: NotificationMessage): void {
    this.wanted = false;
    this.notified = false;
    this.dispatch({ type: 'Stop', event: { type: 'ManualStop', notification } });
  }

  /** Administrative reset: Cease/Administrative Reset, then start again. */
  reset(message = ''): void {
    this.stop(message, CeaseSubcode.ADMINISTRATIVE_RESET);
    this.start();
  }

  /** Replaces the configuration (takes effect on the next connection). */
  reconfigure(cfg: PeerConfig): void {
    this.cfg = cfg;
  }

  /** A TCP connection the peer opened to us. */
  accept(socket: net.Socket): void {
    if (this.conns.in) {
      socket.destroy();
      return;
    }
    this.applyTtl(socket);
    this.conns.in = this.wrap(socket, 'in');
    if (this.updateDelay) this.conns.in.setUpdateDelay(this.updateDelay, this.deps.clock);
    this.dispatch({ type: 'Incoming' });
  }

  send(m: Message): void {
    this.connection?.send(m);
  }

  /** Fault `delay-updates` / `delay-eor`: applies to every connection from now on; null ends it. */
  setUpdateDelay(rule: UpdateDelayRule | null): void {
    this.updateDelay = rule;
    for (const c of Object.values(this.conns)) c?.setUpdateDelay(rule, this.deps.clock);
  }

  /**
   * Fault `cease`: this NOTIFICATION on the session, then start again as reset() does (`restart`
   * false: the fault's end starts it). With Cease 6/9 only where RFC 8538 §5 applies: the N bit
   * sent and received (see hardResetNegotiated).
   */
  ceaseAndRestart(notification: NotificationMessage, restart = true): void {
    // A fault sends exactly the NOTIFICATION asked for (no Hard Reset encapsulation).
    this.exactNotification = true;
    try {
      this.stopWith(notification);
    } finally {
      this.exactNotification = false;
    }
    if (restart) this.start();
  }

  /** RFC 8538 §2: which OPENs of the session carried the graceful-restart capability with the N bit. */
  hardResetBits(): { readonly local: boolean; readonly peer: boolean } {
    const local = this.cfg.localOpen.capabilities.find((c) => c.kind === 'graceful-restart');
    return { local: !!local?.notification, peer: !!this.params?.peerGracefulRestart?.notification };
  }

  /** RFC 8538 §2: both OPENs carried the graceful-restart capability with the N bit. */
  hardResetNegotiated(): boolean {
    const b = this.hardResetBits();
    return b.local && b.peer;
  }

  private fsm(side: ConnectionSide) {
    return side === 'out' ? this.state.out : (this.state.in ?? undefined);
  }

  private dispatch(e: PeerEvent): void {
    const r = stepPeer(this.state, e, this.cfg);
    this.state = r.state;
    for (const a of r.actions) this.execute(a);
    const now = this.sessionState;
    if (now !== this.lastState) {
      const from = this.lastState;
      this.lastState = now;
      this.deps.hooks.stateChange(this, from, now);
    }
  }

  private connEvent(side: ConnectionSide, event: FsmEvent): void {
    this.dispatch({ type: 'Connection', conn: side, event });
  }

  private execute(pa: PeerAction): void {
    if (pa.conn === 'peer') {
      this.clearTimer('peer:idleHold');
      if (pa.action.type === 'startIdleHold') {
        this.setTimer('peer:idleHold', pa.action.seconds, () =>
          this.dispatch({ type: 'IdleHoldTimerExpires' }),
        );
      }
      return;
    }
    this.executeConn(pa.conn, pa.action);
  }

  private executeConn(side: ConnectionSide, a: FsmAction): void {
    switch (a.type) {
      case 'connect':
        this.connect();
        return;
      case 'send': {
        const c = this.conns[side];
        if (!c) return;
        // RFC 8538 §3: with the N bit exchanged, a NOTIFICATION that ends the session for good goes as Hard Reset.
        const m = a.message;
        const hard = m.type === 'notification' && !this.exactNotification && this.establishedN === side;
        c.send(hard ? withHardReset(m) : m);
        return;
      }
      case 'close': {
        if (side === 'out') this.connectAttempt++;
        const c = this.conns[side];
        delete this.conns[side];
        if (this.establishedSide === side) this.establishedSide = null;
        c?.close();
        if (c && !c.socket.destroyed) {
          this.closing.add(c);
          c.socket.once('close', () => this.closing.delete(c));
        }
        return;
      }
      case 'startTimer': {
        const seconds = a.jitter ? a.seconds * jitterFactor(a.timer, this.deps.random()) : a.seconds;
        this.setTimer(`${side}:${a.timer}`, seconds, () => this.connEvent(side, timerEvent[a.timer]));
        return;
      }
      case 'stopTimer':
        this.clearTimer(`${side}:${a.timer}`);
        return;
      case 'established': {
        this.establishedSide = side;
        this.establishedN =
          a.params.peerGracefulRestart?.notification &&
          this.cfg.localOpen.capabilities.some((c) => c.kind === 'graceful-restart' && c.notification)
            ? side
            : null;
        this.conns[side]?.negotiated(a.params, a.params.maxMessageLength);
        this.counters.establishedTransitions++;
        this.counters.lastTransitionAt = this.deps.wallClock();
        this.deps.log.info(
          { peer: this.endpoint.address, side, params: summary(a.params) },
          'session established',
        );
        this.deps.hooks.established(this, a.params);
        return;
      }
      case 'down':
        if (a.wasEstablished) {
          this.counters.lastTransitionAt = this.deps.wallClock();
          this.establishedSide = null;
          this.establishedN = null;
        }
        if (!this.notified)
          this.counters.lastError = { direction: 'local', reason: a.reason, at: this.deps.wallClock() };
        this.deps.log.info(
          { peer: this.endpoint.address, side, reason: a.reason },
          a.wasEstablished ? 'session down' : 'connection down',
        );
        if (a.wasEstablished)
          this.deps.hooks.down(this, a.reason, this.notified, this.notified ? this.lastNotification : null);
        return;
    }
  }

  /**
   * RFC 4724 §4: a peer that sees our new connection before it has read the NOTIFICATION on the
   * old one takes it for a restart and keeps our routes stale (FRR: "NSF peer closed the session"),
   * which defeats a Hard Reset. The next connection goes out once the old ones are closed (≤ 2 s).
   */
  private connect(): void {
    this.conns.out?.close();
    const attempt = ++this.connectAttempt;
    const flushing = [...this.closing].filter((c) => c.flushing && !c.socket.destroyed);
    let left = flushing.length;
    if (left === 0) {
      this.openOut();
      return;
    }
    for (const c of flushing)
      c.socket.once('close', () => {
        if (--left === 0 && attempt === this.connectAttempt) this.openOut();
      });
  }

  private openOut(): void {
    const socket = this.openSocket();
    const conn = this.wrap(socket, 'out');
    this.conns.out = conn;
    if (this.updateDelay) conn.setUpdateDelay(this.updateDelay, this.deps.clock);
    socket.once('connect', () => {
      if (this.endpoint.minTtl === undefined) this.applyTtl(socket);
      if (this.conns.out === conn) this.connEvent('out', { type: 'TcpConnected' });
    });
  }

  /**
   * A connecting socket: with a TCP MD5 key or GTSM the options must be on it before the SYN
   * (connectPrepared); otherwise net.connect and the TTL once connected. When the options cannot be
   * set the attempt fails like a refused connection, never goes out without them.
   */
  private openSocket(): net.Socket {
    const { address, port, localAddress, password, ttl, minTtl } = this.endpoint;
    if (password === undefined && minTtl === undefined)
      return net.connect({ host: address, port, ...(localAddress && { localAddress }) });
    try {
      return connectPrepared({
        address,
        port,
        ...(localAddress && { localAddress }),
        ...(password !== undefined && { password }),
        ...(ttl !== undefined && { ttl }),
        ...(minTtl !== undefined && { minTtl }),
      });
    } catch (e) {
      this.deps.log.warn({ peer: address, err: (e as Error).message }, 'cannot prepare the connection');
      const failed = new net.Socket();
      setImmediate(() => failed.destroy(e as Error));
      return failed;
    }
  }

  private traceMessage(direction: 'sent' | 'received', m: Message): void {
    this.deps.log.info(
      { peer: this.endpoint.address, direction, message: messageToJson(m) },
      `message ${direction}`,
    );
  }

  private applyTtl(socket: net.Socket): void {
    if (this.endpoint.ttl === undefined) return;
    const err = setTtl(socket, this.endpoint.ttl, this.endpoint.minTtl);
    if (err)
      this.deps.log.warn({ peer: this.endpoint.address, ttl: this.endpoint.ttl, err }, 'cannot set TTL');
  }

  private wrap(socket: net.Socket, side: ConnectionSide): Connection {
    const wire = this.deps.hooks.wire;
    const conn: Connection = new Connection(
      socket,
      {
        ...(wire && { raw: (direction, frame) => wire(this, direction, frame, conn) }),
        message: (m, issues) => {
          if (this.conns[side] !== conn) return;
          this.notified = false;
          this.counters.messagesIn[m.type]++;
          if (this.trace) this.traceMessage('received', m);
          this.onMessage(side, m, issues);
        },
        error: (e) => {
          if (this.conns[side] !== conn) return;
          this.notified = false;
          this.deps.log.warn(
            { peer: this.endpoint.address, code: e.code, subcode: e.subcode, reason: e.message },
            'bad message from peer',
          );
          this.connEvent(side, { type: 'BgpMessageErr', error: e });
        },
        closed: (reason) => {
          if (this.conns[side] !== conn) return;
          this.notified = false;
          delete this.conns[side];
          this.connEvent(side, { type: 'TcpConnectionFails' });
          this.deps.log.debug({ peer: this.endpoint.address, side, reason }, 'tcp closed');
        },
      },
      (m) => {
        this.counters.messagesOut[m.type]++;
        if (this.trace) this.traceMessage('sent', m);
        if (m.type === 'notification') {
          countNotification(this.counters, m, 'sent', this.deps.wallClock());
          this.notified = true;
          this.lastNotification = m;
        }
      },
      (frames) => {
        this.counters.messagesOut.update += frames.length;
        if (!this.trace) return;
        for (const f of frames) {
          const m = conn.decodeSent(f);
          if (m) this.traceMessage('sent', m);
        }
      },
    );
    return conn;
  }

  private onMessage(side: ConnectionSide, m: Message, issues: readonly AttrIssue[]): void {
    switch (m.type) {
      case 'open':
        this.connEvent(side, { type: 'BgpOpen', open: m });
        return;
      case 'keepalive':
        this.connEvent(side, { type: 'KeepAliveMsg' });
        return;
      case 'notification':
        this.receivedNotification(m);
        this.connEvent(side, { type: 'NotifMsg', notification: m });
        return;
      case 'update':
        this.connEvent(side, { type: 'UpdateMsg' });
        for (const i of issues) {
          const key = ['none', 'attribute-discard', 'treat-as-withdraw'][i.action] ?? 'other';
          this.counters.updateIssues[key] = (this.counters.updateIssues[key] ?? 0) + 1;
        }
        if (issues.length)
          this.deps.log.warn(
            { peer: this.endpoint.address, issues: issues.map((i) => i.reason) },
            'UPDATE errors (RFC 7606)',
          );
        if (this.establishedSide === side) this.deps.hooks.update(this, m, issues);
        return;
      case 'route-refresh':
        this.connEvent(side, { type: 'RouteRefreshMsg' });
        if (this.establishedSide === side) this.deps.hooks.routeRefresh(this, m);
        return;
    }
  }

  private receivedNotification(n: NotificationMessage): void {
    countNotification(this.counters, n, 'received', this.deps.wallClock());
    this.notified = true;
    this.lastNotification = n;
    this.deps.log.warn({ peer: this.endpoint.address, ...this.counters.lastError }, 'NOTIFICATION received');
  }

  private setTimer(key: string, seconds: number, fire: () => void): void {
    this.clearTimer(key);
    this.timers.set(
      key,
      this.deps.clock.setTimer(seconds * 1000, () => {
        this.timers.delete(key);
        this.notified = false;
        fire();
      }),
    );
  }

  private clearTimer(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  /** Stops everything and releases sockets and timers without sending anything (process exit). */
  destroy(): void {
    this.connectAttempt++;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const c of [...Object.values(this.conns), ...this.closing]) c?.socket.destroy();
    this.closing.clear();
  }
}

const timerEvent = {
  connectRetry: { type: 'ConnectRetryTimerExpires' },
  hold: { type: 'HoldTimerExpires' },
  keepalive: { type: 'KeepaliveTimerExpires' },
  delayOpen: { type: 'DelayOpenTimerExpires' },
} as const satisfies Record<string, FsmEvent>;

function summary(p: SessionParams) {
  return {
    holdTime: p.holdTime,
    fourOctetAs: p.fourOctetAs,
    families: p.families.map(familyName),
    addPathRx: [...p.addPathRx].map(familyName),
    addPathTx: [...p.addPathTx].map(familyName),
  };
}

/**
 * RFC 4271 §10 jitter: a factor in 0.75–1.0. For KEEPALIVE the interval is the longest gap the peer
 * should see (§4.4: hold/3 "a reasonable maximum"), so the factor stays in 0.75–0.8: a fifth of the
 * interval is left for a busy event loop or a descheduled process (measured up to ~150 ms on 2 vCPUs).
 */
export function jitterFactor(timer: string, random: number): number {
  return timer === 'keepalive' ? 0.75 + 0.05 * random : 0.75 + 0.25 * random;
}
