/**
 * The BGP finite state machine of one TCP connection (RFC 4271 §8), sans-IO: step() takes the
 * state and an event and returns the next state and the actions for the driver to carry out
 * (send, connect, close, timers). No sockets, no clock reads, no randomness (jitter is the driver's).
 * Collision detection between the two connections of one peer lives in peer.ts.
 */

import type { BgpError } from '../wire/errors.js';
import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  KEEPALIVE,
  type Message,
  type NotificationMessage,
  negotiate,
  type OpenMessage,
  type SessionParams,
} from '../wire/index.js';
import { checkOpen, type OpenPolicy } from './open-check.js';

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'delayOpen';

/** RFC 4271 §8.1 events; the number is the RFC's event number. */
export type FsmEvent =
  | { readonly type: 'ManualStart' } // 1 (4 when passive)
  | { readonly type: 'ManualStop'; readonly notification?: NotificationMessage } // 2
  | { readonly type: 'ConnectRetryTimerExpires' } // 9
  | { readonly type: 'HoldTimerExpires' } // 10
  | { readonly type: 'KeepaliveTimerExpires' } // 11
  | { readonly type: 'DelayOpenTimerExpires' } // 12
  | { readonly type: 'TcpConnected' } // 16 Tcp_CR_Acked / 17 TcpConnectionConfirmed
  | { readonly type: 'TcpConnectionFails' } // 18
  | { readonly type: 'BgpOpen'; readonly open: OpenMessage } // 19, 20
  | { readonly type: 'BgpMessageErr'; readonly error: BgpError } // 21 BGPHeaderErr, 22 BGPOpenMsgErr, 28 UpdateMsgErr
  | { readonly type: 'OpenCollisionDump' } // 23
  | { readonly type: 'NotifMsg'; readonly notification: NotificationMessage } // 24, 25
  | { readonly type: 'KeepAliveMsg' } // 26
  | { readonly type: 'UpdateMsg' } // 27
  | { readonly type: 'RouteRefreshMsg' };

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly message: Message }
  | { readonly type: 'close' }
  /** `jitter`: the driver applies RFC 4271 §10 jitter (0.75–1.0). */
  | {
      readonly type: 'startTimer';
      readonly timer: TimerName;
      readonly seconds: number;
      readonly jitter?: boolean;
    }
  | { readonly type: 'stopTimer'; readonly timer: TimerName }
  | { readonly type: 'established'; readonly params: SessionParams }
  /** Left Established, or gave up before it: the reason, for logs and counters. */
  | { readonly type: 'down'; readonly reason: string; readonly wasEstablished: boolean };

export interface FsmConfig extends OpenPolicy {
  readonly localOpen: OpenMessage;
  readonly passive: boolean;
  readonly connectRetryTime: number;
  /** Seconds; undefined → one third of the negotiated hold time. */
  readonly keepaliveTime?: number;
  /** Seconds before sending OPEN on a new connection (RFC 4271 DelayOpen); 0 = off. */
  readonly delayOpenTime: number;
}

export interface FsmState {
  readonly name: SessionState;
  readonly connectRetryCounter: number;
  readonly delayOpenRunning: boolean;
  readonly remoteOpen?: OpenMessage;
  readonly params?: SessionParams;
}

export interface StepResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** RFC 4271 §8.2.2: the large hold time used while waiting for the peer's OPEN. */
export const OPEN_HOLD_TIME = 240;

export const initialState: FsmState = Object.freeze({
  name: 'Idle',
  connectRetryCounter: 0,
  delayOpenRunning: false,
});

const notify = (code: number, subcode: number): NotificationMessage => ({
  type: 'notification',
  code,
  subcode,
  data: new Uint8Array(0),
});
const cease = (subcode: number) => notify(ErrorCode.CEASE, subcode);
const fsmError = (subcode: number) => notify(ErrorCode.FSM, subcode);
const HOLD_EXPIRED = notify(ErrorCode.HOLD_TIMER_EXPIRED, 0);

const notificationOf = (e: BgpError): NotificationMessage => ({
  type: 'notification',
  code: e.code,
  subcode: e.subcode,
  data: e.data,
});

const UNEXPECTED: Partial<Record<SessionState, number>> = {
  OpenSent: FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT,
  OpenConfirm: FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM,
  Established: FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED,
};

const ALL_TIMERS: readonly TimerName[] = ['connectRetry', 'hold', 'keepalive', 'delayOpen'];

export function keepaliveSeconds(cfg: FsmConfig, holdTime: number): number {
  if (holdTime === 0) return 0;
  const third = Math.floor(holdTime / 3);
  return cfg.keepaliveTime !== undefined ? Math.min(cfg.keepaliveTime, third) || third : third;
}

export function step(s: FsmState, e: FsmEvent, cfg: FsmConfig): StepResult {
  const a: FsmAction[] = [];
  const to = (name: SessionState, patch: Partial<FsmState> = {}): StepResult => ({
    state: { ...s, ...patch, name },
    actions: a,
  });
  const stay = (): StepResult => ({ state: s, actions: a });

  /** Leave for Idle: stop every timer, drop the connection, report why (RFC 4271 §8.2.2 "releases all resources"). */
  const toIdle = (reason: string, send?: NotificationMessage, counterUp = true): StepResult => {
    if (send) a.push({ type: 'send', message: send });
    a.push({ type: 'close' });
    for (const t of ALL_TIMERS) a.push({ type: 'stopTimer', timer: t });
    a.push({ type: 'down', reason, wasEstablished: s.name === 'Established' });
    return {
      state: {
        name: 'Idle',
        connectRetryCounter: counterUp ? s.connectRetryCounter + 1 : 0,
        delayOpenRunning: false,
      },
      actions: a,
    };
  };

  const sendOpen = (): StepResult => {
    a.push({ type: 'stopTimer', timer: 'connectRetry' });
    a.push({ type: 'send', message: cfg.localOpen });
    a.push({ type: 'startTimer', timer: 'hold', seconds: OPEN_HOLD_TIME });
    return to('OpenSent', { delayOpenRunning: false });
  };

  /** A valid OPEN arrived (RFC 4271 §8.2.2 OpenSent, Event 19; Connect/Active, Event 20). */
  const acceptOpen = (open: OpenMessage, alsoSendOpen: boolean): StepResult => {
    const bad = checkOpen(cfg.localOpen, open, cfg);
    if (bad) return toIdle(`OPEN rejected: ${bad.code}/${bad.subcode}`, bad);
    const params = negotiate(cfg.localOpen, open);
    a.push({ type: 'stopTimer', timer: 'connectRetry' }, { type: 'stopTimer', timer: 'delayOpen' });
    if (alsoSendOpen) a.push({ type: 'send', message: cfg.localOpen });
    a.push({ type: 'send', message: KEEPALIVE });
    const keepalive = keepaliveSeconds(cfg, params.holdTime);
    if (params.holdTime > 0) {
      // RFC 4271 §10: jittered to 0.75-1.0 of hold/3, as BIRD does; a late tick still stays within hold/3.
      a.push({ type: 'startTimer', timer: 'keepalive', seconds: keepalive, jitter: true });
      a.push({ type: 'startTimer', timer: 'hold', seconds: params.holdTime });
    } else {
      a.push({ type: 'stopTimer', timer: 'hold' });
    }
    return to('OpenConfirm', { remoteOpen: open, params, delayOpenRunning: false });
  };

  const restartHold = () => {
    if (s.params && s.params.holdTime > 0)
      a.push({ type: 'startTimer', timer: 'hold', seconds: s.params.holdTime });
  };

  // RFC 4271 §8.2.2: every state but Idle "ignores all start events (Events 1, 3-7)".
  if (e.type === 'ManualStart' && s.name !== 'Idle') return stay();

  if (e.type === 'ManualStop') {
    if (s.name === 'Idle') return stay();
    const n = s.name === 'OpenSent' || s.name === 'OpenConfirm' || s.name === 'Established';
    return toIdle(
      'administratively stopped',
      n ? (e.notification ?? cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN)) : undefined,
      false,
    );
  }

  switch (s.name) {
    case 'Idle':
      if (e.type !== 'ManualStart') return stay();
      if (cfg.passive) return to('Active', { connectRetryCounter: 0 });
      a.push({ type: 'startTimer', timer: 'connectRetry', seconds: cfg.connectRetryTime, jitter: true });
      a.push({ type: 'connect' });
      return to('Connect', { connectRetryCounter: 0 });

    case 'Connect':
    case 'Active':
      switch (e.type) {
        case 'ConnectRetryTimerExpires':
          if (cfg.passive) return stay();
          a.push({ type: 'close' }, { type: 'stopTimer', timer: 'delayOpen' });
          a.push({ type: 'startTimer', timer: 'connectRetry', seconds: cfg.connectRetryTime, jitter: true });
          a.push({ type: 'connect' });
          return to('Connect', { delayOpenRunning: false });
        case 'TcpConnected':
          if (cfg.delayOpenTime > 0) {
            a.push({ type: 'stopTimer', timer: 'connectRetry' });
            a.push({ type: 'startTimer', timer: 'delayOpen', seconds: cfg.delayOpenTime });
            return to(s.name, { delayOpenRunning: true });
          }
          return sendOpen();
        case 'DelayOpenTimerExpires':
          return s.delayOpenRunning ? sendOpen() : stay();
        case 'TcpConnectionFails':
          // Keep trying on the ConnectRetry timer (BIRD does the same) rather than idling.
          a.push({ type: 'stopTimer', timer: 'delayOpen' });
          if (!cfg.passive)
            a.push({
              type: 'startTimer',
              timer: 'connectRetry',
              seconds: cfg.connectRetryTime,
              jitter: true,
            });
          return to('Active', { delayOpenRunning: false });
        case 'BgpOpen':
          // Event 20: an OPEN while DelayOpen runs is answered with OPEN + KEEPALIVE. Without
          // DelayOpen there is no connection here yet: "any other event" → Idle, nothing to send.
          if (s.delayOpenRunning) return acceptOpen(e.open, true);
          return toIdle('OPEN before the connection was ready');
        case 'BgpMessageErr':
          return toIdle(e.error.message, notificationOf(e.error));
        case 'NotifMsg':
          return toIdle(`NOTIFICATION received ${e.notification.code}/${e.notification.subcode}`);
        case 'OpenCollisionDump':
          // With DelayOpen running TCP is up: tell the peer why (§8.1.1 SendNOTIFICATIONwithoutOPEN).
          return toIdle(
            'the other connection won',
            s.delayOpenRunning ? cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION) : undefined,
            false,
          );
        default:
          return toIdle(
            `unexpected ${e.type} in ${s.name}`,
            s.delayOpenRunning ? fsmError(FsmSubcode.UNSPECIFIED) : undefined,
          );
      }

    case 'OpenSent':
      switch (e.type) {
        case 'HoldTimerExpires':
          return toIdle('hold timer expired', HOLD_EXPIRED);
        case 'TcpConnectionFails':
          a.push({ type: 'close' }, { type: 'stopTimer', timer: 'hold' });
          if (!cfg.passive)
            a.push({
              type: 'startTimer',
              timer: 'connectRetry',
              seconds: cfg.connectRetryTime,
              jitter: true,
            });
          a.push({ type: 'down', reason: 'connection lost in OpenSent', wasEstablished: false });
          return to('Active');
        case 'BgpOpen':
          return acceptOpen(e.open, false);
        case 'BgpMessageErr':
          return toIdle(e.error.message, notificationOf(e.error));
        case 'OpenCollisionDump':
          return toIdle('connection collision', cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION));
        case 'NotifMsg':
          return toIdle(`NOTIFICATION received ${e.notification.code}/${e.notification.subcode}`);
        case 'KeepaliveTimerExpires':
        case 'ConnectRetryTimerExpires':
        case 'DelayOpenTimerExpires':
        case 'TcpConnected':
          return stay();
        default:
          return toIdle(`unexpected ${e.type} in OpenSent`, fsmError(UNEXPECTED.OpenSent!));
      }

    case 'OpenConfirm':
    case 'Established':
      switch (e.type) {
        case 'HoldTimerExpires':
          return toIdle('hold timer expired', HOLD_EXPIRED);
        case 'KeepaliveTimerExpires':
          a.push({ type: 'send', message: KEEPALIVE });
          if (s.params && s.params.holdTime > 0) {
            a.push({
              type: 'startTimer',
              timer: 'keepalive',
              seconds: keepaliveSeconds(cfg, s.params.holdTime),
              jitter: true,
            });
          }
          return stay();
        case 'TcpConnectionFails':
          return toIdle('connection lost');
        case 'NotifMsg':
          return toIdle(`NOTIFICATION received ${e.notification.code}/${e.notification.subcode}`);
        case 'BgpMessageErr':
          return toIdle(e.error.message, notificationOf(e.error));
        case 'OpenCollisionDump':
          return toIdle('connection collision', cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION));
        case 'KeepAliveMsg':
          restartHold();
          if (s.name === 'OpenConfirm') {
            a.push({ type: 'established', params: s.params! });
            return to('Established');
          }
          return stay();
        case 'UpdateMsg':
        case 'RouteRefreshMsg':
          if (s.name === 'Established') {
            restartHold();
            return stay();
          }
          return toIdle(`unexpected ${e.type} in OpenConfirm`, fsmError(UNEXPECTED.OpenConfirm!));
        case 'ConnectRetryTimerExpires':
        case 'DelayOpenTimerExpires':
        case 'TcpConnected':
          return stay();
        default:
          return toIdle(`unexpected ${e.type} in ${s.name}`, fsmError(UNEXPECTED[s.name]!));
      }
  }
}
