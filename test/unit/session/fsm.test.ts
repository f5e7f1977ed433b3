/**
 * RFC 4271 §8.2.2 state × event tables for the pure FSM of one connection (RFC 6608 FSM error
 * subcodes), plus DelayOpen, passive start, hold-time negotiation and keepalive intervals.
 * Every state lists every event (the Record types enforce it), so a missing row fails to compile.
 */
import { describe, expect, test } from 'vitest';
import {
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  keepaliveSeconds,
  OPEN_HOLD_TIME,
  type SessionState,
  step,
} from '../../../src/session/fsm.js';
import { BgpError, IPV4_UNICAST, makeOpen, shutdownNotification } from '../../../src/wire/index.js';
import {
  CFG,
  CLOSE,
  CONNECT,
  caps,
  LOCAL_AS,
  LOCAL_ID,
  notif,
  PATH,
  REMOTE_AS,
  REMOTE_ID,
  remoteOpen,
  run,
  SEND_KEEPALIVE,
  SEND_OPEN,
  send,
  start,
  startRetry,
  stop,
  toIdle,
} from './fixtures.js';

const SHUTDOWN = shutdownNotification(2, 'maintenance window');

const EVENTS = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  'ManualStop(RFC 8203)': { type: 'ManualStop', notification: SHUTDOWN },
  ConnectRetryTimerExpires: { type: 'ConnectRetryTimerExpires' },
  HoldTimerExpires: { type: 'HoldTimerExpires' },
  KeepaliveTimerExpires: { type: 'KeepaliveTimerExpires' },
  DelayOpenTimerExpires: { type: 'DelayOpenTimerExpires' },
  TcpConnected: { type: 'TcpConnected' },
  TcpConnectionFails: { type: 'TcpConnectionFails' },
  'BgpOpen(valid)': { type: 'BgpOpen', open: remoteOpen() },
  'BgpOpen(bad peer AS)': { type: 'BgpOpen', open: remoteOpen({ asn: 65099 }) },
  BgpMessageErr: { type: 'BgpMessageErr', error: new BgpError(1, 2, Uint8Array.of(0x00, 0x05)) },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsg: { type: 'NotifMsg', notification: notif(6, 4) },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg' },
  RouteRefreshMsg: { type: 'RouteRefreshMsg' },
} as const satisfies Record<string, FsmEvent>;

type EventName = keyof typeof EVENTS;
type Outcome = readonly [SessionState, unknown[]];
/** One row per event; a state's table must name them all. */
type Table = Record<EventName, Outcome>;

const HEADER_ERR = notif(1, 2, [0x00, 0x05]);
const BAD_PEER_AS = notif(2, 2);
const ADMIN_SHUTDOWN = notif(6, 2);
const COLLISION = notif(6, 7);
const HOLD_EXPIRED = notif(4, 0);
/** Negotiated with remoteOpen(): min(90, 30) = 30, keepalive 30/3 = 10. */
const TIMERS_30 = [start('keepalive', 10), start('hold', 30)];
const ESTABLISHED = {
  type: 'established',
  params: expect.objectContaining({
    holdTime: 30,
    localAsn: LOCAL_AS,
    peerAsn: REMOTE_AS,
    peerRouterId: REMOTE_ID,
    fourOctetAs: true,
    families: [IPV4_UNICAST],
    routeRefresh: true,
  }),
};

/** Connect/Active without a TCP connection: every message or stray timer drops to Idle, no NOTIFICATION. */
function waiting(name: 'Connect' | 'Active', passive: boolean): Table {
  const idle: Outcome = ['Idle', toIdle(false)];
  return {
    ManualStart: [name, []],
    ManualStop: idle,
    'ManualStop(RFC 8203)': idle,
    ConnectRetryTimerExpires: passive
      ? [name, []]
      : ['Connect', [CLOSE, stop('delayOpen'), startRetry(), CONNECT]],
    HoldTimerExpires: idle,
    KeepaliveTimerExpires: idle,
    DelayOpenTimerExpires: [name, []],
    TcpConnected: ['OpenSent', [stop('connectRetry'), SEND_OPEN, start('hold', OPEN_HOLD_TIME)]],
    TcpConnectionFails: ['Active', passive ? [stop('delayOpen')] : [stop('delayOpen'), startRetry()]],
    'BgpOpen(valid)': idle,
    'BgpOpen(bad peer AS)': idle,
    BgpMessageErr: ['Idle', toIdle(false, HEADER_ERR)],
    OpenCollisionDump: idle,
    NotifMsg: idle,
    KeepAliveMsg: idle,
    UpdateMsg: idle,
    RouteRefreshMsg: idle,
  };
}

/** Connect/Active while DelayOpen runs: TCP is up, our OPEN not yet sent (RFC 4271 §8.2.2 Event 12, 20). */
function delaying(name: 'Connect' | 'Active', passive: boolean): Table {
  const fsmErr: Outcome = ['Idle', toIdle(false, notif(5, 0))];
  const idle: Outcome = ['Idle', toIdle(false)];
  return {
    ManualStart: [name, []],
    ManualStop: idle,
    'ManualStop(RFC 8203)': idle,
    ConnectRetryTimerExpires: passive
      ? [name, []]
      : ['Connect', [CLOSE, stop('delayOpen'), startRetry(), CONNECT]],
    HoldTimerExpires: fsmErr,
    KeepaliveTimerExpires: fsmErr,
    DelayOpenTimerExpires: ['OpenSent', [stop('connectRetry'), SEND_OPEN, start('hold', OPEN_HOLD_TIME)]],
    TcpConnected: [name, [stop('connectRetry'), start('delayOpen', 2)]],
    TcpConnectionFails: ['Active', passive ? [stop('delayOpen')] : [stop('delayOpen'), startRetry()]],
    'BgpOpen(valid)': [
      'OpenConfirm',
      [stop('connectRetry'), stop('delayOpen'), SEND_OPEN, SEND_KEEPALIVE, ...TIMERS_30],
    ],
    'BgpOpen(bad peer AS)': ['Idle', toIdle(false, BAD_PEER_AS)],
    BgpMessageErr: ['Idle', toIdle(false, HEADER_ERR)],
    OpenCollisionDump: ['Idle', toIdle(false, COLLISION)],
    NotifMsg: idle,
    KeepAliveMsg: fsmErr,
    UpdateMsg: fsmErr,
    RouteRefreshMsg: fsmErr,
  };
}

const idleTable = (passive: boolean): Table => {
  const nothing: Outcome = ['Idle', []];
  const t = Object.fromEntries(Object.keys(EVENTS).map((k) => [k, nothing])) as Table;
  // Event 1 starts ConnectRetry and dials; Event 4 (passive) only listens.
  t.ManualStart = passive ? ['Active', []] : ['Connect', [startRetry(), CONNECT]];
  return t;
};

function opened(name: 'OpenSent' | 'OpenConfirm' | 'Established'): Table {
  const est = name === 'Established';
  const unexpected = notif(5, { OpenSent: 1, OpenConfirm: 2, Established: 3 }[name]); // RFC 6608 §3
  const fsmErr: Outcome = ['Idle', toIdle(est, unexpected)];
  const t: Table = {
    ManualStart: [name, []],
    ManualStop: ['Idle', toIdle(est, ADMIN_SHUTDOWN)],
    'ManualStop(RFC 8203)': ['Idle', toIdle(est, SHUTDOWN)],
    // Stray expiries of timers this FSM already stopped, and TCP events of a second connection
    // (tracked by peer.ts, §8.2.2 Event 16/17), are ignored rather than treated as FSM errors.
    ConnectRetryTimerExpires: [name, []],
    HoldTimerExpires: ['Idle', toIdle(est, HOLD_EXPIRED)],
    KeepaliveTimerExpires: [name, [SEND_KEEPALIVE, start('keepalive', 10)]],
    DelayOpenTimerExpires: [name, []],
    TcpConnected: [name, []],
    TcpConnectionFails: ['Idle', toIdle(est)],
    'BgpOpen(valid)': fsmErr,
    'BgpOpen(bad peer AS)': fsmErr,
    BgpMessageErr: ['Idle', toIdle(est, HEADER_ERR)],
    OpenCollisionDump: ['Idle', toIdle(est, COLLISION)],
    NotifMsg: ['Idle', toIdle(est)],
    KeepAliveMsg: est
      ? [name, [start('hold', 30)]]
      : name === 'OpenConfirm'
        ? ['Established', [start('hold', 30), ESTABLISHED]]
        : fsmErr,
    UpdateMsg: est ? [name, [start('hold', 30)]] : fsmErr,
    RouteRefreshMsg: est ? [name, [start('hold', 30)]] : fsmErr,
  };
  if (name === 'OpenSent') {
    Object.assign(t, {
      KeepaliveTimerExpires: [name, []],
      // RFC 4271 §8.2.2 OpenSent, Event 18: back to Active, ConnectRetry restarted.
      TcpConnectionFails: [
        'Active',
        [
          CLOSE,
          stop('hold'),
          startRetry(),
          { type: 'down', reason: expect.any(String), wasEstablished: false },
        ],
      ],
      'BgpOpen(valid)': [
        'OpenConfirm',
        [stop('connectRetry'), stop('delayOpen'), SEND_KEEPALIVE, ...TIMERS_30],
      ],
      'BgpOpen(bad peer AS)': ['Idle', toIdle(false, BAD_PEER_AS)],
    } satisfies Partial<Table>);
  }
  return t;
}

const DELAY: FsmConfig = { ...CFG, delayOpenTime: 2 };
const PASSIVE: FsmConfig = { ...CFG, passive: true };
const PASSIVE_DELAY: FsmConfig = { ...PASSIVE, delayOpenTime: 2 };
const CONNECTED: FsmEvent = { type: 'TcpConnected' };

const STATES: readonly { label: string; cfg: FsmConfig; from: FsmState; table: Table }[] = [
  { label: 'Idle', cfg: CFG, from: initialState, table: idleTable(false) },
  { label: 'Idle (passive)', cfg: PASSIVE, from: initialState, table: idleTable(true) },
  { label: 'Connect', cfg: CFG, from: run(CFG, PATH.Connect), table: waiting('Connect', false) },
  { label: 'Active', cfg: CFG, from: run(CFG, PATH.Active), table: waiting('Active', false) },
  {
    label: 'Active (passive)',
    cfg: PASSIVE,
    from: run(PASSIVE, [{ type: 'ManualStart' }]),
    table: waiting('Active', true),
  },
  {
    label: 'Connect + DelayOpen',
    cfg: DELAY,
    from: run(DELAY, [...PATH.Connect, CONNECTED]),
    table: delaying('Connect', false),
  },
  {
    label: 'Active + DelayOpen (passive)',
    cfg: PASSIVE_DELAY,
    from: run(PASSIVE_DELAY, [{ type: 'ManualStart' }, CONNECTED]),
    table: delaying('Active', true),
  },
  { label: 'OpenSent', cfg: CFG, from: run(CFG, PATH.OpenSent), table: opened('OpenSent') },
  { label: 'OpenConfirm', cfg: CFG, from: run(CFG, PATH.OpenConfirm), table: opened('OpenConfirm') },
  { label: 'Established', cfg: CFG, from: run(CFG, PATH.Established), table: opened('Established') },
];

const ROWS = STATES.flatMap(({ label, cfg, from, table }) =>
  (Object.keys(EVENTS) as EventName[]).map((event) => ({
    state: label,
    event,
    to: table[event][0],
    cfg,
    from,
    actions: table[event][1],
  })),
);

describe('FSM state × event table (RFC 4271 §8.2.2)', () => {
  test('the fixtures reach the states they are named after', () => {
    expect(STATES.map((s) => `${s.label}: ${s.from.name} ${s.from.delayOpenRunning}`)).toEqual([
      'Idle: Idle false',
      'Idle (passive): Idle false',
      'Connect: Connect false',
      'Active: Active false',
      'Active (passive): Active false',
      'Connect + DelayOpen: Connect true',
      'Active + DelayOpen (passive): Active true',
      'OpenSent: OpenSent false',
      'OpenConfirm: OpenConfirm false',
      'Established: Established false',
    ]);
  });

  test.each(ROWS)('$state + $event → $to', ({ cfg, from, event, to, actions }) => {
    const r = step(from, EVENTS[event], cfg);
    expect(r.state.name).toBe(to);
    expect(r.actions).toEqual(actions);
  });

  test(`covers ${STATES.length} states × ${Object.keys(EVENTS).length} events`, () => {
    expect(ROWS).toHaveLength(STATES.length * Object.keys(EVENTS).length);
  });
});

describe('connection state kept across steps', () => {
  test('ManualStart zeroes ConnectRetryCounter; errors increment it; ManualStop zeroes it (§8.2.2)', () => {
    const failed = run(CFG, [...PATH.OpenSent, { type: 'HoldTimerExpires' }]);
    expect(failed.connectRetryCounter).toBe(1);
    const again = run(CFG, [...PATH.OpenSent, { type: 'NotifMsg', notification: notif(6, 2) }], failed);
    expect(again.connectRetryCounter).toBe(1);
    expect(run(CFG, [{ type: 'ManualStop' }], run(CFG, PATH.OpenSent, failed)).connectRetryCounter).toBe(0);
  });

  test('leaving for Idle forgets the remote OPEN and the negotiated params', () => {
    const est = run(CFG, PATH.Established);
    expect(est.params?.holdTime).toBe(30);
    expect(est.remoteOpen?.routerId).toBe(REMOTE_ID);
    const down = step(est, { type: 'NotifMsg', notification: notif(6, 2) }, CFG).state;
    expect(down).toEqual({ name: 'Idle', connectRetryCounter: 1, delayOpenRunning: false });
  });

  test('an OPEN received while DelayOpen runs is answered with OPEN + KEEPALIVE (§8.2.2 Event 20)', () => {
    const s = run(DELAY, [...PATH.Connect, CONNECTED]);
    const r = step(s, { type: 'BgpOpen', open: remoteOpen() }, DELAY);
    expect(r.state).toMatchObject({ name: 'OpenConfirm', delayOpenRunning: false, params: { holdTime: 30 } });
    expect(r.actions.filter((a) => a.type === 'send').map((a) => a.message.type)).toEqual([
      'open',
      'keepalive',
    ]);
    // ... and the KEEPALIVE from the peer then establishes it.
    const est = step(r.state, { type: 'KeepAliveMsg' }, DELAY);
    expect(est.state.name).toBe('Established');
  });

  test('DelayOpen expiry sends OPEN; a later stray DelayOpen expiry is ignored', () => {
    const s = run(DELAY, [...PATH.Connect, CONNECTED, { type: 'DelayOpenTimerExpires' }]);
    expect(s).toMatchObject({ name: 'OpenSent', delayOpenRunning: false });
    expect(step(s, { type: 'DelayOpenTimerExpires' }, DELAY)).toEqual({ state: s, actions: [] });
  });

  test('the established action carries the params negotiated from both OPENs', () => {
    const r = step(run(CFG, PATH.OpenConfirm), { type: 'KeepAliveMsg' }, CFG);
    const est = r.actions.find((a) => a.type === 'established');
    expect(est?.type === 'established' && est.params).toMatchObject({
      holdTime: 30,
      peerAsn: REMOTE_AS,
      peerRouterId: REMOTE_ID,
      localAsn: LOCAL_AS,
      maxMessageLength: 4096,
      addPathRx: new Set(),
    });
  });
});

describe('hold time negotiation (RFC 4271 §4.2, §10)', () => {
  const cases = [
    { local: 90, remote: 30, keepalive: undefined, hold: 30, ka: 10 },
    { local: 30, remote: 90, keepalive: undefined, hold: 30, ka: 10 },
    { local: 90, remote: 90, keepalive: undefined, hold: 90, ka: 30 },
    { local: 3, remote: 90, keepalive: undefined, hold: 3, ka: 1 },
    { local: 10, remote: 10, keepalive: undefined, hold: 10, ka: 3 },
    { local: 90, remote: 90, keepalive: 5, hold: 90, ka: 5 },
    { local: 90, remote: 90, keepalive: 60, hold: 90, ka: 30 },
    { local: 90, remote: 90, keepalive: 0, hold: 90, ka: 30 },
  ];

  test.each(cases)('local $local, remote $remote, keepalive $keepalive → hold $hold, keepalive $ka', (c) => {
    const cfg: FsmConfig = {
      ...CFG,
      keepaliveTime: c.keepalive,
      localOpen: makeOpen({
        asn: LOCAL_AS,
        holdTime: c.local,
        routerId: LOCAL_ID,
        capabilities: caps(LOCAL_AS),
      }),
    };
    const sent = run(cfg, PATH.OpenSent);
    const r = step(sent, { type: 'BgpOpen', open: remoteOpen({ holdTime: c.remote }) }, cfg);
    expect(r.state.params?.holdTime).toBe(c.hold);
    expect(r.actions.filter((a) => a.type === 'startTimer')).toEqual([
      start('keepalive', c.ka),
      start('hold', c.hold),
    ]);
    expect(keepaliveSeconds(cfg, c.hold)).toBe(c.ka);
    const ka = step({ ...r.state, name: 'Established' }, { type: 'KeepaliveTimerExpires' }, cfg);
    expect(ka.actions).toEqual([SEND_KEEPALIVE, start('keepalive', c.ka)]);
  });

  describe.each([
    { local: 90, remote: 0 },
    { local: 0, remote: 90 },
  ])('hold time 0 (local $local, remote $remote): no keepalive and no hold timer', ({ local, remote }) => {
    const cfg: FsmConfig = {
      ...CFG,
      localOpen: makeOpen({
        asn: LOCAL_AS,
        holdTime: local,
        routerId: LOCAL_ID,
        capabilities: caps(LOCAL_AS),
      }),
    };
    const open: FsmEvent = { type: 'BgpOpen', open: remoteOpen({ holdTime: remote }) };

    test('OpenSent + OPEN stops the 240 s OpenSent hold timer and starts neither', () => {
      const r = step(run(cfg, PATH.OpenSent), open, cfg);
      expect(r.state.params?.holdTime).toBe(0);
      expect(r.actions).toEqual([stop('connectRetry'), stop('delayOpen'), SEND_KEEPALIVE, stop('hold')]);
    });

    test('KEEPALIVE, UPDATE and ROUTE-REFRESH restart no hold timer; a keepalive expiry sends once', () => {
      const oc = run(cfg, [...PATH.OpenSent, open]);
      const est = step(oc, { type: 'KeepAliveMsg' }, cfg);
      expect(est.state.name).toBe('Established');
      expect(est.actions).toEqual([expect.objectContaining({ type: 'established' })]);
      for (const e of ['KeepAliveMsg', 'UpdateMsg', 'RouteRefreshMsg'] as const)
        expect(step(est.state, { type: e }, cfg).actions).toEqual([]);
      expect(step(est.state, { type: 'KeepaliveTimerExpires' }, cfg).actions).toEqual([SEND_KEEPALIVE]);
    });
  });
});

describe('NOTIFICATIONs by state (RFC 4271 §6.5, §6.7, RFC 6608 §3)', () => {
  test.each([
    ['OpenSent', 'HoldTimerExpires', 4, 0],
    ['OpenConfirm', 'HoldTimerExpires', 4, 0],
    ['Established', 'HoldTimerExpires', 4, 0],
    ['OpenSent', 'KeepAliveMsg', 5, 1],
    ['OpenSent', 'UpdateMsg', 5, 1],
    ['OpenSent', 'RouteRefreshMsg', 5, 1],
    ['OpenConfirm', 'UpdateMsg', 5, 2],
    ['OpenConfirm', 'RouteRefreshMsg', 5, 2],
    ['OpenConfirm', 'BgpOpen', 5, 2],
    ['Established', 'BgpOpen', 5, 3],
  ] as const)('%s + %s sends %i/%i and goes Idle', (state, event, code, subcode) => {
    const e: FsmEvent = event === 'BgpOpen' ? { type: event, open: remoteOpen() } : { type: event };
    const r = step(run(CFG, PATH[state]), e, CFG);
    expect(r.state.name).toBe('Idle');
    const sent = r.actions.filter((a) => a.type === 'send');
    expect(sent).toEqual([send(notif(code, subcode))]);
  });
});
