import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyResult, prependAsPath } from '../../../src/policy/index.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { AsPathSegmentType } from '../../../src/wire/index.js';
import { LOCAL_ASN, policy, route } from './helpers.js';

const SEQ = AsPathSegmentType.AS_SEQUENCE;
const SET = AsPathSegmentType.AS_SET;
const CONFED_SEQ = AsPathSegmentType.AS_CONFED_SEQUENCE;
const c = (hi: number, lo: number) => hi * 65536 + lo;

/** Applies `then` (a YAML flow map) in a single accepting term. */
function apply(then: string, attrs: RouteAttrs, prefix = '10.1.0.0/24'): PolicyResult {
  const r = evaluate(policy(`[{ name: t, then: ${then} }]`), route(prefix, attrs));
  expect(r.action).toBe('accept');
  return r;
}

describe('actions', () => {
  it('local-pref sets; the same value keeps the input object', () => {
    const attrs: RouteAttrs = { localPref: 100, med: 5 };
    const r = apply('{ local-pref: 200 }', attrs);
    expect(r.attrs).toEqual({ localPref: 200, med: 5 });
    expect(r.attrs).not.toBe(attrs);
    expect(apply('{ local-pref: 100 }', attrs).attrs).toBe(attrs);
    expect(apply('{ local-pref: 0 }', {}).attrs).toEqual({ localPref: 0 });
  });

  it('med: absolute, +N and -N relative (absent counts as 0), clamped to 0..2^32-1', () => {
    expect(apply('{ med: 50 }', { med: 10 }).attrs.med).toBe(50);
    expect(apply('{ med: "+5" }', { med: 10 }).attrs.med).toBe(15);
    expect(apply('{ med: "-5" }', { med: 10 }).attrs.med).toBe(5);
    expect(apply('{ med: "-50" }', { med: 10 }).attrs.med).toBe(0);
    expect(apply('{ med: "+7" }', {}).attrs.med).toBe(7);
    expect(apply('{ med: "+10" }', { med: 0xfffffffa }).attrs.med).toBe(0xffffffff);
    const attrs = { med: 10 };
    expect(apply('{ med: 10 }', attrs).attrs).toBe(attrs);
    expect(apply('{ med: "+0" }', attrs).attrs).toBe(attrs);
  });

  it('origin', () => {
    expect(apply('{ origin: incomplete }', { origin: 0 }).attrs.origin).toBe(2);
    expect(apply('{ origin: egp }', {}).attrs.origin).toBe(1);
  });

  it('next-hop address: applies to routes of its family, drops the old link-local', () => {
    expect(apply('{ next-hop: 10.9.9.9 }', { nextHop: '10.0.0.1' }).attrs.nextHop).toBe('10.9.9.9');
    const v6: RouteAttrs = { nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' };
    expect(apply('{ next-hop: "FD00:0::9" }', v6, 'fd00:1::/64').attrs).toEqual({ nextHop: 'fd00::9' });
    // An IPv4 next hop leaves IPv6 routes alone, and the other way round.
    expect(apply('{ next-hop: 10.9.9.9 }', v6, 'fd00:1::/64').attrs).toBe(v6);
    const v4 = { nextHop: '10.0.0.1' };
    expect(apply('{ next-hop: "fd00::9" }', v4).attrs).toBe(v4);
  });

  it('next-hop self: a marker for the caller, attrs untouched', () => {
    const attrs = { nextHop: '10.0.0.1' };
    const r = apply('{ next-hop: self }', attrs);
    expect(r.nextHopSelf).toBe(true);
    expect(r.attrs).toBe(attrs);
    expect(apply('{ local-pref: 1 }', attrs).nextHopSelf).toBeUndefined();
  });

  it('community add: appended when absent, no duplicates', () => {
    const attrs = { communities: [c(65000, 1)] };
    expect(
      apply('{ community: { add: ["65000:2", "65000:1", no-export] } }', attrs).attrs.communities,
    ).toEqual([c(65000, 1), c(65000, 2), 0xffffff01]);
    expect(apply('{ community: { add: "65000:1" } }', attrs).attrs).toBe(attrs);
    expect(apply('{ community: { add: blackhole } }', {}).attrs.communities).toEqual([0xffff029a]);
  });

  it('community remove: exact and wildcard; the last one removed drops the attribute', () => {
    const attrs = { communities: [c(65000, 1), c(65000, 2), c(65001, 1), 0xffffff01], med: 1 };
    expect(apply('{ community: { remove: "65000:*" } }', attrs).attrs.communities).toEqual([
      c(65001, 1),
      0xffffff01,
    ]);
    expect(apply('{ community: { remove: [no-export, "*:1"] } }', attrs).attrs.communities).toEqual([
      c(65000, 2),
    ]);
    const cleared = apply('{ community: { remove: "*:*" } }', attrs).attrs;
    expect(cleared).toEqual({ med: 1 });
    expect('communities' in cleared).toBe(false);
    expect(apply('{ community: { remove: "1:1" } }', attrs).attrs).toBe(attrs);
  });

  it('community set replaces (then remove, then add); set: [] clears', () => {
    const attrs = { communities: [c(1, 1), c(2, 2)] };
    expect(apply('{ community: { set: ["9:9", "8:8", "9:9"] } }', attrs).attrs.communities).toEqual([
      c(9, 9),
      c(8, 8),
    ]);
    expect(
      apply('{ community: { set: ["9:9", "8:8"], remove: "8:*", add: "7:7" } }', attrs).attrs.communities,
    ).toEqual([c(9, 9), c(7, 7)]);
    expect('communities' in apply('{ community: { set: [] } }', attrs).attrs).toBe(false);
    expect(apply('{ community: { set: ["1:1", "2:2"] } }', attrs).attrs).toBe(attrs);
  });

  it('large-community add, remove, set', () => {
    const attrs: RouteAttrs = {
      largeCommunities: [
        [65000, 1, 1],
        [65000, 2, 2],
      ],
    };
    expect(
      apply('{ large-community: { add: ["65000:3:3", "65000:1:1"] } }', attrs).attrs.largeCommunities,
    ).toEqual([
      [65000, 1, 1],
      [65000, 2, 2],
      [65000, 3, 3],
    ]);
    expect(apply('{ large-community: { remove: "65000:2:*" } }', attrs).attrs.largeCommunities).toEqual([
      [65000, 1, 1],
    ]);
    expect(apply('{ large-community: { set: ["1:2:3"] } }', attrs).attrs.largeCommunities).toEqual([
      [1, 2, 3],
    ]);
    expect('largeCommunities' in apply('{ large-community: { remove: "*:*:*" } }', attrs).attrs).toBe(false);
    expect(apply('{ large-community: { add: "65000:2:2" } }', attrs).attrs).toBe(attrs);
  });

  it('prepend: our AS by count, or a given AS', () => {
    const attrs: RouteAttrs = { asPath: [{ type: SEQ, asns: [65001] }] };
    expect(apply('{ prepend: 2 }', attrs).attrs.asPath).toEqual([
      { type: SEQ, asns: [LOCAL_ASN, LOCAL_ASN, 65001] },
    ]);
    expect(apply('{ prepend: { asn: 65099, count: 1 } }', attrs).attrs.asPath).toEqual([
      { type: SEQ, asns: [65099, 65001] },
    ]);
    expect(apply('{ prepend: { asn: 65099 } }', {}).attrs.asPath).toEqual([{ type: SEQ, asns: [65099] }]);
    expect(attrs.asPath).toEqual([{ type: SEQ, asns: [65001] }]);
  });

  it('prepend: a new segment before an AS_SET or a full sequence; after confederation segments', () => {
    expect(prependAsPath([{ type: SET, asns: [1, 2] }], 9, 1)).toEqual([
      { type: SEQ, asns: [9] },
      { type: SET, asns: [1, 2] },
    ]);
    const full = new Array<number>(254).fill(7);
    expect(prependAsPath([{ type: SEQ, asns: full }], 9, 2)).toEqual([
      { type: SEQ, asns: [9, 9] },
      { type: SEQ, asns: full },
    ]);
    expect(prependAsPath([{ type: SEQ, asns: full }], 9, 1)[0].asns).toHaveLength(255);
    expect(
      prependAsPath(
        [
          { type: CONFED_SEQ, asns: [65010] },
          { type: SEQ, asns: [1] },
        ],
        9,
        1,
      ),
    ).toEqual([
      { type: CONFED_SEQ, asns: [65010] },
      { type: SEQ, asns: [9, 1] },
    ]);
  });

  it('prepend is seen by a later as-path match in the same evaluation', () => {
    const p = policy(`default: reject
terms:
  - { name: pad, then: { prepend: { asn: 64999, count: 1 } } }
  - { name: check, match: { as-path-regex: "^64999_65001$" }, then: accept }`);
    const r = evaluate(p, route('10.0.0.0/8', { asPath: [{ type: SEQ, asns: [65001] }] }));
    expect(r).toMatchObject({ action: 'accept', matchedTerm: 'check' });
  });

  it('several actions in one term all apply, on one copy', () => {
    const attrs: RouteAttrs = { origin: 0, localPref: 100, communities: [c(1, 1)] };
    const r = apply(
      '{ local-pref: 300, med: 20, origin: egp, community: { add: "2:2" }, prepend: 1 }',
      attrs,
    );
    expect(r.attrs).toEqual({
      origin: 1,
      localPref: 300,
      med: 20,
      communities: [c(1, 1), c(2, 2)],
      asPath: [{ type: SEQ, asns: [LOCAL_ASN] }],
    });
  });
});
