/**
 * One configured peer: up to two connections (ours and theirs), each with its own FSM, and the
 * collision resolution between them (RFC 4271 §6.8). Pure: events in, connection-tagged actions out.
 * Restart after a failure is the IdleHold timer here (BIRD's "error wait time"; 0 for passive peers).
 */
import { parseIPv4 } from '../util/ip.js';
import { type OpenMessage, openAsn } from '../wire/index.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  type SessionState,
  step,
} from './fsm.js';
import { checkOpen } from './open-check.js';

export type ConnectionSide = 'out' | 'in';

export interface PeerConfig extends FsmConfig {
  /** Seconds to wait in Idle after a failure before starting again (0: at once). */
  readonly idleHoldTime: number;
}

export interface PeerState {
  readonly enabled: boolean;
  readonly out: FsmState;
  /** The connection the peer opened to us, once accepted; null otherwise. */
  readonly in: FsmState | null;
}

export type PeerAction =
  | { readonly conn: ConnectionSide; readonly action: FsmAction }
  | {
      readonly conn: 'peer';
      readonly action: { type: 'startIdleHold'; seconds: number } | { type: 'stopIdleHold' };
    };

export type PeerEvent =
  | { readonly type: 'Start' }
  | { readonly type: 'Stop'; readonly event: Extract<FsmEvent, { type: 'ManualStop' }> }
  | { readonly type: 'IdleHoldTimerExpires' }
  /** An accepted TCP connection from this peer. */
  | { readonly type: 'Incoming' }
  | { readonly type: 'Connection'; readonly conn: ConnectionSide; readonly event: FsmEvent };

export const initialPeerState: PeerState = Object.freeze({ enabled: false, out: initialState, in: null });

const RANK: Record<SessionState, number> = {
  Idle: 0,
  Connect: 1,
  Active: 1,
  OpenSent: 2,
  OpenConfirm: 3,
  Established: 4,
};

/** The state to show for the peer: its most advanced connection. */
export function peerSessionState(p: PeerState): SessionState {
  if (!p.in || RANK[p.out.name] >= RANK[p.in.name]) return p.out.name;
  return p.in.name;
}

/**
 * RFC 4271 §6.8: the connection opened by the speaker with the higher BGP Identifier survives;
 * RFC 6286 §2.3: with equal identifiers (eBGP), the one opened by the speaker with the larger AS.
 */
export function collisionWinner(
  localId: string,
  remoteId: string,
  localAsn = 0,
  remoteAsn = 0,
): ConnectionSide {
  const l = parseIPv4(localId);
  const r = parseIPv4(remoteId);
  if (l !== r) return l > r ? 'out' : 'in';
  return localAsn > remoteAsn ? 'out' : 'in';
}

/** A connection whose TCP is gone (or never came): Idle, or Connect/Active without DelayOpen running. */
const connectionGone = (s: FsmState) => RANK[s.name] < RANK.OpenSent && !s.delayOpenRunning;

/** Waiting for the peer's OPEN on a live connection: OpenSent, or DelayOpen running. */
const awaitingOpen = (s: FsmState) => s.name === 'OpenSent' || (RANK[s.name] === 1 && s.delayOpenRunning);

export function stepPeer(
  p: PeerState,
  e: PeerEvent,
  cfg: PeerConfig,
): { state: PeerState; actions: PeerAction[] } {
  const actions: PeerAction[] = [];
  let state = p;
  // The peer's connection never dials: stepped as passive, it cannot start ConnectRetry or connect.
  const inCfg: PeerConfig = { ...cfg, passive: true };
  const run = (conn: ConnectionSide, ev: FsmEvent) => {
    const current = conn === 'out' ? state.out : state.in;
    if (!current) return;
    const r = step(current, ev, conn === 'out' ? cfg : inCfg);
    for (const action of r.actions) actions.push({ conn, action });
    // Their connection is forgotten once its TCP is gone (Idle, or back to Active after a loss in
    // OpenSent), so the next connection from the peer is accepted.
    state =
      conn === 'out'
        ? { ...state, out: r.state }
        : { ...state, in: connectionGone(r.state) ? null : r.state };
  };
  // A passive peer has no outgoing connection; it sits in Active waiting for theirs.
  const startOut = () => run('out', { type: 'ManualStart' });

  switch (e.type) {
    case 'Start':
      if (state.enabled) return { state, actions };
      state = { ...state, enabled: true };
      startOut();
      break;
    case 'Stop':
      state = { ...state, enabled: false };
      actions.push({ conn: 'peer', action: { type: 'stopIdleHold' } });
      run('out', e.event);
      run('in', e.event);
      state = { ...state, in: null };
      break;
    case 'IdleHoldTimerExpires':
      // While their connection is alive ours stays down; it restarts when theirs ends.
      if (state.enabled && state.out.name === 'Idle' && !state.in) startOut();
      break;
    case 'Incoming': {
      if (!state.enabled || state.in) return { state, actions: [{ conn: 'in', action: { type: 'close' } }] };
      state = { ...state, in: { ...initialState, name: 'Active' } };
      run('in', { type: 'TcpConnected' });
      break;
    }
    case 'Connection': {
      const hadIn = state.in !== null;
      const outBefore = state.out.name;
      if (!(e.event.type === 'BgpOpen' && lostCollision(e.conn, e.event.open))) run(e.conn, e.event);
      const after = e.conn === 'out' ? state.out : state.in;
      // Once one connection is Established the other one goes (BIRD closes it the same way).
      if (after?.name === 'Established') {
        const other: ConnectionSide = e.conn === 'out' ? 'in' : 'out';
        const o = other === 'out' ? state.out : state.in;
        if (o && o.name !== 'Idle' && !(other === 'out' && cfg.passive))
          run(other, { type: 'OpenCollisionDump' });
      }
      const outDied = outBefore !== 'Idle' && state.out.name === 'Idle';
      const inDied = hadIn && !state.in;
      if (state.enabled && state.out.name === 'Idle' && !state.in && (outDied || inDied)) {
        actions.push({ conn: 'peer', action: { type: 'startIdleHold', seconds: cfg.idleHoldTime } });
      }
      break;
    }
  }
  return { state, actions };

  /**
   * RFC 4271 §6.8 on receipt of a valid OPEN, before it is answered: the loser is dumped with
   * Cease/Connection Collision Resolution. Done before the FSM sends its KEEPALIVE, as BIRD and FRR
   * do, so the peer never sees a KEEPALIVE (and goes Established) on a connection we are closing.
   * Connections in OpenSent are examined too (the §6.8 MAY; FRR does): the identifier in this OPEN
   * is the peer's. Returns true when the connection that received the OPEN is the loser.
   */
  function lostCollision(conn: ConnectionSide, open: OpenMessage): boolean {
    const current = conn === 'out' ? state.out : state.in;
    const other: ConnectionSide = conn === 'out' ? 'in' : 'out';
    const o = other === 'out' ? state.out : state.in;
    if (!current || !awaitingOpen(current) || !o || RANK[o.name] < RANK.OpenSent) return false;
    if (checkOpen(cfg.localOpen, open, cfg)) return false; // invalid: the FSM answers with the OPEN error
    const loser =
      o.name === 'Established'
        ? conn
        : collisionWinner(cfg.routerId, open.routerId, cfg.localAsn, openAsn(open)) === conn
          ? other
          : conn;
    run(loser, { type: 'OpenCollisionDump' });
    return loser === conn;
  }
}
