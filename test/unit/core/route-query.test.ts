/** `show routes` arguments: parse errors in words, longest-prefix match and more-specifics on a Loc-RIB. */
import { describe, expect, it } from 'vitest';
import { comparePrefixText, parseRouteQuery, selectRoutes } from '../../../src/core/route-query.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { keyFromText, keyToText } from '../../../src/rib/prefix-key.js';
import { AsPathSegmentType, Origin } from '../../../src/wire/index.js';
import { DECISION, peer } from './fixtures.js';

const error = (text: string, longer = false) => {
  const r = parseRouteQuery(text, longer);
  return 'error' in r ? r.error : null;
};

describe('parseRouteQuery', () => {
  it('takes prefixes and addresses of both families', () => {
    expect(parseRouteQuery('10.1.0.0/16')).toMatchObject({
      query: { kind: 'prefix', family: 4, length: 16 },
    });
    expect(parseRouteQuery('10.1.0.0/16', true)).toMatchObject({ query: { kind: 'longer', length: 16 } });
    expect(parseRouteQuery('fd00::1')).toMatchObject({ query: { kind: 'address', family: 6 } });
    expect(parseRouteQuery(' 0.0.0.0/0 ')).toMatchObject({ query: { kind: 'prefix', length: 0 } });
  });

  it('says why a text is not one', () => {
    expect(error('10.1.1.1/16')).toBe("'10.1.1.1/16' has host bits set: the prefix is 10.1.0.0/16");
    expect(error('10.1.0.0/33')).toBe("'10.1.0.0/33': the prefix length must be a number from 0 to 32");
    expect(error('fd00::/129')).toBe("'fd00::/129': the prefix length must be a number from 0 to 128");
    expect(error('10.1.0.0/x')).toBe("'10.1.0.0/x': the prefix length must be a number from 0 to 32");
    expect(error('256.1.0.0/8')).toBe("'256.1.0.0/8': '256.1.0.0' is not an IPv4 or IPv6 address");
    expect(error('leaf1')).toBe("'leaf1' is neither an IPv4 or IPv6 address nor a prefix");
    expect(error('10.1.1.1', true)).toBe(
      "--longer needs a prefix (ADDRESS/LENGTH), not the address '10.1.1.1'",
    );
  });
});

describe('selectRoutes', () => {
  const rib = new LocRib();
  const from = peer(2, 65002);
  const attrs = {
    origin: Origin.IGP,
    asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65002] }],
    nextHop: '192.0.2.2',
  };
  for (const p of [
    '10.0.0.0/8',
    '10.1.0.0/16',
    '10.1.2.0/24',
    '10.1.2.128/25',
    '10.2.0.0/16',
    'fd00::/8',
    'fd00:1::/32',
  ]) {
    const k = keyFromText(p)!;
    rib.update(k.family, k.key, from, 0, attrs);
  }
  // A more-specific whose only path's next hop is unreachable forwards nothing.
  const dead = keyFromText('10.3.3.0/24')!;
  rib.update(4, dead.key, from, 0, { ...attrs, nextHop: '203.0.113.1' });
  rib.decide({ ...DECISION, reachable: (p) => p.attrs.attrs.nextHop !== '203.0.113.1' });
  const pick = (text: string, longer = false) => {
    const r = parseRouteQuery(text, longer);
    if ('error' in r) throw new Error(r.error);
    return selectRoutes(rib, r.query).map((d) => keyToText(d.family, d.key));
  };

  it('an address: the longest prefix with a best path', () => {
    expect(pick('10.1.2.200')).toEqual(['10.1.2.128/25']);
    expect(pick('10.1.2.1')).toEqual(['10.1.2.0/24']);
    expect(pick('10.1.3.1')).toEqual(['10.1.0.0/16']);
    expect(pick('10.9.9.9')).toEqual(['10.0.0.0/8']);
    expect(pick('11.0.0.1')).toEqual([]);
    expect(pick('10.3.3.3')).toEqual(['10.0.0.0/8']);
    expect(pick('fd00:1::5')).toEqual(['fd00:1::/32']);
    expect(pick('fd99::5')).toEqual(['fd00::/8']);
  });

  it('a prefix: exactly it, or with longer it and its more-specifics in address order (usable or not)', () => {
    expect(pick('10.1.0.0/16')).toEqual(['10.1.0.0/16']);
    expect(pick('10.1.0.0/17')).toEqual([]);
    expect(pick('10.1.0.0/16', true)).toEqual(['10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25']);
    expect(pick('10.0.0.0/7', true)).toEqual([
      '10.0.0.0/8',
      '10.1.0.0/16',
      '10.1.2.0/24',
      '10.1.2.128/25',
      '10.2.0.0/16',
      '10.3.3.0/24',
    ]);
    expect(pick('10.1.2.0/25', true)).toEqual([]);
    expect(pick('::/0', true)).toEqual(['fd00::/8', 'fd00:1::/32']);
  });

  it('orders textual prefixes IPv4 first, by address then length', () => {
    expect(
      ['fd00::/8', '10.1.0.0/16', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.0/16'].sort(comparePrefixText),
    ).toEqual(['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '10.1.0.0/16', 'fd00::/8']);
  });
});
