/**
 * Who may receive a route (RFC 4271 §9.2, RFC 4456 §6) and whether it is stamped as a reflection
 * (RFC 4456 §8): the full matrix of sources {local, eBGP, iBGP client, iBGP non-client} ×
 * receivers {eBGP, iBGP client, iBGP non-client}, split horizon toward the sender, and the
 * RFC 1997 well-known communities NO_ADVERTISE, NO_EXPORT and NO_EXPORT_SUBCONFED.
 */
import { describe, expect, test } from 'vitest';
import { mayExport, rewrite, WellKnownCommunity } from '../../../src/rib/export-rules.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import { attrs, ebgp, exportOptions, ibgp, LOCAL, LOCAL_PEER, pathFactory } from './fixtures.js';

const mk = pathFactory();

type Kind = 'local' | 'eBGP' | 'iBGP client' | 'iBGP non-client';
const source = (k: Kind): PeerInfo => {
  switch (k) {
    case 'local':
      return LOCAL_PEER;
    case 'eBGP':
      return ebgp('10.1.0.1', 65100, { routerId: '1.0.0.1' });
    case 'iBGP client':
      return ibgp('10.2.0.1', true, { routerId: '2.0.0.1' });
    case 'iBGP non-client':
      return ibgp('10.3.0.1', false, { routerId: '3.0.0.1' });
  }
};
const receiver = (k: Exclude<Kind, 'local'>): PeerInfo => {
  switch (k) {
    case 'eBGP':
      return ebgp('10.4.0.1', 65200, { routerId: '4.0.0.1' });
    case 'iBGP client':
      return ibgp('10.5.0.1', true, { routerId: '5.0.0.1' });
    case 'iBGP non-client':
      return ibgp('10.6.0.1', false, { routerId: '6.0.0.1' });
  }
};

// [from, to, advertised, stamped as a reflection (ORIGINATOR_ID + CLUSTER_LIST)]
const MATRIX: [Kind, Exclude<Kind, 'local'>, boolean, boolean][] = [
  // Locally originated routes go to everyone, unreflected.
  ['local', 'eBGP', true, false],
  ['local', 'iBGP client', true, false],
  ['local', 'iBGP non-client', true, false],
  // RFC 4456 §6 (c): a route from an EBGP peer is sent to all clients and non-clients.
  ['eBGP', 'eBGP', true, false],
  ['eBGP', 'iBGP client', true, false],
  ['eBGP', 'iBGP non-client', true, false],
  // RFC 4456 §6 (b): a route from a client is reflected to all non-clients and also to clients.
  ['iBGP client', 'eBGP', true, false],
  ['iBGP client', 'iBGP client', true, true],
  ['iBGP client', 'iBGP non-client', true, true],
  // RFC 4456 §6 (a): a route from a non-client is reflected to clients only; RFC 4271 §9.2 split horizon.
  ['iBGP non-client', 'eBGP', true, false],
  ['iBGP non-client', 'iBGP client', true, true],
  ['iBGP non-client', 'iBGP non-client', false, false],
];

describe('RFC 4456 §6 reflection matrix', () => {
  test.each(MATRIX)('%s → %s: advertised %s, reflected %s', (fromKind, toKind, advertised, reflected) => {
    const from = source(fromKind);
    const to = receiver(toKind);
    const path = mk(from, attrs({ nextHop: '10.9.0.1' }));
    expect(mayExport(path, to)).toBe(advertised);
    if (!advertised) return;
    const out = rewrite(path, to, LOCAL, exportOptions(), 4);
    if (reflected) {
      expect(out.originatorId).toBe(from.routerId);
      expect(out.clusterList).toEqual([LOCAL.clusterId]);
    } else {
      expect(out.originatorId).toBeUndefined();
      expect(out.clusterList).toBeUndefined();
    }
  });

  test('the matrix covers every source × receiver pair once', () => {
    expect(new Set(MATRIX.map(([f, t]) => `${f}>${t}`)).size).toBe(4 * 3);
  });
});

describe('never back to the peer a route came from', () => {
  test.each(['eBGP', 'iBGP client', 'iBGP non-client'] as const)('%s', (k) => {
    const from = source(k);
    const path = mk(from, attrs());
    expect(mayExport(path, from)).toBe(false);
    const other = source(k);
    expect(mayExport(path, other)).toBe(k !== 'iBGP non-client');
  });
});

describe('RFC 1997 well-known communities', () => {
  const C = WellKnownCommunity;
  const ordinary = (65000 << 16) | 1;
  const tagged = (k: Kind, communities: number[]) => mk(source(k), attrs({ communities }));

  test.each(['local', 'eBGP', 'iBGP client', 'iBGP non-client'] as const)(
    'NO_ADVERTISE from %s: advertised to no peer at all',
    (k) => {
      const path = tagged(k, [ordinary, C.NO_ADVERTISE]);
      for (const to of ['eBGP', 'iBGP client', 'iBGP non-client'] as const)
        expect(mayExport(path, receiver(to))).toBe(false);
    },
  );

  test.each([
    ['NO_EXPORT', C.NO_EXPORT],
    ['NO_EXPORT_SUBCONFED', C.NO_EXPORT_SUBCONFED],
  ] as const)('%s: kept inside the AS (to clients and, when allowed, non-clients), never to eBGP', (_, c) => {
    for (const k of ['local', 'eBGP', 'iBGP client', 'iBGP non-client'] as const) {
      const path = tagged(k, [c]);
      expect(mayExport(path, receiver('eBGP'))).toBe(false);
      expect(mayExport(path, receiver('iBGP client'))).toBe(true);
      expect(mayExport(path, receiver('iBGP non-client'))).toBe(k !== 'iBGP non-client');
    }
  });

  test('other communities (ordinary, BLACKHOLE) do not restrict advertisement', () => {
    const path = tagged('eBGP', [ordinary, C.BLACKHOLE, 0xffff0000]);
    for (const to of ['eBGP', 'iBGP client', 'iBGP non-client'] as const)
      expect(mayExport(path, receiver(to))).toBe(true);
  });

  test('the values are the IANA well-known communities', () => {
    expect([C.NO_EXPORT, C.NO_ADVERTISE, C.NO_EXPORT_SUBCONFED, C.BLACKHOLE]).toEqual([
      0xffffff01, 0xffffff02, 0xffffff03, 0xffff029a,
    ]);
  });
});
