import { describe, expect, it } from 'vitest';
import { asPathText, evaluate, type PolicyRoute } from '../../../src/policy/index.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { AsPathSegmentType } from '../../../src/wire/index.js';
import { peer, policy, route } from './helpers.js';

const SEQ = AsPathSegmentType.AS_SEQUENCE;
const SET = AsPathSegmentType.AS_SET;
const CONFED_SEQ = AsPathSegmentType.AS_CONFED_SEQUENCE;
const CONFED_SET = AsPathSegmentType.AS_CONFED_SET;

/** Whether a one-term policy with this `match` (then accept; default reject) matches the route. */
function matches(match: string, r: PolicyRoute): boolean {
  const p = policy(`default: reject\nterms: [{ name: t, match: ${match}, then: accept }]`);
  const res = evaluate(p, r);
  if (res.action === 'accept') expect(res.matchedTerm).toBe('t');
  return res.action === 'accept';
}

const seq = (...asns: number[]) => ({ type: SEQ, asns });
const withAttrs = (attrs: RouteAttrs, prefix = '10.1.0.0/24') => route(prefix, attrs);

describe('match conditions', () => {
  it('no match block matches every route', () => {
    const p = policy('default: reject\nterms: [{ name: all, then: accept }]');
    expect(evaluate(p, route('0.0.0.0/0')).action).toBe('accept');
    expect(evaluate(p, route('fd00::/8')).action).toBe('accept');
  });

  it('prefix-list: any entry, IPv4 and IPv6 in one list', () => {
    const m = '{ prefix-list: ["10.0.0.0/8 le 24", "fd00::/16 ge 48 le 64"] }';
    expect(matches(m, route('10.1.0.0/24'))).toBe(true);
    expect(matches(m, route('10.1.0.0/25'))).toBe(false);
    expect(matches(m, route('11.0.0.0/8'))).toBe(false);
    expect(matches(m, route('fd00:1:2::/48'))).toBe(true);
    expect(matches(m, route('fd00:1:2:3::/64'))).toBe(true);
    expect(matches(m, route('fd00::/32'))).toBe(false);
    expect(matches(m, route('fd01::/48'))).toBe(false);
  });

  it('prefix-list: works from the prefix text when prefixBytes is absent', () => {
    const m = '{ prefix-list: ["10.0.0.0/8 le 24"] }';
    expect(matches(m, route('10.1.0.0/24', {}, peer(), false))).toBe(true);
    expect(matches(m, route('11.1.0.0/24', {}, peer(), false))).toBe(false);
  });

  it('prefix-list: an unparsable prefix text matches nothing, even 0.0.0.0/0 le 32', () => {
    const r = { ...route('10.0.0.0/8', {}, peer(), false), prefix: 'garbage' };
    expect(matches('{ prefix-list: ["0.0.0.0/0 le 32"] }', r)).toBe(false);
  });

  it('community: any of the listed, by value, well-known name or wildcard', () => {
    const c = (...v: number[]) => withAttrs({ communities: v });
    const c65000_1 = 65000 * 65536 + 1;
    expect(matches('{ community: ["65000:1", "65000:2"] }', c(5, c65000_1))).toBe(true);
    expect(matches('{ community: ["65000:1", "65000:2"] }', c(65000 * 65536 + 3))).toBe(false);
    expect(matches('{ community: "65000:1" }', withAttrs({}))).toBe(false);
    expect(matches('{ community: no-export }', c(0xffffff01))).toBe(true);
    expect(matches('{ community: no-advertise }', c(0xffffff02))).toBe(true);
    expect(matches('{ community: no-export-subconfed }', c(0xffffff03))).toBe(true);
    expect(matches('{ community: blackhole }', c(0xffff029a))).toBe(true);
    expect(matches('{ community: no-export }', c(0xffffff02, 0xffff029a))).toBe(false);
    expect(matches('{ community: "65000:*" }', c(65000 * 65536 + 777))).toBe(true);
    expect(matches('{ community: "65000:*" }', c(65001 * 65536 + 777))).toBe(false);
    expect(matches('{ community: "*:666" }', c(64512 * 65536 + 666))).toBe(true);
    expect(matches('{ community: "*:666" }', c(0xffffff01))).toBe(false);
  });

  it('large-community: exact and with * parts', () => {
    const r = withAttrs({
      largeCommunities: [
        [65000, 1, 2],
        [4200000000, 7, 8],
      ],
    });
    expect(matches('{ large-community: "65000:1:2" }', r)).toBe(true);
    expect(matches('{ large-community: "65000:1:3" }', r)).toBe(false);
    expect(matches('{ large-community: ["1:1:1", "4200000000:7:8"] }', r)).toBe(true);
    expect(matches('{ large-community: "4200000000:*:8" }', r)).toBe(true);
    expect(matches('{ large-community: "4200000000:*:9" }', r)).toBe(false);
    expect(matches('{ large-community: "65000:1:2" }', withAttrs({}))).toBe(false);
  });

  it('as-path-contains: anywhere, sets and confederation segments included', () => {
    const r = withAttrs({
      asPath: [{ type: CONFED_SEQ, asns: [65010] }, seq(65001, 65002), { type: SET, asns: [7, 8] }],
    });
    expect(matches('{ as-path-contains: 65002 }', r)).toBe(true);
    expect(matches('{ as-path-contains: 8 }', r)).toBe(true);
    expect(matches('{ as-path-contains: 65010 }', r)).toBe(true);
    expect(matches('{ as-path-contains: [1, 2] }', r)).toBe(false);
    expect(matches('{ as-path-contains: 65001 }', withAttrs({}))).toBe(false);
  });

  it('as-path-regex: FRR text form, _ as separator or end', () => {
    const r = withAttrs({ asPath: [seq(65003, 65002, 65001)] });
    expect(matches('{ as-path-regex: "_65001$" }', r)).toBe(true);
    expect(matches('{ as-path-regex: "^65003_" }', r)).toBe(true);
    expect(matches('{ as-path-regex: "_65002_" }', r)).toBe(true);
    expect(matches('{ as-path-regex: "_65003$" }', r)).toBe(false);
    // `_` keeps 65001 from matching inside 165001 or 650011.
    expect(matches('{ as-path-regex: "_65001_" }', withAttrs({ asPath: [seq(165001, 650011)] }))).toBe(false);
    expect(matches('{ as-path-regex: "65001" }', withAttrs({ asPath: [seq(165001)] }))).toBe(true);
    // An empty path is a locally originated route.
    expect(matches('{ as-path-regex: "^$" }', withAttrs({}))).toBe(true);
    expect(matches('{ as-path-regex: "^$" }', r)).toBe(false);
    // Sets print as {a,b}: `_` matches the braces and commas around a member.
    const set = withAttrs({ asPath: [seq(65001), { type: SET, asns: [7, 65002] }] });
    expect(matches('{ as-path-regex: "_65002_" }', set)).toBe(true);
    expect(matches('{ as-path-regex: "_7_" }', set)).toBe(true);
    expect(matches('{ as-path-regex: "^65001_[0-9]+$" }', set)).toBe(false);
  });

  it('as-path text is what FRR prints', () => {
    expect(
      asPathText([
        { type: CONFED_SEQ, asns: [1, 2] },
        { type: CONFED_SET, asns: [3, 4] },
        seq(5, 6),
        { type: SET, asns: [7, 8] },
      ]),
    ).toBe('(1 2) [3,4] 5 6 {7,8}');
    expect(asPathText(undefined)).toBe('');
  });

  it('next-hop: address or prefix, either family', () => {
    expect(matches('{ next-hop: 10.0.0.1 }', withAttrs({ nextHop: '10.0.0.1' }))).toBe(true);
    expect(matches('{ next-hop: 10.0.0.1 }', withAttrs({ nextHop: '10.0.0.2' }))).toBe(false);
    expect(matches('{ next-hop: 10.0.0.0/24 }', withAttrs({ nextHop: '10.0.0.200' }))).toBe(true);
    expect(matches('{ next-hop: 10.0.0.0/24 }', withAttrs({ nextHop: '10.0.1.1' }))).toBe(false);
    expect(matches('{ next-hop: 10.0.0.1 }', withAttrs({}))).toBe(false);
    const v6 = route('fd00:1::/64', { nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' });
    expect(matches('{ next-hop: [10.0.0.1, "fd00::/64"] }', v6)).toBe(true);
    expect(matches('{ next-hop: "FD00:0::1" }', v6)).toBe(true);
    expect(matches('{ next-hop: "fe80::/10" }', v6)).toBe(false);
  });

  it('neighbor: address or prefix; IPv4-mapped IPv6 peer addresses count as IPv4', () => {
    const r = (address: string) => route('10.1.0.0/24', {}, peer({ address }));
    expect(matches('{ neighbor: 192.0.2.1 }', r('192.0.2.1'))).toBe(true);
    expect(matches('{ neighbor: 192.0.2.1 }', r('192.0.2.2'))).toBe(false);
    expect(matches('{ neighbor: 192.0.2.0/30 }', r('192.0.2.3'))).toBe(true);
    expect(matches('{ neighbor: 192.0.2.0/30 }', r('192.0.2.4'))).toBe(false);
    expect(matches('{ neighbor: 192.0.2.1 }', r('::ffff:192.0.2.1'))).toBe(true);
    expect(matches('{ neighbor: "fd00::/64" }', r('fd00::9'))).toBe(true);
    expect(matches('{ neighbor: "fd00::/64" }', r('fd00:0:0:1::9'))).toBe(false);
  });

  it('neighbor: the answer per peer object is stable across evaluations', () => {
    const p = policy('default: reject\nterms: [{ name: t, match: { neighbor: 192.0.2.1 }, then: accept }]');
    const a = peer({ id: 1, address: '192.0.2.1' });
    const b = peer({ id: 2, address: '192.0.2.2' });
    for (let i = 0; i < 3; i++) {
      expect(evaluate(p, route('10.0.0.0/8', {}, a)).action).toBe('accept');
      expect(evaluate(p, route('10.0.0.0/8', {}, b)).action).toBe('reject');
    }
  });

  it('family and origin', () => {
    expect(matches('{ family: ipv4-unicast }', route('10.0.0.0/8'))).toBe(true);
    expect(matches('{ family: ipv4-unicast }', route('fd00::/8'))).toBe(false);
    expect(matches('{ family: ipv6-unicast }', route('fd00::/8'))).toBe(true);
    expect(matches('{ origin: igp }', withAttrs({ origin: 0 }))).toBe(true);
    expect(matches('{ origin: egp }', withAttrs({ origin: 1 }))).toBe(true);
    expect(matches('{ origin: incomplete }', withAttrs({ origin: 2 }))).toBe(true);
    expect(matches('{ origin: igp }', withAttrs({ origin: 2 }))).toBe(false);
    expect(matches('{ origin: igp }', withAttrs({}))).toBe(false);
  });

  it('all conditions must hold', () => {
    const m = '{ prefix-list: "10.0.0.0/8 le 32", community: "65000:1", neighbor: 192.0.2.1 }';
    const c = [65000 * 65536 + 1];
    expect(matches(m, route('10.1.0.0/24', { communities: c }))).toBe(true);
    expect(matches(m, route('10.1.0.0/24', {}))).toBe(false);
    expect(matches(m, route('11.1.0.0/24', { communities: c }))).toBe(false);
    expect(matches(m, route('10.1.0.0/24', { communities: c }, peer({ address: '192.0.2.9' })))).toBe(false);
  });
});
