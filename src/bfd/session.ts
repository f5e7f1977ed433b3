/**
 * One BFD session: the pure state machine (state-machine.ts) with its two timers on the speaker's
 * Clock, the periodic transmission with jitter (RFC 5880 §6.8.7) and the detection timer (§6.8.4).
 * It does not demultiplex or touch sockets: the manager hands it packets and a send function.
 */
import type { Clock, Timer } from '../util/clock.js';
import { BfdState, type BfdStateValue, type ControlPacket } from './packet.js';
import {
  type BfdTimers,
  type BfdVars,
  detectionExpired,
  detectionTime,
  initialVars,
  jittered,
  outgoing,
  receive,
  setAdminDown,
  setTimers,
  type Transition,
  transmitInterval,
} from './state-machine.js';

export interface BfdSessionDeps {
  readonly clock: Clock;
  /** Uniform in [0, 1): the jitter source. */
  readonly random: () => number;
  readonly send: (p: ControlPacket) => void;
  readonly changed: (t: Transition) => void;
  /**
   * Reads what the sockets hold now. The detection timer calls it before declaring the session
   * down: after a long busy turn of the event loop, a packet that came in meanwhile is still
   * queued behind the timer (libuv runs timers before I/O) and must count.
   */
  readonly drain?: () => void;
}

export class BfdSession {
  private v: BfdVars;
  private txTimer: Timer | null = null;
  private txDue = 0;
  private detectTimer: Timer | null = null;
  private running = false;
  /** Clock time of the last state change. */
  since: number;
  /** The Transition that last took the session down (diag says why). */
  lastDown: Transition | null = null;
  readonly counters = { sent: 0, received: 0, transitions: 0 };

  constructor(
    configured: BfdTimers,
    localDiscr: number,
    private readonly deps: BfdSessionDeps,
    adminDown = false,
  ) {
    this.v = initialVars(configured, localDiscr, adminDown);
    this.since = deps.clock.now();
  }

  get vars(): BfdVars {
    return this.v;
  }

  get state(): BfdStateValue {
    return this.v.state;
  }

  /** Periodic transmission starts (§6.8.7: an Active system sends from the start). */
  start(): void {
    this.running = true;
    this.scheduleTx(0);
  }

  /** Timers cancelled; nothing more is sent. */
  stop(): void {
    this.running = false;
    this.txTimer?.cancel();
    this.detectTimer?.cancel();
    this.txTimer = this.detectTimer = null;
  }

  receive(p: ControlPacket): void {
    if (!this.running) return;
    this.counters.received++;
    const r = receive(this.v, p);
    this.apply(r.vars, r.transition);
    if (r.sendFinal) this.transmit(true);
    if (r.accepted) this.armDetection();
  }

  setAdminDown(down: boolean): void {
    const r = setAdminDown(this.v, down);
    this.apply(r.vars, r.transition);
    if (down) {
      this.detectTimer?.cancel();
      this.detectTimer = null;
    }
    // The remote learns of AdminDown from the next packet; send it now rather than in a second.
    if (r.transition && this.running) this.transmit(false);
  }

  setTimers(t: BfdTimers): void {
    this.apply(setTimers(this.v, t), null);
  }

  private apply(vars: BfdVars, t: Transition | null): void {
    const before = transmitInterval(this.v);
    this.v = vars;
    if (t) {
      this.since = this.deps.clock.now();
      this.counters.transitions++;
      if (t.to === BfdState.Down || t.to === BfdState.AdminDown) this.lastDown = t;
      this.deps.changed(t);
    }
    const after = transmitInterval(this.v);
    if (!this.running) return;
    // A shorter interval (Up reached, remote asks for more) applies now, not after the slow one.
    if (after !== null && (before === null || after < before)) {
      const wait = Math.max(0, this.txDue - this.deps.clock.now());
      if (wait > after / 1000)
        this.scheduleTx(jittered(after, this.v.configured.detectMult, this.deps.random()) / 1000);
    } else if (after !== null && this.txTimer === null) {
      this.scheduleTx(0);
    }
  }

  private transmit(final: boolean): void {
    this.counters.sent++;
    this.deps.send(outgoing(this.v, final));
  }

  private scheduleTx(ms: number): void {
    this.txTimer?.cancel();
    this.txDue = this.deps.clock.now() + ms;
    this.txTimer = this.deps.clock.setTimer(ms, () => {
      this.txTimer = null;
      // §6.8.7: no periodic packets when bfd.RemoteMinRxInterval is zero.
      const interval = transmitInterval(this.v);
      if (interval === null) return;
      this.transmit(false);
      this.scheduleTx(jittered(interval, this.v.configured.detectMult, this.deps.random()) / 1000);
    });
  }

  private armDetection(): void {
    this.detectTimer?.cancel();
    const ms = detectionTime(this.v) / 1000;
    this.detectTimer = this.deps.clock.setTimer(ms, () => {
      this.detectTimer = null;
      this.deps.drain?.();
      // A packet read just now restarted the timer.
      if (this.detectTimer) return;
      const r = detectionExpired(this.v);
      this.apply(r.vars, r.transition);
    });
  }
}
