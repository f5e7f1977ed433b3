/**
 * Shared fixtures for the session-core tests: a local and a remote OPEN, an FSM config, expected
 * action builders (built by hand, not by the FSM) and `reach()`, which drives an FSM to a state.
 */
import { expect } from 'vitest';
import {
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  step,
} from '../../../src/session/fsm.js';
import {
  type Capability,
  IPV4_UNICAST,
  KEEPALIVE,
  makeOpen,
  type NotificationMessage,
  type OpenMessage,
} from '../../../src/wire/index.js';

export const LOCAL_ID = '10.0.0.1';
export const REMOTE_ID = '10.0.0.2';
export const LOCAL_AS = 65001;
export const REMOTE_AS = 65002;

export const caps = (asn: number): Capability[] => [
  { kind: 'multiprotocol', family: IPV4_UNICAST },
  { kind: 'route-refresh' },
  { kind: 'four-octet-as', asn },
];

export const LOCAL_OPEN: OpenMessage = makeOpen({
  asn: LOCAL_AS,
  holdTime: 90,
  routerId: LOCAL_ID,
  capabilities: caps(LOCAL_AS),
});

export const remoteOpen = (p: { asn?: number; holdTime?: number; routerId?: string } = {}): OpenMessage =>
  makeOpen({
    asn: p.asn ?? REMOTE_AS,
    holdTime: p.holdTime ?? 30,
    routerId: p.routerId ?? REMOTE_ID,
    capabilities: caps(p.asn ?? REMOTE_AS),
  });

export const CFG: FsmConfig = {
  localAsn: LOCAL_AS,
  routerId: LOCAL_ID,
  peerAs: REMOTE_AS,
  localOpen: LOCAL_OPEN,
  passive: false,
  connectRetryTime: 5,
  delayOpenTime: 0,
};

export const notif = (code: number, subcode: number, data: number[] = []): NotificationMessage => ({
  type: 'notification',
  code,
  subcode,
  data: Uint8Array.from(data),
});

export const send = (message: unknown) => ({ type: 'send', message });
export const SEND_OPEN = send(LOCAL_OPEN);
export const SEND_KEEPALIVE = send(KEEPALIVE);
export const CLOSE = { type: 'close' };
export const CONNECT = { type: 'connect' };
/** The keepalive timer is jittered (RFC 4271 §10); hold and delayOpen are not. */
export const start = (timer: string, seconds: number) =>
  timer === 'keepalive'
    ? { type: 'startTimer', timer, seconds, jitter: true }
    : { type: 'startTimer', timer, seconds };
export const startRetry = (seconds = 5) => ({
  type: 'startTimer',
  timer: 'connectRetry',
  seconds,
  jitter: true,
});
export const stop = (timer: string) => ({ type: 'stopTimer', timer });

/** RFC 4271 §8.2.2 "releases all BGP resources, drops the TCP connection, changes its state to Idle". */
export const toIdle = (wasEstablished: boolean, n?: NotificationMessage): unknown[] => [
  ...(n ? [send(n)] : []),
  CLOSE,
  stop('connectRetry'),
  stop('hold'),
  stop('keepalive'),
  stop('delayOpen'),
  { type: 'down', reason: expect.any(String), wasEstablished },
];

export function run(cfg: FsmConfig, events: readonly FsmEvent[], from: FsmState = initialState): FsmState {
  let s = from;
  for (const e of events) s = step(s, e, cfg).state;
  return s;
}

const OPEN_OK: FsmEvent = { type: 'BgpOpen', open: remoteOpen() };

/** Event paths from Idle to each state, for an active peer without DelayOpen. */
export const PATH = {
  Idle: [],
  Connect: [{ type: 'ManualStart' }],
  Active: [{ type: 'ManualStart' }, { type: 'TcpConnectionFails' }],
  OpenSent: [{ type: 'ManualStart' }, { type: 'TcpConnected' }],
  OpenConfirm: [{ type: 'ManualStart' }, { type: 'TcpConnected' }, OPEN_OK],
  Established: [{ type: 'ManualStart' }, { type: 'TcpConnected' }, OPEN_OK, { type: 'KeepAliveMsg' }],
} as const satisfies Record<string, readonly FsmEvent[]>;
