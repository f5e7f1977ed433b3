/**
 * The BFD session state machine of RFC 5880 §6.8 (asynchronous mode, no Demand, no Echo, no
 * authentication) as pure functions over the state variables of §6.8.1: reception (§6.8.6),
 * detection-time expiry, administrative down (§6.8.16), timer changes with Poll/Final (§6.8.3),
 * the transmit interval with jitter (§6.8.2, §6.8.7) and the detection time (§6.8.4).
 * No clock and no sockets: session.ts runs the timers and sends.
 */
import { BfdDiag, BfdState, type BfdStateValue, type ControlPacket } from './packet.js';

/** §6.8.3: "MUST set bfd.DesiredMinTxInterval to a value of not less than one second" when not Up. */
export const SLOW_TX_US = 1_000_000;

export interface BfdTimers {
  /** Microseconds. */
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  readonly detectMult: number;
}

export interface BfdVars {
  readonly state: BfdStateValue;
  readonly remoteState: BfdStateValue;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: number;
  /** What the configuration asks for (applies fully only while Up). */
  readonly configured: BfdTimers;
  /** Advertised in our packets (bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval). */
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  /** In use for our transmit interval and the remote's detection time while a Poll Sequence runs. */
  readonly txInUse: number;
  readonly rxInUse: number;
  readonly remoteMinRx: number;
  readonly remoteDesiredMinTx: number;
  readonly remoteDetectMult: number;
  /** A Poll Sequence is in progress (§6.5): P set in what we send until a packet with F arrives. */
  readonly polling: boolean;
}

export interface Transition {
  readonly from: BfdStateValue;
  readonly to: BfdStateValue;
  readonly diag: number;
}

export interface Step {
  readonly vars: BfdVars;
  /** A packet with the Final bit must go out now (§6.8.6 "If the Poll (P) bit is set"). */
  readonly sendFinal: boolean;
  readonly transition: Transition | null;
  /** False when §6.8.6 says discard: the detection timer is not restarted. */
  readonly accepted: boolean;
}

/** §6.8.1 initial values; bfd.RemoteMinRxInterval starts at 1 µs. */
export function initialVars(configured: BfdTimers, localDiscr: number, adminDown = false): BfdVars {
  const slow = Math.max(configured.desiredMinTx, SLOW_TX_US);
  return {
    state: adminDown ? BfdState.AdminDown : BfdState.Down,
    remoteState: BfdState.Down,
    localDiscr,
    remoteDiscr: 0,
    localDiag: adminDown ? BfdDiag.AdministrativelyDown : BfdDiag.NoDiagnostic,
    configured,
    desiredMinTx: slow,
    requiredMinRx: configured.requiredMinRx,
    txInUse: slow,
    rxInUse: configured.requiredMinRx,
    remoteMinRx: 1,
    remoteDesiredMinTx: 0,
    remoteDetectMult: 0,
    polling: false,
  };
}

/**
 * New advertised intervals (§6.8.3). While Up: a Poll Sequence; a larger transmit interval and a
 * smaller receive interval take effect only when it ends. Otherwise at once.
 */
function advertise(v: BfdVars, desiredMinTx: number, requiredMinRx: number): BfdVars {
  if (desiredMinTx === v.desiredMinTx && requiredMinRx === v.requiredMinRx) return v;
  if (v.state !== BfdState.Up)
    return { ...v, desiredMinTx, requiredMinRx, txInUse: desiredMinTx, rxInUse: requiredMinRx };
  return {
    ...v,
    desiredMinTx,
    requiredMinRx,
    txInUse: Math.min(v.txInUse, desiredMinTx),
    rxInUse: Math.max(v.rxInUse, requiredMinRx),
    polling: true,
  };
}

/** The intervals a state asks for: configured while Up, at least one second otherwise (§6.8.3). */
function intervalsFor(v: BfdVars): BfdVars {
  const tx =
    v.state === BfdState.Up ? v.configured.desiredMinTx : Math.max(v.configured.desiredMinTx, SLOW_TX_US);
  return advertise(v, tx, v.configured.requiredMinRx);
}

function moveTo(v: BfdVars, to: BfdStateValue, diag: number): { vars: BfdVars; transition: Transition } {
  const from = v.state;
  const moved: BfdVars = { ...v, state: to, localDiag: diag };
  // Leaving Up ends any Poll Sequence; the slow rate applies at once.
  const vars = intervalsFor(to === BfdState.Up ? moved : { ...moved, polling: false });
  return { vars, transition: { from, to, diag } };
}

/** §6.8.6 from "Set bfd.RemoteDiscr to the value of My Discriminator" on; demultiplexing is done. */
export function receive(v0: BfdVars, p: ControlPacket): Step {
  // "If the Your Discriminator field is zero and the State field is not Down or AdminDown, discard."
  if (p.yourDiscr === 0 && p.state !== BfdState.Down && p.state !== BfdState.AdminDown)
    return { vars: v0, sendFinal: false, transition: null, accepted: false };
  let v: BfdVars = {
    ...v0,
    remoteDiscr: p.myDiscr,
    remoteState: p.state,
    remoteMinRx: p.requiredMinRx,
    remoteDesiredMinTx: p.desiredMinTx,
    remoteDetectMult: p.detectMult,
  };
  // "If the Final (F) bit is set and the local system has sent a Poll, terminate the Poll Sequence."
  if (p.final && v.polling) v = { ...v, polling: false, txInUse: v.desiredMinTx, rxInUse: v.requiredMinRx };
  const sendFinal = p.poll;
  if (v.state === BfdState.AdminDown) return { vars: v, sendFinal: false, transition: null, accepted: false };
  let transition: Transition | null = null;
  const go = (to: BfdStateValue, diag: number) => {
    const r = moveTo(v, to, diag);
    v = r.vars;
    transition = r.transition;
  };
  if (p.state === BfdState.AdminDown) {
    if (v.state !== BfdState.Down) go(BfdState.Down, BfdDiag.NeighborSignaledSessionDown);
  } else if (v.state === BfdState.Down) {
    if (p.state === BfdState.Down) go(BfdState.Init, BfdDiag.NoDiagnostic);
    else if (p.state === BfdState.Init) go(BfdState.Up, BfdDiag.NoDiagnostic);
  } else if (v.state === BfdState.Init) {
    if (p.state === BfdState.Init || p.state === BfdState.Up) go(BfdState.Up, BfdDiag.NoDiagnostic);
  } else if (p.state === BfdState.Down) {
    go(BfdState.Down, BfdDiag.NeighborSignaledSessionDown);
  }
  return { vars: v, sendFinal, transition, accepted: true };
}

/**
 * No valid packet for a Detection Time: Down with diag 1 when Init or Up (§6.8.4), and
 * bfd.RemoteDiscr back to zero (§6.8.1).
 */
export function detectionExpired(v: BfdVars): { vars: BfdVars; transition: Transition | null } {
  const cleared: BfdVars = { ...v, remoteDiscr: 0, remoteState: BfdState.Down };
  if (v.state !== BfdState.Init && v.state !== BfdState.Up) return { vars: cleared, transition: null };
  return moveTo(cleared, BfdState.Down, BfdDiag.ControlDetectionTimeExpired);
}

/** §6.8.16: AdminDown with diag 7 (the remote must not treat it as a failure, RFC 5882 §3.2); up again: Down. */
export function setAdminDown(v: BfdVars, down: boolean): { vars: BfdVars; transition: Transition | null } {
  if (down === (v.state === BfdState.AdminDown)) return { vars: v, transition: null };
  if (down) return moveTo(v, BfdState.AdminDown, BfdDiag.AdministrativelyDown);
  return moveTo({ ...v, remoteDiscr: 0 }, BfdState.Down, BfdDiag.NoDiagnostic);
}

/** New configured timers (reload): advertised with a Poll Sequence when Up (§6.8.3). */
export function setTimers(v: BfdVars, configured: BfdTimers): BfdVars {
  return intervalsFor({ ...v, configured });
}

/**
 * §6.8.7: the interval between our packets, before jitter: the larger of bfd.DesiredMinTxInterval
 * (the one in use) and bfd.RemoteMinRxInterval; null when the remote asked for none (zero).
 */
export function transmitInterval(v: BfdVars): number | null {
  if (v.remoteMinRx === 0) return null;
  return Math.max(v.txInUse, v.remoteMinRx);
}

/**
 * §6.8.7 jitter: the interval reduced by a random 0–25 %, by 10–25 % when bfd.DetectMult is 1.
 * `random` is in [0, 1).
 */
export function jittered(intervalUs: number, detectMult: number, random: number): number {
  const reduction = detectMult === 1 ? 0.1 + 0.15 * random : 0.25 * random;
  return Math.round(intervalUs * (1 - reduction));
}

/** §6.8.4 asynchronous mode: the remote's Detect Mult × max(our RequiredMinRx, its DesiredMinTx). */
export function detectionTime(v: BfdVars): number {
  return v.remoteDetectMult * Math.max(v.rxInUse, v.remoteDesiredMinTx);
}

/** §6.8.7: the contents of a Control packet; `final` answers a Poll (and then P is clear, §6.5). */
export function outgoing(v: BfdVars, final: boolean): ControlPacket {
  return {
    diag: v.localDiag,
    state: v.state,
    poll: v.polling && !final,
    final,
    cpi: false,
    demand: false,
    detectMult: v.configured.detectMult,
    myDiscr: v.localDiscr,
    yourDiscr: v.remoteDiscr,
    desiredMinTx: v.desiredMinTx,
    requiredMinRx: v.requiredMinRx,
    requiredMinEchoRx: 0,
  };
}
