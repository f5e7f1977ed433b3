/**
 * OPEN acceptance (RFC 4271 §6.2, RFC 6793 §4.2.1, RFC 6286 §2.2, RFC 5492 §3): which received OPEN
 * gets which NOTIFICATION, and the decoder-level OPEN errors (2/1, 2/6) reaching the FSM as
 * BgpMessageErr. Expected NOTIFICATION data is written by hand.
 */
import { describe, expect, test } from 'vitest';
import { type FsmConfig, step } from '../../../src/session/fsm.js';
import { checkOpen, type OpenPolicy, type PeerAsSpec } from '../../../src/session/open-check.js';
import {
  AS_TRANS,
  type Capability,
  decodeMessage,
  family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  makeOpen,
  type OpenMessage,
} from '../../../src/wire/index.js';
import { context, fromHex } from '../../helpers.js';
import { CFG, LOCAL_OPEN, notif, PATH, run, toIdle } from './fixtures.js';

const LOCAL_AS = 65001;
const POLICY: OpenPolicy = { localAsn: LOCAL_AS, routerId: '10.0.0.1', peerAs: 65002 };

const open = (p: {
  myAs: number;
  as4?: number;
  routerId?: string;
  capabilities?: Capability[];
}): OpenMessage => ({
  type: 'open',
  version: 4,
  myAs: p.myAs,
  holdTime: 90,
  routerId: p.routerId ?? '10.0.0.2',
  capabilities: [
    ...(p.capabilities ?? [{ kind: 'multiprotocol', family: IPV4_UNICAST }]),
    ...(p.as4 !== undefined ? [{ kind: 'four-octet-as' as const, asn: p.as4 }] : []),
  ],
});

describe('Bad Peer AS 2/2 (RFC 4271 §6.2)', () => {
  const cases: { peerAs: PeerAsSpec; remote: OpenMessage; ok: boolean; what: string }[] = [
    { peerAs: 65002, remote: open({ myAs: 65002 }), ok: true, what: 'fixed AS, 2-octet OPEN' },
    { peerAs: 65002, remote: open({ myAs: 65003 }), ok: false, what: 'fixed AS, other AS' },
    { peerAs: 65002, remote: open({ myAs: 65002, as4: 65002 }), ok: true, what: 'fixed AS, AS4 agrees' },
    {
      peerAs: 4200000001,
      remote: open({ myAs: AS_TRANS, as4: 4200000001 }),
      ok: true,
      what: '4-octet AS via capability, AS_TRANS in My AS',
    },
    {
      peerAs: 4200000001,
      remote: open({ myAs: AS_TRANS, as4: 4200000002 }),
      ok: false,
      what: '4-octet AS via capability, other AS',
    },
    {
      peerAs: 4200000001,
      remote: open({ myAs: AS_TRANS }),
      ok: false,
      what: 'AS_TRANS without the 4-octet capability',
    },
    {
      peerAs: AS_TRANS,
      remote: open({ myAs: AS_TRANS, as4: 4200000001 }),
      ok: false,
      what: 'AS_TRANS is not the AS',
    },
    {
      peerAs: 'internal',
      remote: open({ myAs: LOCAL_AS, routerId: '10.0.0.9' }),
      ok: true,
      what: 'internal, same AS',
    },
    { peerAs: 'internal', remote: open({ myAs: 65002 }), ok: false, what: 'internal, other AS' },
    { peerAs: 'external', remote: open({ myAs: 65002 }), ok: true, what: 'external, other AS' },
    {
      peerAs: 'external',
      remote: open({ myAs: LOCAL_AS, routerId: '10.0.0.9' }),
      ok: false,
      what: 'external, same AS',
    },
    { peerAs: 'any', remote: open({ myAs: LOCAL_AS, routerId: '10.0.0.9' }), ok: true, what: 'any, same AS' },
    { peerAs: 'any', remote: open({ myAs: AS_TRANS, as4: 4200000001 }), ok: true, what: 'any, 4-octet AS' },
  ];

  test.each(cases)('$what (peer AS $peerAs) → $ok', ({ peerAs, remote, ok }) => {
    expect(checkOpen(LOCAL_OPEN, remote, { ...POLICY, peerAs })).toEqual(ok ? null : notif(2, 2));
  });

  test('internal/external are judged on the 4-octet AS when our AS needs 4 octets', () => {
    const policy: OpenPolicy = { localAsn: 4200000001, routerId: '10.0.0.1', peerAs: 'internal' };
    expect(checkOpen(LOCAL_OPEN, open({ myAs: AS_TRANS, as4: 4200000001 }), policy)).toBeNull();
    expect(checkOpen(LOCAL_OPEN, open({ myAs: AS_TRANS, as4: 4200000002 }), policy)).toEqual(notif(2, 2));
  });
});

describe('Bad BGP Identifier 2/3 (RFC 6286 §2.2)', () => {
  test('our own identifier from inside our AS is rejected', () => {
    const policy: OpenPolicy = { ...POLICY, peerAs: 'internal' };
    expect(checkOpen(LOCAL_OPEN, open({ myAs: LOCAL_AS, routerId: '10.0.0.1' }), policy)).toEqual(
      notif(2, 3),
    );
  });

  test('the same identifier across ASes is allowed', () => {
    expect(checkOpen(LOCAL_OPEN, open({ myAs: 65002, routerId: '10.0.0.1' }), POLICY)).toBeNull();
  });

  test('identifier 0.0.0.0 is rejected by the decoder with 2/3', () => {
    const r = decodeMessage(fromHex(`${MARKER} 001d 01 # OPEN\n 04 fde9 005a 00000000 00`), context());
    expect(r.ok ? null : [r.error.code, r.error.subcode]).toEqual([2, 3]);
  });
});

describe('Unsupported Capability 2/7 (RFC 5492 §3)', () => {
  const local = makeOpen({
    asn: LOCAL_AS,
    holdTime: 90,
    routerId: '10.0.0.1',
    capabilities: [
      { kind: 'multiprotocol', family: IPV4_UNICAST },
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', asn: LOCAL_AS },
      { kind: 'add-path', families: [{ family: IPV4_UNICAST, mode: 3 }] },
    ],
  });

  test('a required capability the peer lacks: data is our capability, code + length + value', () => {
    const policy: OpenPolicy = { ...POLICY, requiredCapabilities: ['four-octet-as'] };
    expect(checkOpen(local, open({ myAs: 65002 }), policy)).toEqual(
      notif(2, 7, [0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9]),
    );
    expect(checkOpen(local, open({ myAs: 65002, as4: 65002 }), policy)).toBeNull();
  });

  test('several missing capabilities are all listed, in our OPEN order', () => {
    const policy: OpenPolicy = { ...POLICY, requiredCapabilities: ['add-path', 'route-refresh'] };
    expect(checkOpen(local, open({ myAs: 65002, as4: 65002 }), policy)).toEqual(
      notif(2, 7, [0x02, 0x00, 0x45, 0x04, 0x00, 0x01, 0x01, 0x03]),
    );
  });

  test('a required capability present only in their OPEN is enough', () => {
    const policy: OpenPolicy = { ...POLICY, requiredCapabilities: ['route-refresh'] };
    const remote = open({
      myAs: 65002,
      capabilities: [{ kind: 'multiprotocol', family: IPV4_UNICAST }, { kind: 'route-refresh' }],
    });
    expect(checkOpen(local, remote, policy)).toBeNull();
  });

  test('no address family in common: data is our multiprotocol capabilities', () => {
    const remote = open({ myAs: 65002, capabilities: [{ kind: 'multiprotocol', family: IPV6_UNICAST }] });
    expect(checkOpen(local, remote, POLICY)).toEqual(notif(2, 7, [0x01, 0x04, 0x00, 0x01, 0x00, 0x01]));
  });

  test('a peer without multiprotocol capability does IPv4 unicast (RFC 4760 §1): no common family with v6-only', () => {
    const v6 = makeOpen({
      asn: LOCAL_AS,
      holdTime: 90,
      routerId: '10.0.0.1',
      capabilities: [{ kind: 'multiprotocol', family: IPV6_UNICAST }],
    });
    expect(checkOpen(v6, open({ myAs: 65002, capabilities: [] }), POLICY)).toEqual(
      notif(2, 7, [0x01, 0x04, 0x00, 0x02, 0x00, 0x01]),
    );
    expect(checkOpen(LOCAL_OPEN, open({ myAs: 65002, capabilities: [] }), POLICY)).toBeNull();
  });

  test('one family in common is enough, unknown ones are ignored', () => {
    const remote = open({
      myAs: 65002,
      capabilities: [
        { kind: 'multiprotocol', family: family(25, 70) },
        { kind: 'multiprotocol', family: IPV4_UNICAST },
        { kind: 'unknown', code: 200, value: Uint8Array.of(1, 2) },
      ],
    });
    expect(checkOpen(local, remote, POLICY)).toBeNull();
  });
});

const MARKER = 'ffffffffffffffffffffffffffffffff';
/** OPEN from AS 65002, identifier 10.0.0.2, no optional parameters. */
const rawOpen = (version: string, hold: string) =>
  fromHex(`${MARKER} 001d 01 # header, 29 octets, OPEN\n ${version} fdea ${hold} 0a000002 00`);

describe('OPEN errors found by the decoder, then handed to the FSM as BgpMessageErr', () => {
  const cases = [
    { what: 'version 3', bytes: rawOpen('03', '005a'), code: 2, subcode: 1, data: [0x00, 0x04] },
    { what: 'version 5', bytes: rawOpen('05', '005a'), code: 2, subcode: 1, data: [0x00, 0x04] },
    { what: 'hold time 1', bytes: rawOpen('04', '0001'), code: 2, subcode: 6, data: [] },
    { what: 'hold time 2', bytes: rawOpen('04', '0002'), code: 2, subcode: 6, data: [] },
  ];

  test.each(cases)('$what → $code/$subcode', ({ bytes, code, subcode, data }) => {
    const r = decodeMessage(bytes, context());
    if (r.ok) throw new Error('decoded');
    expect([r.error.code, r.error.subcode, [...r.error.data]]).toEqual([code, subcode, data]);
  });

  test.each([
    { what: 'hold time 0', bytes: rawOpen('04', '0000'), hold: 0 },
    { what: 'hold time 3', bytes: rawOpen('04', '0003'), hold: 3 },
  ])('$what is acceptable', ({ bytes, hold }) => {
    const r = decodeMessage(bytes, context());
    expect(r.ok && r.message.type === 'open' && r.message.holdTime).toBe(hold);
  });

  const delay: FsmConfig = { ...CFG, delayOpenTime: 2 };
  test.each(
    cases.flatMap((c) => [
      { ...c, state: 'OpenSent', cfg: CFG, from: run(CFG, PATH.OpenSent) },
      {
        ...c,
        state: 'Connect + DelayOpen',
        cfg: delay,
        from: run(delay, [...PATH.Connect, { type: 'TcpConnected' }]),
      },
    ]),
  )(
    '$state + BgpMessageErr($what) sends exactly $code/$subcode',
    ({ bytes, code, subcode, data, cfg, from }) => {
      const r = decodeMessage(bytes, context());
      if (r.ok) throw new Error('decoded');
      const next = step(from, { type: 'BgpMessageErr', error: r.error }, cfg);
      expect(next.state.name).toBe('Idle');
      expect(next.actions).toEqual(toIdle(false, notif(code, subcode, data)));
    },
  );
});
