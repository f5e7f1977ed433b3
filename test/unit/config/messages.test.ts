/**
 * Config errors in the user's words, each with its exact file:line:col: wrong types, unknown keys
 * with a did-you-mean, leading zeros in IPv4 addresses, duplicate neighbors and overlapping listen
 * ranges, all at once and sorted by line and column.
 */
import { describe, expect, it } from 'vitest';
import { isValidatedConfig, parseConfig, validateConfig } from '../../../src/config/load.js';
import { closestKey, editDistance } from '../../../src/config/suggest.js';
import { configErrors } from '../support/problems.js';

const HEAD = 'router-id: 10.0.0.1\nasn: 65001\n';

describe('wrong types, in the words of the file', () => {
  it.each([
    ['asn: "65022"', 'rack.yaml:1:6: asn: expected a number, got the string "65022"'],
    ['asn: 1.5', 'rack.yaml:1:6: asn: expected a whole number, got the number 1.5'],
    ['asn:', 'rack.yaml:1:5: asn: expected a number, got an empty value'],
    ['asn: 0', 'rack.yaml:1:6: asn: must be at least 1, got the number 0'],
    ['asn: 4294967296', 'rack.yaml:1:6: asn: must be at most 4294967295, got the number 4294967296'],
    ['fib: "yes"', 'rack.yaml:1:6: fib: expected true or false, got the string "yes"'],
    ['metrics: true', 'rack.yaml:1:10: metrics: expected false or a mapping (key: value), got true'],
    ['listen: 179', 'rack.yaml:1:9: listen: expected a mapping (key: value), got the number 179'],
    ['networks: 10.0.0.0/8', 'rack.yaml:1:11: networks: expected a list, got the string "10.0.0.0/8"'],
    [
      'networks: [5]',
      'rack.yaml:1:12: networks[0]: expected text or a mapping (key: value), got the number 5',
    ],
  ])('%s', (line, error) => {
    const text = `${line}\nrouter-id: 10.0.0.1\n${line.startsWith('asn') ? '' : 'asn: 65001\n'}`;
    expect(configErrors(text)).toEqual([error]);
  });

  it('names the expected type inside neighbors, and a union by the branch the value fits', () => {
    expect(
      configErrors(`${HEAD}neighbors:
  - address: 10.1.1.11
    asn: 64512
    passive: 1
    password: 12345678
    graceful-restart: "yes"
    families: [ipv4]
    add-paths: { receive: "yes" }
listen-ranges:
  - { prefix: 10.2.0.0/24, asn: externl }
`),
    ).toEqual([
      'rack.yaml:6:14: neighbors[0].passive: expected true or false, got the number 1',
      'rack.yaml:7:15: neighbors[0].password: expected text, got the number 12345678',
      'rack.yaml:8:23: neighbors[0].graceful-restart: expected true or false, or a mapping (key: value), got the string "yes"',
      'rack.yaml:9:16: neighbors[0].families[0]: expected one of ipv4-unicast, ipv6-unicast, got the string "ipv4"',
      'rack.yaml:10:27: neighbors[0].add-paths.receive: expected true or false, got the string "yes"',
      'rack.yaml:12:33: listen-ranges[0].asn: expected a number or one of internal, external, got the string "externl" (did you mean \'external\'?)',
    ]);
  });

  it('says which key is missing, and needs at least one family', () => {
    expect(configErrors(`${HEAD}neighbors:\n  - { address: 10.1.1.11, families: [] }\n`)).toEqual([
      "rack.yaml:4:5: neighbors[0]: missing 'asn' (a number or one of internal, external)",
      'rack.yaml:4:37: neighbors[0].families: needs at least 1 entry',
    ]);
  });
});

describe('unknown keys', () => {
  it('suggest the nearest allowed key at that level', () => {
    expect(
      configErrors(`${HEAD}neighbours: []
api: { tokn: abcdefgh }
defaults: { hold_time: 9 }
neighbors:
  - { address: 10.1.1.11, asn: 64512, pasive: true, colour: blue }
policies:
  p: [{ name: t, match: { prefix-lst: 10.0.0.0/8 } }]
`),
    ).toEqual([
      "rack.yaml:3:1: neighbours: unknown key 'neighbours' (did you mean 'neighbors'?)",
      "rack.yaml:4:8: api.tokn: unknown key 'tokn' (did you mean 'token'?)",
      "rack.yaml:5:13: defaults.hold_time: unknown key 'hold_time' (did you mean 'hold-time'?)",
      "rack.yaml:7:39: neighbors[0].pasive: unknown key 'pasive' (did you mean 'passive'?)",
      "rack.yaml:7:53: neighbors[0].colour: unknown key 'colour'",
      "rack.yaml:9:27: policies.p[0].match.prefix-lst: unknown key 'prefix-lst' (did you mean 'prefix-list'?)",
    ]);
  });

  it('in a config object too (the library API), without positions', () => {
    expect(() => validateConfig({ 'router-id': '10.0.0.1', asn: 65001, neighbours: [] })).toThrow(
      "neighbours: unknown key 'neighbours' (did you mean 'neighbors'?)",
    );
  });

  it('distance counts a swap of neighbouring letters once; short keys need a closer match', () => {
    expect(editDistance('neighbours', 'neighbors')).toBe(1);
    expect(editDistance('pasive', 'passive')).toBe(1);
    expect(editDistance('hodl-time', 'hold-time')).toBe(1);
    expect(closestKey('hodl-time', ['hold-time', 'port'])).toBe('hold-time');
    expect(closestKey('as', ['asn', 'api'])).toBe('asn');
    expect(closestKey('xyz', ['asn', 'api'])).toBeUndefined();
    expect(closestKey('multihop', ['ebgp-multihop', 'passive'])).toBeUndefined();
  });
});

describe('IPv4 addresses with leading zeros', () => {
  it('are refused everywhere an address or prefix is accepted, with the fix', () => {
    expect(
      configErrors(`router-id: 010.0.0.1
asn: 65001
cluster-id: 10.0.0.01
listen: { address: [10.0.0.1, 192.168.001.1] }
networks: [010.1.0.0/16]
neighbors:
  - { address: 10.1.1.011, asn: 64512, source-address: 10.1.1.001 }
listen-ranges:
  - { prefix: 10.02.0.0/16, asn: internal }
`),
    ).toEqual([
      "rack.yaml:1:12: router-id: leading zeros are not allowed in '010.0.0.1' (some tools read 010 as octal 8): write 10.0.0.1",
      "rack.yaml:3:13: cluster-id: leading zeros are not allowed in '10.0.0.01' (some tools read 010 as octal 8): write 10.0.0.1",
      "rack.yaml:4:31: listen.address[1]: leading zeros are not allowed in '192.168.001.1' (some tools read 010 as octal 8): write 192.168.1.1",
      "rack.yaml:5:12: networks[0]: leading zeros are not allowed in '010.1.0.0' (some tools read 010 as octal 8): write 10.1.0.0/16",
      "rack.yaml:7:16: neighbors[0].address: leading zeros are not allowed in '10.1.1.011' (some tools read 010 as octal 8): write 10.1.1.11",
      "rack.yaml:7:56: neighbors[0].source-address: leading zeros are not allowed in '10.1.1.001' (some tools read 010 as octal 8): write 10.1.1.1",
      "rack.yaml:9:15: listen-ranges[0].prefix: leading zeros are not allowed in '10.02.0.0' (some tools read 010 as octal 8): write 10.2.0.0/16",
    ]);
  });

  it('in policies too (their own message)', () => {
    expect(configErrors(`${HEAD}policies:\n  p: [{ name: t, match: { neighbor: 010.1.1.1 } }]\n`)).toEqual([
      "rack.yaml:4:37: policies.p[0].match.neighbor: '010.1.1.1' is not an address or a prefix",
    ]);
  });
});

describe('entries that clash', () => {
  it('two neighbors with one address, in any text form', () => {
    expect(
      configErrors(`${HEAD}neighbors:
  - { address: fd00::1, asn: 64512 }
  - { address: 10.1.1.11, asn: 64512 }
  - { address: fd00:0::1, asn: 64513 }
  - { address: 10.1.1.11, asn: 64514 }
`),
    ).toEqual([
      'rack.yaml:6:16: neighbors[2].address: duplicate neighbor: fd00:0::1 is already neighbors[0] (fd00::1)',
      'rack.yaml:7:16: neighbors[3].address: duplicate neighbor: 10.1.1.11 is already neighbors[1]',
    ]);
  });

  it('listen ranges that overlap, and a listen address twice', () => {
    expect(
      configErrors(`${HEAD}listen: { address: ["::", 10.0.0.1, "0::"] }
listen-ranges:
  - { prefix: 10.2.0.0/16, asn: internal }
  - { prefix: fd00::/64, asn: internal }
  - { prefix: 10.2.3.0/24, asn: external }
`),
    ).toEqual([
      'rack.yaml:3:37: listen.address[2]: duplicate listen address: 0:: is already listen.address[0]',
      "rack.yaml:7:15: listen-ranges[2].prefix: overlaps listen-ranges[0] (10.2.0.0/16): an address in both would always get the first one's settings; make them disjoint",
    ]);
  });

  it('are reported with every other error, sorted by line then column', () => {
    expect(
      configErrors(`neighbors:
  - { address: 10.1.1.11, asn: 1.5 }
  - { address: 10.1.1.11, asn: 64512, pasive: true }
router-id: 10.0.0.1
asn: "65001"
`),
    ).toEqual([
      'rack.yaml:2:32: neighbors[0].asn: expected a whole number or one of internal, external, got the number 1.5',
      'rack.yaml:3:16: neighbors[1].address: duplicate neighbor: 10.1.1.11 is already neighbors[0]',
      "rack.yaml:3:39: neighbors[1].pasive: unknown key 'pasive' (did you mean 'passive'?)",
      'rack.yaml:5:6: asn: expected a number, got the string "65001"',
    ]);
  });
});

describe('validated configs', () => {
  it('carry a mark a copy does not', () => {
    const c = parseConfig(HEAD, 'rack.yaml');
    expect(isValidatedConfig(c)).toBe(true);
    expect(isValidatedConfig(validateConfig({ 'router-id': '10.0.0.1', asn: 1 }))).toBe(true);
    expect(isValidatedConfig({ ...c })).toBe(false);
    expect(isValidatedConfig(structuredClone(c))).toBe(false);
  });
});
