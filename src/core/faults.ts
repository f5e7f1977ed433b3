/**
 * Faults on command (issue 15 §2): the registry of faults asked for one neighbor's session (or the
 * FIB), each started after `after` and ended after `for` by Clock timers, announced at start and end.
 * The mechanics live where they act: the session's socket hooks (src/session/connection.ts), the
 * export (withdraw-all blocks it), the FIB (fib-freeze). Ending a fault restores what it changed.
 * Lifetime: drop and cease act once, and with `for` keep the neighbor down that long (a switch that
 * takes that long to come back); reannounce acts once; hold and blackhole act on the session up when
 * they start and end with it; delay-updates, delay-eor, withdraw-all and fib-freeze hold until `for`
 * (or cancel), across session restarts.
 */
import type { CompiledPolicy } from '../policy/index.js';
import type { UpdateDelayRule } from '../session/update-delay.js';
import type { Clock, Timer } from '../util/clock.js';
import { CeaseSubcode, ErrorCode, type NotificationMessage, shutdownNotification } from '../wire/index.js';

export const FAULT_KINDS = [
  'drop',
  'cease',
  'hold',
  'blackhole',
  'delay-updates',
  'delay-eor',
  'withdraw-all',
  'reannounce',
  'fib-freeze',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Announced on the Speaker's `fault` event at start and end. */
export interface FaultEvent {
  readonly id: number;
  readonly neighbor: string;
  readonly kind: FaultKind;
  readonly phase: 'start' | 'end';
  readonly detail?: string;
}

/** As the API and CLI take it: durations as "500ms", "10s", "1m", "1h" or milliseconds. */
export interface FaultSpec {
  readonly kind: string;
  readonly for?: string | number;
  readonly after?: string | number;
  /** cease: the Cease subcode (RFC 4486; default 4, Administrative Reset). */
  readonly subcode?: number;
  /** delay-updates / delay-eor: how long each UPDATE (End-of-RIB) is held back. */
  readonly delay?: string | number;
}

export interface FaultView {
  readonly id: number;
  readonly neighbor: string;
  readonly kind: FaultKind;
  readonly state: 'pending' | 'active' | 'ended';
  /** Wall-clock ISO times; endsAt null: until cancelled (or, for hold/blackhole, the session ends). */
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly subcode?: number;
  readonly delayMs?: number;
}

export interface FaultHandle extends FaultView {
  /** Ends the fault now (or forgets it before it started); false when it is already over. */
  cancel(): boolean;
}

/** Bad input (400), unknown neighbor (404), or a fault that cannot act now (409). */
export class FaultError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

/** The part of a connection a fault acts on (src/session/connection.ts). */
export interface FaultConnection {
  pauseSending(): void;
  resumeSending(): void;
  blackhole(deadLinkMs: number): void;
  endBlackhole(): void;
  abort(reason: string): void;
}

/** The part of a neighbor's session a fault acts on (src/session/peer-session.ts). */
export interface FaultPeer {
  readonly sessionState: string;
  readonly params: { readonly holdTime: number } | undefined;
  readonly connection: FaultConnection | undefined;
  /** This NOTIFICATION as it is, then start again (`restart` false: the fault's end starts it). */
  ceaseAndRestart(n: NotificationMessage, restart?: boolean): void;
  /** Stops the neighbor (the NOTIFICATION goes on live connections only). */
  stopWith(n: NotificationMessage): void;
  start(): void;
  hardResetBits(): { readonly local: boolean; readonly peer: boolean };
  setUpdateDelay(rule: UpdateDelayRule | null): void;
}

export interface FaultPorts {
  readonly clock: Clock;
  /** Wall-clock milliseconds for startsAt/endsAt (default Date.now). */
  readonly wallClock?: () => number;
  /** The neighbor's session; undefined for an unknown neighbor. */
  peer(address: string): FaultPeer | undefined;
  /** Computes the neighbor's export again (blocksExport() tells whether withdraw-all empties it). */
  applyExport(address: string): void;
  /** Sends the neighbor its whole Adj-RIB-Out again; false when the session is not up. */
  reannounce(address: string): boolean;
  /** There is a kernel FIB (fib: true, started). */
  hasFib(): boolean;
  /** Freezes (true) or thaws the FIB; false when there is none (fib: false). */
  freezeFib(frozen: boolean): boolean;
  emit(e: FaultEvent): void;
}

/** withdraw-all: the export policy that passes nothing (the peer's table is withdrawn). */
export const WITHDRAW_ALL_POLICY: CompiledPolicy = Object.freeze({
  name: 'fault: withdraw-all',
  defaultAction: 'reject',
  terms: [],
  readsPrefix: false,
  readsPeer: false,
});

/** The neighbor name of faults that are not a session's (`POST /api/faults`, fib-freeze). */
export const ANY_NEIGHBOR = '*';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "1.5s", "10s", "1m", "1h", or a number of milliseconds → ms; throws FaultError. */
export function parseDuration(v: string | number, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new FaultError(`${what} must be a duration ≥ 0, not ${v}`, 400);
    return v;
  }
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) throw new FaultError(`${what}: '${v}' is not a duration (like 500ms, 10s, 1m)`, 400);
  const n = Number(m[1]) * UNITS[m[2] ?? 'ms'];
  if (n < 0) throw new FaultError(`${what} must not be negative ('${v}')`, 400);
  return Math.round(n);
}

/** Kinds that act on the session up when they start (it must be Established). */
const NEEDS_SESSION: ReadonlySet<FaultKind> = new Set(['drop', 'cease', 'hold', 'blackhole']);
/** Kinds that act once; drop and cease with `for` keep the neighbor down that long. */
const ONCE: ReadonlySet<FaultKind> = new Set(['drop', 'cease', 'reannounce']);
const DOWN_FOR: ReadonlySet<FaultKind> = new Set(['drop', 'cease']);
const oneShot = (f: { kind: FaultKind; forMs: number | undefined }) =>
  ONCE.has(f.kind) && !(DOWN_FOR.has(f.kind) && f.forMs !== undefined);

interface Fault {
  readonly id: number;
  readonly neighbor: string;
  readonly kind: FaultKind;
  readonly forMs: number | undefined;
  readonly subcode?: number;
  readonly delayMs?: number;
  state: 'pending' | 'active' | 'over';
  startsAt: number;
  timer: Timer | null;
  /** hold/blackhole: the connection it acts on. */
  conn?: FaultConnection;
}

export class FaultRegistry {
  private readonly faults = new Map<number, Fault>();
  private nextId = 1;
  private readonly wall: () => number;

  constructor(private readonly ports: FaultPorts) {
    this.wall = ports.wallClock ?? Date.now;
  }

  /** Validates and schedules a fault; throws FaultError (status 400, 404 or 409). */
  start(neighbor: string, spec: FaultSpec): FaultHandle {
    const kind = spec.kind as FaultKind;
    if (!FAULT_KINDS.includes(kind))
      throw new FaultError(`unknown fault kind '${spec.kind}'; one of: ${FAULT_KINDS.join(', ')}`, 400);
    if (neighbor === ANY_NEIGHBOR ? kind !== 'fib-freeze' : !this.ports.peer(neighbor))
      throw new FaultError(
        neighbor === ANY_NEIGHBOR ? `${kind} needs a neighbor address` : `no neighbor ${neighbor}`,
        neighbor === ANY_NEIGHBOR ? 400 : 404,
      );
    const afterMs = spec.after === undefined ? 0 : parseDuration(spec.after, 'after');
    const forMs = spec.for === undefined ? undefined : parseDuration(spec.for, 'for');
    if (forMs !== undefined && kind === 'reannounce')
      throw new FaultError(`reannounce acts once: 'for' does not apply to it`, 400);
    const isDelay = kind === 'delay-updates' || kind === 'delay-eor';
    if (isDelay && spec.delay === undefined)
      throw new FaultError(
        `${kind} needs a delay (how long each ${kind === 'delay-eor' ? 'End-of-RIB' : 'UPDATE'} is held back)`,
        400,
      );
    if (!isDelay && spec.delay !== undefined)
      throw new FaultError(`'delay' applies to delay-updates and delay-eor only, not ${kind}`, 400);
    if (kind !== 'cease' && spec.subcode !== undefined)
      throw new FaultError(`'subcode' applies to cease only, not ${kind}`, 400);
    const subcode = kind === 'cease' ? (spec.subcode ?? CeaseSubcode.ADMINISTRATIVE_RESET) : undefined;
    if (subcode !== undefined && (!Number.isInteger(subcode) || subcode < 1 || subcode > 10))
      throw new FaultError(
        `cease subcode must be 1–10 (RFC 4486, RFC 8538, RFC 9384), not ${spec.subcode}`,
        400,
      );
    const f: Fault = {
      id: this.nextId,
      neighbor,
      kind,
      forMs,
      ...(subcode !== undefined && { subcode }),
      ...(isDelay && { delayMs: parseDuration(spec.delay!, 'delay') }),
      state: 'pending',
      startsAt: this.ports.clock.now() + afterMs,
      timer: null,
    };
    // What can be checked now is refused now rather than failing later unseen.
    const problem = this.precondition(f, afterMs === 0);
    if (problem) throw new FaultError(problem, 409);
    this.nextId++;
    this.faults.set(f.id, f);
    if (afterMs > 0) f.timer = this.ports.clock.setTimer(afterMs, () => this.activate(f));
    else this.activate(f);
    return this.handle(f);
  }

  /** Active and pending faults, of one neighbor or all. */
  list(neighbor?: string): FaultView[] {
    return [...this.faults.values()]
      .filter((f) => neighbor === undefined || f.neighbor === neighbor)
      .map((f) => this.view(f));
  }

  /** Ends fault `id` (of `neighbor`, when given) now; false when there is no such fault. */
  cancel(id: number, neighbor?: string): boolean {
    const f = this.faults.get(id);
    if (!f || (neighbor !== undefined && f.neighbor !== neighbor)) return false;
    this.end(f, 'cancelled');
    return true;
  }

  /** withdraw-all holds the neighbor's export empty (the composition root asks when it builds the export). */
  blocksExport(neighbor: string): boolean {
    for (const f of this.faults.values())
      if (f.kind === 'withdraw-all' && f.state === 'active' && f.neighbor === neighbor) return true;
    return false;
  }

  /**
   * Session transitions: hold and blackhole end with the session they act on; delays are put on
   * the session again (a dynamic neighbor's next session is a new one).
   */
  sessionState(neighbor: string, from: string, to: string): void {
    const mine = [...this.faults.values()].filter((f) => f.neighbor === neighbor && f.state === 'active');
    if (from === 'Established') for (const f of mine) if (f.conn) this.end(f, 'session ended');
    if (to !== 'Idle' && mine.some((f) => f.kind === 'delay-updates' || f.kind === 'delay-eor'))
      this.applyDelay(neighbor);
  }

  /** Ends every fault (speaker stop). */
  stop(): void {
    for (const f of [...this.faults.values()]) this.end(f, 'speaker stopped');
  }

  /** Why the fault cannot act now, or null. `now`: checks that need the session as it is now. */
  private precondition(f: Fault, now: boolean): string | null {
    const peer = f.neighbor === ANY_NEIGHBOR ? undefined : this.ports.peer(f.neighbor);
    const up = peer?.sessionState === 'Established';
    if (now && NEEDS_SESSION.has(f.kind) && !up)
      return `${f.kind} acts on an Established session; ${f.neighbor} is ${peer?.sessionState ?? 'gone'}`;
    const bits = f.kind === 'cease' && f.subcode === CeaseSubcode.HARD_RESET && up && peer?.hardResetBits();
    if (bits && !(bits.local && bits.peer)) {
      const lacking = [!bits.local && 'rackbgp', !bits.peer && f.neighbor].filter(Boolean).join(' nor ');
      return (
        `cease subcode 9 (Hard Reset, RFC 8538) needs the graceful-restart N bit in both OPENs; ` +
        `${lacking} announced it on this session; use another subcode, e.g. 4 (Administrative Reset)`
      );
    }
    if (now && f.kind === 'fib-freeze' && !this.ports.hasFib())
      return 'fib-freeze needs the kernel FIB, and this speaker runs with fib: false';
    if (now && f.kind === 'reannounce' && !up && !this.withdrawing(f.neighbor))
      return `reannounce needs an Established session or a withdraw-all to end; ${f.neighbor} is ${peer?.sessionState}`;
    return null;
  }

  private withdrawing(neighbor: string): Fault[] {
    return [...this.faults.values()].filter(
      (f) => f.kind === 'withdraw-all' && f.neighbor === neighbor && f.state === 'active',
    );
  }

  private activate(f: Fault): void {
    f.timer = null;
    if (f.state !== 'pending') return;
    const problem = this.precondition(f, true);
    if (problem) {
      // Scheduled with `after` and the session is not up then: it never starts.
      this.faults.delete(f.id);
      f.state = 'over';
      this.ports.emit({
        id: f.id,
        neighbor: f.neighbor,
        kind: f.kind,
        phase: 'end',
        detail: `not started: ${problem}`,
      });
      return;
    }
    if (f.kind === 'fib-freeze' && !this.frozen()) this.ports.freezeFib(true);
    f.state = 'active';
    f.startsAt = this.ports.clock.now();
    const detail = this.apply(f);
    this.ports.emit({
      id: f.id,
      neighbor: f.neighbor,
      kind: f.kind,
      phase: 'start',
      ...(detail && { detail }),
    });
    if (oneShot(f)) this.end(f, 'done');
    else if (f.forMs !== undefined)
      f.timer = this.ports.clock.setTimer(f.forMs, () => this.end(f, 'time up'));
  }

  /** Puts the fault in place; returns a detail for the start event. */
  private apply(f: Fault): string | undefined {
    const peer = this.ports.peer(f.neighbor);
    switch (f.kind) {
      case 'drop':
        peer?.connection?.abort('dropped by fault injection');
        if (f.forMs === undefined) return 'TCP connection closed without NOTIFICATION';
        // The connection is gone: stopping sends nothing, and connections from the peer are refused.
        peer?.stopWith(shutdownNotification(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN));
        return `TCP connection closed without NOTIFICATION; down for ${f.forMs} ms`;
      case 'cease': {
        const sub = f.subcode!;
        // RFC 8538 §3: the Hard Reset data is the encapsulated NOTIFICATION's code and subcode.
        const n: NotificationMessage =
          sub === CeaseSubcode.HARD_RESET
            ? {
                type: 'notification',
                code: ErrorCode.CEASE,
                subcode: sub,
                data: Uint8Array.of(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_RESET),
              }
            : sub === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || sub === CeaseSubcode.ADMINISTRATIVE_RESET
              ? shutdownNotification(sub, 'rackbgp fault injection') // RFC 8203 communication
              : { type: 'notification', code: ErrorCode.CEASE, subcode: sub, data: new Uint8Array(0) };
        peer?.ceaseAndRestart(n, f.forMs === undefined);
        if (f.forMs === undefined) return `NOTIFICATION Cease 6/${sub} sent`;
        return `NOTIFICATION Cease 6/${sub} sent; down for ${f.forMs} ms`;
      }
      case 'hold':
        f.conn = peer?.connection;
        f.conn?.pauseSending();
        return `nothing sent (hold time ${peer?.params?.holdTime ?? '?'} s)`;
      case 'blackhole': {
        f.conn = peer?.connection;
        // If our hold timer ends the session first, the socket stays silent until the peer's has run out.
        const holdMs = (peer?.params?.holdTime || 90) * 1000;
        f.conn?.blackhole(holdMs + 2000);
        return `nothing read or sent (hold time ${peer?.params?.holdTime ?? '?'} s)`;
      }
      case 'delay-updates':
      case 'delay-eor':
        this.applyDelay(f.neighbor);
        return `${f.kind === 'delay-eor' ? 'End-of-RIB' : 'UPDATEs'} held back ${f.delayMs} ms`;
      case 'withdraw-all':
        this.ports.applyExport(f.neighbor);
        return 'export to the neighbor emptied';
      case 'reannounce': {
        const ending = this.withdrawing(f.neighbor);
        for (const w of ending) this.end(w, `ended by reannounce #${f.id}`);
        if (ending.length) return `withdraw-all ${ending.map((w) => `#${w.id}`).join(', ')} ended`;
        this.ports.reannounce(f.neighbor);
        return 'Adj-RIB-Out sent again';
      }
      case 'fib-freeze':
        return 'kernel routes no longer follow the RIB';
    }
  }

  /** Ends a fault (pending: forgotten without events); restores what it changed. */
  private end(f: Fault, why: string): void {
    if (f.state === 'over') return;
    f.timer?.cancel();
    f.timer = null;
    const wasActive = f.state === 'active';
    f.state = 'over';
    this.faults.delete(f.id);
    if (!wasActive) return;
    let detail = why;
    switch (f.kind) {
      case 'drop':
      case 'cease':
        if (f.forMs !== undefined) this.ports.peer(f.neighbor)?.start();
        break;
      case 'hold':
        f.conn?.resumeSending();
        break;
      case 'blackhole':
        f.conn?.endBlackhole();
        break;
      case 'delay-updates':
      case 'delay-eor':
        this.applyDelay(f.neighbor);
        break;
      case 'withdraw-all':
        this.ports.applyExport(f.neighbor);
        break;
      case 'fib-freeze':
        if (!this.frozen()) {
          this.ports.freezeFib(false);
          detail = `${why}; FIB reconciled to the RIB`;
        }
        break;
      default:
        break;
    }
    this.ports.emit({ id: f.id, neighbor: f.neighbor, kind: f.kind, phase: 'end', detail });
  }

  private frozen(): boolean {
    for (const f of this.faults.values()) if (f.kind === 'fib-freeze' && f.state === 'active') return true;
    return false;
  }

  /** The neighbor's delay rule: the longest of its active delay faults, or none. */
  private applyDelay(neighbor: string): void {
    let updatesMs = 0;
    let eorMs = 0;
    for (const f of this.faults.values()) {
      if (f.neighbor !== neighbor || f.state !== 'active') continue;
      if (f.kind === 'delay-updates') updatesMs = Math.max(updatesMs, f.delayMs!);
      if (f.kind === 'delay-eor') eorMs = Math.max(eorMs, f.delayMs!);
    }
    this.ports.peer(neighbor)?.setUpdateDelay(updatesMs || eorMs ? { updatesMs, eorMs } : null);
  }

  private view(f: Fault): FaultView {
    const offset = this.wall() - this.ports.clock.now();
    const iso = (t: number) => new Date(Math.round(t + offset)).toISOString();
    return {
      id: f.id,
      neighbor: f.neighbor,
      kind: f.kind,
      state: f.state === 'over' ? 'ended' : f.state,
      startsAt: iso(f.startsAt),
      endsAt: oneShot(f) ? iso(f.startsAt) : f.forMs === undefined ? null : iso(f.startsAt + f.forMs),
      ...(f.subcode !== undefined && { subcode: f.subcode }),
      ...(f.delayMs !== undefined && { delayMs: f.delayMs }),
    };
  }

  private handle(f: Fault): FaultHandle {
    return { ...this.view(f), cancel: () => this.cancel(f.id) };
  }
}
