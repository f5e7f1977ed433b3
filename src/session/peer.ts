/**
 * One configured peer: up to two connections (ours and theirs), each with its own FSM, and the
 * collision resolution between them (RFC 4271 §6.8). Pure: events in, connection-tagged actions out.
 * Restart after a failure is the IdleHold timer here (BIRD's "error wait time"; 0 for passive peers).
 */
import { parseIPv4 } from '../util/ip.js';
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  type SessionState,
  step,
} from './fsm.js';

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

/** RFC 4271 §6.8: the connection opened by the speaker with the higher BGP Identifier survives. */
export function collisionWinner(localId: string, remoteId: string): ConnectionSide {
  return parseIPv4(localId) > parseIPv4(remoteId) ? 'out' : 'in';
}

export function stepPeer(
  p: PeerState,
  e: PeerEvent,
  cfg: PeerConfig,
): { state: PeerState; actions: PeerAction[] } {
  const actions: PeerAction[] = [];
  let state = p;
  const run = (conn: ConnectionSide, ev: FsmEvent) => {
    const current = conn === 'out' ? state.out : state.in;
    if (!current) return;
    const r = step(current, ev, cfg);
    for (const action of r.actions) actions.push({ conn, action });
    state =
      conn === 'out'
        ? { ...state, out: r.state }
        : { ...state, in: r.state.name === 'Idle' ? null : r.state };
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
      run(e.conn, e.event);
      const after = e.conn === 'out' ? state.out : state.in;
      if (e.event.type === 'BgpOpen' && after?.name === 'OpenConfirm')
        resolveCollision(e.conn, e.event.open.routerId);
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

  function resolveCollision(conn: ConnectionSide, remoteId: string): void {
    const other: ConnectionSide = conn === 'out' ? 'in' : 'out';
    const o = other === 'out' ? state.out : state.in;
    if (!o || (o.name !== 'OpenConfirm' && o.name !== 'Established')) return;
    const loser =
      o.name === 'Established' ? conn : collisionWinner(cfg.routerId, remoteId) === conn ? other : conn;
    run(loser, { type: 'OpenCollisionDump' });
  }
}
