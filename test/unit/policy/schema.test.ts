import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  asPathRegexSource,
  checkPolicyReferences,
  parseCommunity,
  parseCommunityPattern,
  parseLargeCommunity,
  parsePrefixRange,
  policiesSchema,
  policyNamesSchema,
} from '../../../src/policy/index.js';
import { problems } from './helpers.js';

describe('policies schema', () => {
  it('normalizes a full policy: ranges as {prefix, ge, le}, one-or-many as lists, shorthands', () => {
    const out = policiesSchema.parse(
      parse(`
from-tor:
  default: reject
  terms:
    - name: pods
      match:
        prefix-list: ["10.244.0.0/16 ge 24 le 26", { prefix: "fd00:244::/48", le: 64 }, "192.0.2.0/24"]
        community: [65000:1, no-export, "65000:*"]
        large-community: "65000:1:*"
        as-path-contains: 65001
        as-path-regex: _65001$
        next-hop: [10.0.0.1, 10.1.0.0/16]
        neighbor: fd00::1
        family: ipv4-unicast
        origin: igp
      then:
        action: accept
        local-pref: 200
        med: "+10"
        next-hop: self
        community: { add: [65000:100], remove: ["65000:*"], set: [] }
        large-community: { add: "65000:0:1" }
        prepend: 2
        origin: incomplete
    - name: others
      then: reject
short:
  - name: all
    then: { prepend: { asn: 65099, count: 3 } }
`),
    );
    expect(out['from-tor'].default).toBe('reject');
    const [pods, others] = out['from-tor'].terms;
    expect(pods.match?.['prefix-list']).toEqual([
      { prefix: '10.244.0.0/16', ge: 24, le: 26 },
      { prefix: 'fd00:244::/48', ge: 48, le: 64 },
      { prefix: '192.0.2.0/24', ge: 24, le: 24 },
    ]);
    expect(pods.match?.['as-path-contains']).toEqual([65001]);
    expect(pods.match?.['large-community']).toEqual(['65000:1:*']);
    expect(pods.match?.neighbor).toEqual(['fd00::1']);
    expect(pods.then).toMatchObject({ med: '+10', prepend: { count: 2 }, 'next-hop': 'self' });
    expect(pods.then?.['large-community']).toEqual({ add: ['65000:0:1'] });
    expect(others.then).toEqual({ action: 'reject' });
    expect(out.short.default).toBe('accept');
    expect(out.short.terms).toHaveLength(1);
    expect(out.short.terms[0].then).toEqual({ prepend: { asn: 65099, count: 3 } });
  });

  it('defaults: accept, no terms', () => {
    expect(policiesSchema.parse({ p: {} })).toEqual({ p: { default: 'accept', terms: [] } });
    expect(policiesSchema.parse({ p: { default: 'reject' } })).toEqual({
      p: { default: 'reject', terms: [] },
    });
  });

  it('rejects unknown keys at every level, with the path of the key', () => {
    expect(problems('p: { terms: [], defualt: reject }')).toEqual(['p: Unrecognized key: "defualt"']);
    expect(problems('p: [{ name: a, mtach: {} }]')).toEqual(['p.0: Unrecognized key: "mtach"']);
    expect(problems('p: [{ name: a, match: { prefix: 10.0.0.0/8 } }]')).toEqual([
      'p.0.match: Unrecognized key: "prefix"',
    ]);
    expect(problems('p: { terms: [{ name: a, then: { localpref: 1 } }] }')).toEqual([
      'p.terms.0.then: Unrecognized key: "localpref"',
    ]);
    expect(problems('p: [{ name: a, then: { community: { append: ["1:1"] } } }]')).toEqual([
      'p.0.then.community: Unrecognized key: "append"',
    ]);
    expect(problems('p: [{ name: a, match: { prefix-list: [{ prefix: 10.0.0.0/8, lt: 9 }] } }]')).toEqual([
      'p.0.match.prefix-list.0: Unrecognized key: "lt"',
    ]);
  });

  it.each([
    ['10.0.0.0/8 ge 7', 'ge 7 is shorter than the prefix length 8'],
    ['10.0.0.0/8 le 33', 'le 33 is longer than 32 bits'],
    ['10.0.0.0/8 ge 24 le 16', 'ge 24 is greater than le 16'],
    ['10.0.0.0/8 le 7', 'ge 8 is greater than le 7'],
    ['10.0.0.1/8', 'host bits of 10.0.0.1/8 must be zero (did you mean 10.0.0.0/8?)'],
    ['10.0.0.0/33', "'10.0.0.0/33' is not a prefix like 10.0.0.0/8 or fd00::/8"],
    ['10.0.0.0/8 ge', "'10.0.0.0/8 ge' must read PREFIX [ge N] [le N] (N from 0 to 128)"],
    ['10.0.0.0/8 eq 8', "'10.0.0.0/8 eq 8' must read PREFIX [ge N] [le N] (N from 0 to 128)"],
    ['10.0.0.0/8 le 16 le 24', "'10.0.0.0/8 le 16 le 24' repeats le"],
    ['fd00::/16 ge 8', 'ge 8 is shorter than the prefix length 16'],
    ['fd00::/16 le 129', "'fd00::/16 le 129' must read PREFIX [ge N] [le N] (N from 0 to 128)"],
    ['fd00::/16 ge 65 le 64', 'ge 65 is greater than le 64'],
    ['fd00::1/16', 'host bits of fd00::1/16 must be zero (did you mean fd00::/16?)'],
  ])('prefix-list %s → %s', (entry, message) => {
    expect(problems(`p: [{ name: a, match: { prefix-list: ["${entry}"] } }]`)).toEqual([
      `p.0.match.prefix-list.0: ${message}`,
    ]);
  });

  it('checks object prefix entries the same way', () => {
    expect(problems('p: [{ name: a, match: { prefix-list: [{ prefix: fd00::/64, ge: 48 }] } }]')).toEqual([
      'p.0.match.prefix-list.0: ge 48 is shorter than the prefix length 64',
    ]);
    expect(
      problems('p: [{ name: a, match: { prefix-list: { prefix: 10.0.0.0/8, ge: 30, le: 29 } } }]'),
    ).toEqual(['p.0.match.prefix-list: ge 30 is greater than le 29']);
    expect(problems('p: [{ name: a, match: { prefix-list: [{ prefix: 0.0.0.0/0, le: 32 }] } }]')).toEqual([]);
    expect(problems('p: [{ name: a, match: { prefix-list: [{ prefix: ::/0, ge: 128 }] } }]')).toEqual([]);
  });

  it('names the bad value of each match condition and action', () => {
    const cases: [string, string][] = [
      ['match: { community: ["65536:1"] }', 'p.0.match.community.0: '],
      ['match: { community: no-exprot }', 'p.0.match.community: '],
      ['match: { large-community: ["1:2"] }', 'p.0.match.large-community.0: '],
      ['match: { as-path-contains: [0] }', 'p.0.match.as-path-contains.0: '],
      ['match: { as-path-regex: "_(65001$" }', 'p.0.match.as-path-regex: invalid regex'],
      ['match: { next-hop: 10.0.0.256 }', "p.0.match.next-hop: '10.0.0.256' is not an address or a prefix"],
      ['match: { neighbor: [10.0.0.1/24] }', 'p.0.match.neighbor.0: host bits'],
      ['match: { family: ipv4-multicast }', 'p.0.match.family: '],
      ['match: { origin: bgp }', 'p.0.match.origin: '],
      ['then: acept', 'p.0.then: '],
      ['then: { action: allow }', 'p.0.then.action: '],
      ['then: { local-pref: -1 }', 'p.0.then.local-pref: '],
      ['then: { med: "*2" }', 'p.0.then.med: must be a number, "+N" or "-N"'],
      ['then: { med: 4294967296 }', 'p.0.then.med: '],
      ['then: { next-hop: peer }', 'p.0.then.next-hop: must be an IPv4 or IPv6 address or self'],
      ['then: { community: { add: ["65000:*"] } }', 'p.0.then.community.add.0: '],
      ['then: { community: {} }', 'p.0.then.community: needs add, remove or set'],
      ['then: { large-community: { set: ["1:2:x"] } }', 'p.0.then.large-community.set.0: '],
      ['then: { prepend: 0 }', 'p.0.then.prepend: '],
      ['then: { prepend: { asn: 65001, times: 2 } }', 'p.0.then.prepend: Unrecognized key: "times"'],
      ['then: { origin: bgp }', 'p.0.then.origin: '],
    ];
    for (const [term, expected] of cases) {
      const got = problems(`p: [{ name: a, ${term} }]`);
      expect(got, term).toHaveLength(1);
      expect(got[0].startsWith(expected), `${term} → ${got[0]}`).toBe(true);
    }
  });

  it('requires term names, unique within a policy, and valid policy names', () => {
    expect(problems('p: [{ then: accept }]')[0]).toMatch(/^p\.0\.name: /);
    expect(problems('p: [{ name: a }, { name: b }, { name: a }]')).toEqual([
      "p.2.name: duplicate term name 'a'",
    ]);
    expect(problems('"bad name": []')).toEqual(['bad name: Invalid key in record']);
    expect(problems('p: accept')).toEqual(['p: Invalid input: expected object, received string']);
  });

  it('policy name lists accept one name or a list', () => {
    expect(policyNamesSchema.parse('a')).toEqual(['a']);
    expect(policyNamesSchema.parse(['a', 'b'])).toEqual(['a', 'b']);
    expect(policyNamesSchema.safeParse([]).success).toBe(false);
  });
});

describe('policy references', () => {
  it('lists every unknown name with its path', () => {
    const defined = { a: {}, b: {} };
    expect(checkPolicyReferences(['a', 'b'], defined)).toEqual([]);
    expect(
      checkPolicyReferences(['a', { name: 'c', path: ['neighbors', 1, 'import', 0] }, 'd'], defined),
    ).toEqual([
      { path: ['neighbors', 1, 'import', 0], message: "unknown policy 'c' (defined: a, b)" },
      { path: [], message: "unknown policy 'd' (defined: a, b)" },
    ]);
    expect(checkPolicyReferences(['x'], undefined)).toEqual([
      { path: [], message: "unknown policy 'x' (no policies are defined)" },
    ]);
    expect(checkPolicyReferences(['x'], new Map([['x', 1]]))).toEqual([]);
  });
});

describe('text forms', () => {
  it('communities: AS:value and the IANA well-known names', () => {
    expect(parseCommunity('65000:1')).toBe(65000 * 65536 + 1);
    expect(parseCommunity('0:0')).toBe(0);
    expect(parseCommunity('65535:65535')).toBe(0xffffffff);
    expect(parseCommunity('no-export')).toBe(0xffffff01);
    expect(parseCommunity('no-advertise')).toBe(0xffffff02);
    expect(parseCommunity('no-export-subconfed')).toBe(0xffffff03);
    expect(parseCommunity('blackhole')).toBe(0xffff029a);
    expect(parseCommunity('graceful-shutdown')).toBe(0xffff0000);
    for (const bad of ['65536:1', '1:65536', '1', '1:2:3', 'a:b', '-1:0', ':1', 'no_export'])
      expect(parseCommunity(bad), bad).toBe(-1);
    expect(parseCommunityPattern('65000:*')).toEqual({ value: 65000 * 65536, mask: 0xffff0000 });
    expect(parseCommunityPattern('*:666')).toEqual({ value: 666, mask: 0xffff });
    expect(parseCommunityPattern('*:*')).toEqual({ value: 0, mask: 0 });
  });

  it('large communities: three 32-bit parts', () => {
    expect(parseLargeCommunity('4294967295:0:1')).toEqual([4294967295, 0, 1]);
    expect(parseLargeCommunity('4294967296:0:1')).toBeNull();
    expect(parseLargeCommunity('1:2')).toBeNull();
  });

  it('prefix ranges: exact, le only, ge only', () => {
    expect(parsePrefixRange('10.0.0.0/8')).toEqual({ prefix: '10.0.0.0/8', ge: 8, le: 8 });
    expect(parsePrefixRange('10.0.0.0/8 le 24')).toEqual({ prefix: '10.0.0.0/8', ge: 8, le: 24 });
    expect(parsePrefixRange('10.0.0.0/8 ge 24')).toEqual({ prefix: '10.0.0.0/8', ge: 24, le: 32 });
    expect(parsePrefixRange('  10.0.0.0/8   le 24 ge 16 ')).toEqual({ prefix: '10.0.0.0/8', ge: 16, le: 24 });
    expect(parsePrefixRange('FD00:0::/8 ge 128')).toEqual({ prefix: 'fd00::/8', ge: 128, le: 128 });
  });

  it('AS-path regex: _ becomes separator-or-end outside classes, the separators inside', () => {
    expect(asPathRegexSource('_65001$')).toBe('(?:^|[ ,{}()\\[\\]]|$)65001$');
    expect(asPathRegexSource('^[0-9_]+$')).toBe('^[0-9 ,{}()\\[\\]]+$');
    expect(asPathRegexSource('\\_')).toBe('\\_');
  });
});
