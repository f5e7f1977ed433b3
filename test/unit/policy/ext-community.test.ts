import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import {
  decodeExtCommunity,
  evaluate,
  formatExtCommunity,
  type PolicyResult,
  parseBandwidth,
  parseExtCommunity,
  parseExtCommunityPattern,
} from '../../../src/policy/index.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { policy, problems, route } from './helpers.js';

/**
 * Expected octets written out by hand from RFC 4360 §3.1-3.3 (type, sub-type, global, local),
 * RFC 5668 §2 and RFC 10005 §2 (an IEEE 754 float32: 1,250,000 = 1.19209… × 2^20 → 0x49989680).
 */
const RT_65000_100 = '00' + '02' + 'fde8' + '00000064';
const RT_AS4 = '02' + '02' + 'fa56ea00' + '0001'; // 4200000000 = 0xfa56ea00
const RT_IPV4 = '01' + '02' + '0a000001' + '0005';
const SOO_65000_1 = '00' + '03' + 'fde8' + '00000001';
const LB_65000_10MBPS = '40' + '04' + 'fde8' + '49989680';
const LB_TRANSITIVE = '00' + '04' + 'fde8' + '49989680'; // FRR's default encoding
const RT_65001_7 = '00' + '02' + 'fde9' + '00000007';
const OPAQUE = '030c000000000008'; // RFC 9012 encapsulation (VXLAN): neither rt, soo nor lb

const hexOf = (text: string) => {
  const c = parseExtCommunity(text);
  if (typeof c === 'string') throw new Error(c);
  return c.hex;
};
const messageOf = (text: string) => {
  const c = parseExtCommunity(text);
  return typeof c === 'string' ? c : `parsed: ${c.hex}`;
};

describe('extended community values', () => {
  it('encodes route targets and origins in the 2-octet AS, 4-octet AS and IPv4 forms', () => {
    expect(hexOf('rt:65000:100')).toBe(RT_65000_100);
    expect(hexOf('RT:65000:100')).toBe(RT_65000_100); // pasted from FRR's output
    expect(hexOf('rt:4200000000:1')).toBe(RT_AS4);
    expect(hexOf('rt:10.0.0.1:5')).toBe(RT_IPV4);
    expect(hexOf('soo:65000:1')).toBe(SOO_65000_1);
    expect(hexOf('ro:65000:1')).toBe(SOO_65000_1); // BIRD's spelling
    expect(hexOf('rt:65535:4294967295')).toBe('0002ffffffffffff');
    expect(hexOf('rt:65536:65535')).toBe('020200010000ffff'); // the smallest 4-octet AS
    expect(hexOf('0x030C000000000008')).toBe(OPAQUE);
  });

  it('encodes link bandwidth as a non-transitive float32 of bytes per second', () => {
    expect(hexOf('lb:65000:1250000')).toBe(LB_65000_10MBPS);
    expect(hexOf('lb:65000:10Mbps')).toBe(LB_65000_10MBPS);
    expect(hexOf('lb:65000:0.01gbps')).toBe(LB_65000_10MBPS);
    expect(hexOf('lb:65000:1.25e6')).toBe(LB_65000_10MBPS);
    expect(hexOf('lb:65000:0')).toBe('4004fde800000000');
    // A 4-octet AS does not fit the 2-octet field: AS_TRANS (23456 = 0x5ba0), as FRR does.
    expect(hexOf('lb:4200000000:1')).toBe('40045ba03f800000');
    expect(parseBandwidth('100Gbps')).toBe(Math.fround(12.5e9)); // float32: 12,499,999,744
    expect(parseBandwidth('-1')).toBe(-1);
    expect(parseBandwidth('1e39')).toBe(-1); // past float32
    expect(parseBandwidth('10 parsecs')).toBe(-1);
  });

  it('decodes and formats what it encodes, and unknown types as hex', () => {
    for (const text of [
      'rt:65000:100',
      'rt:4200000000:1',
      'rt:10.0.0.1:5',
      'soo:65000:1',
      'lb:65000:1250000',
    ])
      expect(formatExtCommunity(hexOf(text))).toBe(text);
    expect(decodeExtCommunity(LB_TRANSITIVE)).toMatchObject({ kind: 'lb', global: 65000, local: 1250000 });
    expect(decodeExtCommunity(RT_IPV4)).toEqual({ kind: 'rt', global: '10.0.0.1', local: 5, hex: RT_IPV4 });
    expect(formatExtCommunity(OPAQUE)).toBe(`0x${OPAQUE}`);
    // Non-transitive route target (0x40 0x02) is not a route target (RFC 4360 §4).
    expect(decodeExtCommunity('4002fde800000064').kind).toBe('hex');
  });

  it('says what is wrong with a malformed value', () => {
    expect(messageOf('rt:4200000000:70000')).toBe(
      "'rt:4200000000:70000': the local part of a 4-octet AS community is 0-65535",
    );
    expect(messageOf('rt:10.0.0.1:65536')).toBe(
      "'rt:10.0.0.1:65536': the local part of an IPv4-address community is 0-65535",
    );
    expect(messageOf('rt:65000:4294967296')).toContain('2-octet AS community is 0-4294967295');
    expect(messageOf('rt:4294967296:1')).toContain("'4294967296' is not an AS number");
    expect(messageOf('rt:10.0.0.256:1')).toContain('is not an AS number (0-4294967295) or an IPv4 address');
    expect(messageOf('lb:10.0.0.1:5')).toContain("'10.0.0.1' is not an AS number");
    expect(messageOf('lb:65000:fast')).toContain("'fast' is not a bandwidth");
    expect(messageOf('rt:65000:*')).toContain('* belongs in match and remove patterns');
    expect(messageOf('target:65000:1')).toMatch(/must be rt:GLOBAL:LOCAL, soo:GLOBAL:LOCAL/);
    expect(messageOf('rt:65000')).toMatch(/must be rt:/);
    expect(messageOf('0x0002fde8')).toMatch(/must be rt:/);
  });

  it('parses patterns with * in either part', () => {
    expect(parseExtCommunityPattern('rt:65000:*')).toEqual({ kind: 'rt', global: 65000, local: null });
    expect(parseExtCommunityPattern('rt:*:4294967295')).toEqual({
      kind: 'rt',
      global: null,
      local: 0xffffffff,
    });
    expect(parseExtCommunityPattern('soo:10.0.0.1:*')).toEqual({
      kind: 'soo',
      global: '10.0.0.1',
      local: null,
    });
    expect(parseExtCommunityPattern('lb:*:10Mbps')).toEqual({ kind: 'lb', global: null, local: 1250000 });
    expect(parseExtCommunityPattern('rt:4200000000:65536')).toMatch(/0-65535/);
    expect(parseExtCommunityPattern('lb:*:x')).toMatch(/not a bandwidth or \*/);
  });
});

/** Whether a one-term policy with this `match` (then accept; default reject) matches. */
function matches(match: string, ext: readonly string[] | undefined): boolean {
  const p = policy(`default: reject\nterms: [{ name: t, match: ${match}, then: accept }]`);
  const attrs: RouteAttrs = ext ? { extendedCommunities: ext } : {};
  return evaluate(p, route('10.1.0.0/24', attrs)).action === 'accept';
}

describe('match extended-community', () => {
  const both = [RT_65000_100, LB_65000_10MBPS];

  it('exact values, any of a list', () => {
    expect(matches('{ extended-community: "rt:65000:100" }', both)).toBe(true);
    expect(matches('{ extended-community: "rt:65000:101" }', both)).toBe(false);
    expect(matches('{ extended-community: ["soo:65000:100", "lb:65000:10Mbps"] }', both)).toBe(true);
    expect(matches('{ extended-community: "rt:65000:100" }', undefined)).toBe(false);
    expect(matches('{ extended-community: "rt:65000:100" }', [SOO_65000_1])).toBe(false);
    expect(matches('{ extended-community: "0x030c000000000008" }', [OPAQUE])).toBe(true);
  });

  it('wildcards, by kind, global and local part', () => {
    expect(matches('{ extended-community: "rt:65000:*" }', [RT_65000_100])).toBe(true);
    expect(matches('{ extended-community: "rt:*:100" }', [RT_65000_100])).toBe(true);
    expect(matches('{ extended-community: "rt:*:5" }', [RT_IPV4])).toBe(true);
    expect(matches('{ extended-community: "rt:*:*" }', [SOO_65000_1])).toBe(false);
    expect(matches('{ extended-community: "soo:*:*" }', [SOO_65000_1])).toBe(true);
    expect(matches('{ extended-community: "rt:10.0.0.1:*" }', [RT_IPV4])).toBe(true);
    expect(matches('{ extended-community: "rt:10.0.0.2:*" }', [RT_IPV4])).toBe(false);
    expect(matches('{ extended-community: "rt:4200000000:*" }', [RT_AS4])).toBe(true);
    expect(matches('{ extended-community: "lb:65000:*" }', [LB_TRANSITIVE])).toBe(true);
    expect(matches('{ extended-community: "lb:*:1250001" }', [LB_65000_10MBPS])).toBe(false);
  });

  it('an AS global part matches the 2-octet and 4-octet AS forms alike', () => {
    const as4Form = '0202' + '0000fde8' + '0064'; // rt:65000:100 in the RFC 5668 form
    expect(matches('{ extended-community: "rt:65000:100" }', [as4Form])).toBe(true);
    expect(matches('{ extended-community: "rt:65000:100" }', ['0102' + '0000fde8' + '0064'])).toBe(false);
  });

  it('any and all', () => {
    expect(matches('{ extended-community: { all: ["rt:65000:100", "lb:*:*"] } }', both)).toBe(true);
    expect(matches('{ extended-community: { all: ["rt:65000:100", "soo:*:*"] } }', both)).toBe(false);
    expect(matches('{ extended-community: { any: ["soo:*:*", "lb:*:*"] } }', both)).toBe(true);
    expect(matches('{ extended-community: { any: "soo:*:*", all: "rt:*:*" } }', both)).toBe(false);
    expect(matches('{ extended-community: { any: "lb:*:*", all: "rt:*:*" } }', both)).toBe(true);
  });
});

/** Applies `then` (a YAML flow map) in a single accepting term. */
function apply(then: string, attrs: RouteAttrs): PolicyResult {
  const r = evaluate(policy(`[{ name: t, then: ${then} }]`), route('10.1.0.0/24', attrs));
  expect(r.action).toBe('accept');
  return r;
}

describe('then extended-community', () => {
  const attrs: RouteAttrs = { extendedCommunities: [RT_65000_100, RT_65001_7, OPAQUE], med: 1 };

  it('add appends what is absent; the same list keeps the input object', () => {
    expect(
      apply('{ extended-community: { add: ["lb:65000:10Mbps", "rt:65000:100"] } }', attrs).attrs
        .extendedCommunities,
    ).toEqual([RT_65000_100, RT_65001_7, OPAQUE, LB_65000_10MBPS]);
    expect(apply('{ extended-community: { add: "rt:65001:7" } }', attrs).attrs).toBe(attrs);
    expect(apply('{ extended-community: { add: "soo:65000:1" } }', {}).attrs).toEqual({
      extendedCommunities: [SOO_65000_1],
    });
  });

  it('remove deletes every match of its patterns; the last one drops the attribute', () => {
    expect(
      apply('{ extended-community: { remove: "rt:65000:*" } }', attrs).attrs.extendedCommunities,
    ).toEqual([RT_65001_7, OPAQUE]);
    expect(apply('{ extended-community: { remove: "rt:*:*" } }', attrs).attrs.extendedCommunities).toEqual([
      OPAQUE,
    ]);
    const cleared = apply(
      '{ extended-community: { remove: ["rt:*:*", "0x030c000000000008"] } }',
      attrs,
    ).attrs;
    expect(cleared).toEqual({ med: 1 });
    expect(apply('{ extended-community: { remove: "soo:*:*" } }', attrs).attrs).toBe(attrs);
  });

  it('set replaces, then remove, then add; set: [] clears', () => {
    expect(
      apply('{ extended-community: { set: ["rt:1:1", "rt:1:1", "lb:1:8"] } }', attrs).attrs
        .extendedCommunities,
    ).toEqual(['0002000100000001', '4004000141000000']);
    expect(
      apply(
        '{ extended-community: { set: ["rt:1:1", "rt:1:2"], remove: "rt:*:2", add: "soo:65000:1" } }',
        attrs,
      ).attrs.extendedCommunities,
    ).toEqual(['0002000100000001', SOO_65000_1]);
    expect('extendedCommunities' in apply('{ extended-community: { set: [] } }', attrs).attrs).toBe(false);
  });
});

describe('extended-community config errors', () => {
  it('names the bad entry in the policy schema', () => {
    const cases: [string, string][] = [
      ['match: { extended-community: ["rt:65000:1", "rt:x:1"] }', 'p.0.match.extended-community.1: '],
      ['match: { extended-community: { all: "lb:65000:fast" } }', 'p.0.match.extended-community.all: '],
      ['match: { extended-community: { some: "rt:*:*" } }', 'p.0.match.extended-community: Unrecognized key'],
      ['match: { extended-community: {} }', 'p.0.match.extended-community: needs any or all'],
      ['then: { extended-community: { add: "rt:65000:*" } }', 'p.0.then.extended-community.add: '],
      [
        'then: { extended-community: { set: ["rt:4200000000:65536"] } }',
        'p.0.then.extended-community.set.0: ',
      ],
      ['then: { extended-community: {} }', 'p.0.then.extended-community: needs add, remove or set'],
    ];
    for (const [term, expected] of cases) {
      const got = problems(`p: [{ name: a, ${term} }]`);
      expect(got, term).toHaveLength(1);
      expect(got[0].startsWith(expected), `${term} → ${got[0]}`).toBe(true);
    }
  });

  it('points at file, line and column of a malformed value', () => {
    const text = `router-id: 10.0.0.1
asn: 65001
policies:
  tag:
    - name: rt
      then:
        extended-community: { add: ["rt:65000:1", "rt:4200000000:70000"] }
`;
    let problemsSeen: readonly string[] = [];
    try {
      parseConfig(text, 'rack.yaml');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problemsSeen = e.problems;
    }
    expect(problemsSeen).toHaveLength(1);
    expect(problemsSeen[0]).toMatch(
      /^rack\.yaml:7:51: policies\.tag\[0\]\.then\.extended-community\.add\[1\]: 'rt:4200000000:70000': the local part of a 4-octet AS community is 0-65535/,
    );
  });
});
