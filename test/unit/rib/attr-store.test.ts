/**
 * Attribute interning: equal attribute sets share one AttrSet whatever the object identity or
 * field order, next hops are part of the identity, and reference counts drop a set with its last
 * path. Keys of octets: a canonical IPv4 key is the wire form; received octets key a set apart.
 */
import { describe, expect, test } from 'vitest';
import { AttrStore, attrKey, keyOctets } from '../../../src/rib/attr-store.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { AttrFlag, encodeAttributes } from '../../../src/wire/index.js';
import { seq, set } from './fixtures.js';

const base = (): RouteAttrs => ({
  origin: 0,
  asPath: [seq(65100, 65200), set(1, 2)],
  nextHop: '192.0.2.1',
  med: 10,
  communities: [(65100 << 16) | 1, (65100 << 16) | 2],
  largeCommunities: [[65100, 1, 2]],
  clusterList: ['10.0.0.1'],
});

describe('interning', () => {
  test('equal attributes in different objects (and field order) share one set', () => {
    const s = new AttrStore();
    const a = s.intern(base());
    const { med, origin, ...rest } = base();
    const b = s.intern({ med, ...rest, origin });
    expect(b).toBe(a);
    expect(a.refs).toBe(2);
    expect(s.size).toBe(1);
    expect(a.attrs).toEqual(base());
    expect(Object.isFrozen(a.attrs)).toBe(true);
  });

  test('unknown attributes in any order are the same set', () => {
    const x = { flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, code: 99, value: Uint8Array.of(1) };
    const y = { flags: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, code: 120, value: Uint8Array.of(2, 3) };
    expect(attrKey({ ...base(), unknown: [x, y] })).toBe(attrKey({ ...base(), unknown: [y, x] }));
  });

  test.each<[string, RouteAttrs]>([
    ['MED', { ...base(), med: 11 }],
    ['MED absent', { ...base(), med: undefined }],
    ['LOCAL_PREF', { ...base(), localPref: 100 }],
    ['a community', { ...base(), communities: [(65100 << 16) | 1] }],
    ['AS_SET instead of AS_SEQUENCE', { ...base(), asPath: [set(65100, 65200), set(1, 2)] }],
    ['a 4-octet AS', { ...base(), asPath: [seq(4200000000, 65200), set(1, 2)] }],
    ['ORIGIN', { ...base(), origin: 2 }],
    ['next hop', { ...base(), nextHop: '192.0.2.2' }],
    ['no next hop', { ...base(), nextHop: undefined }],
    ['IPv6 next hop', { ...base(), nextHop: 'fd00::1' }],
    ['link-local next hop', { ...base(), linkLocalNextHop: 'fe80::1' }],
    [
      'Partial bit of an unknown attribute',
      { ...base(), unknown: [{ flags: 0xe0, code: 99, value: Uint8Array.of(1) }] },
    ],
  ])('a different %s is a different set', (_, other) => {
    const s = new AttrStore();
    const a = s.intern(base());
    const b = s.intern(other);
    expect(b).not.toBe(a);
    expect(b.id).not.toBe(a.id);
    expect(s.size).toBe(2);
  });
});

describe('reference counts', () => {
  test('a set stays while any path holds it and is dropped with the last one', () => {
    const s = new AttrStore();
    const a = s.intern(base());
    s.ref(a);
    s.intern(base());
    expect(a.refs).toBe(3);
    s.release(a);
    s.release(a);
    expect(s.size).toBe(1);
    s.release(a);
    expect(s.size).toBe(0);
    const again = s.intern(base());
    expect(again).not.toBe(a);
    expect(again.refs).toBe(1);
  });

  test('ref() of a set from another store interns it here; release() of it changes no count', () => {
    const mine = new AttrStore();
    const theirs = new AttrStore();
    const kept = mine.intern(base());
    const foreign = theirs.intern(base());
    expect(mine.ref(foreign)).toBe(kept);
    expect([kept.refs, foreign.refs]).toEqual([2, 1]);
    mine.release(foreign);
    expect([kept.refs, foreign.refs]).toEqual([2, 1]);
    expect(mine.size).toBe(1);
  });

  test('a set already dropped: release() is a no-op, ref() interns it again', () => {
    const s = new AttrStore();
    const old = s.intern(base());
    s.release(old);
    const next = s.intern(base());
    s.release(old);
    expect(s.size).toBe(1);
    expect(s.intern(base())).toBe(next);
    s.release(next);
    s.release(next);
    expect(s.size).toBe(0);
    const revived = s.ref(old);
    expect(revived.refs).toBe(1);
    expect(s.intern(base())).toBe(revived);
  });
});

describe('keys of octets', () => {
  const ctx = (fourOctetAs: boolean) => ({
    fourOctetAs,
    addPathRx: new Set<never>(),
    addPathTx: new Set<never>(),
  });
  const ipv4 = (): RouteAttrs => ({ ...base(), clusterList: undefined });

  test("an IPv4 set's key is the path attributes a 4-octet-AS session is sent, NEXT_HOP included", () => {
    const s = new AttrStore();
    const a = s.intern(ipv4());
    const wire = encodeAttributes(ipv4(), ctx(true));
    expect(Buffer.from(keyOctets(a) ?? '', 'latin1').toString('hex')).toBe(
      Buffer.from(wire.after).toString('hex'),
    );
    // Another next hop family, or a link-local one beside it: no octets to copy.
    expect(keyOctets(s.intern({ ...ipv4(), nextHop: 'fd00::1' }))).toBeNull();
    expect(keyOctets(s.intern({ ...ipv4(), nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' }))).toBeNull();
    expect(keyOctets(s.intern({ origin: 0, asPath: [] }))).not.toBeNull();
  });

  test('received octets find the set without encoding; by session AS size and MP next hops', () => {
    const s = new AttrStore();
    const octets = encodeAttributes(ipv4(), ctx(true)).after;
    const k = s.receivedKey(octets, true);
    const a = s.internKeyed(k, ipv4());
    expect(s.internKeyed(s.receivedKey(Uint8Array.from(octets), true), ipv4())).toBe(a);
    expect(a.refs).toBe(2);
    expect(a.attrs).toEqual(ipv4());
    expect(keyOctets(a)).toBeNull(); // never copied out: only canonical keys are
    const others = [
      s.receivedKey(octets, false), // a 2-octet-AS session reads these octets otherwise (RFC 6793)
      s.receivedKey(octets, true, 'fd00::1'),
      s.receivedKey(octets, true, 'fd00::1', 'fe80::1'),
      s.receivedKey(octets, true, 'fd00::', '1'),
      attrKey(ipv4()),
    ];
    expect(new Set([k, ...others]).size).toBe(others.length + 1);
  });

  test('sets made in a row share an equal AS path and next hop; their own fields are kept', () => {
    const s = new AttrStore();
    const a = s.intern({ ...ipv4(), communities: [1] });
    const b = s.intern({ ...ipv4(), communities: [2] });
    expect(b.attrs.asPath).toBe(a.attrs.asPath);
    expect(b.attrs.communities).toEqual([2]);
    const c = s.intern({ ...ipv4(), asPath: [seq(65100, 65201)] });
    expect(c.attrs.asPath).toEqual([seq(65100, 65201)]);
    expect(Object.isFrozen(c.attrs)).toBe(true);
  });
});
