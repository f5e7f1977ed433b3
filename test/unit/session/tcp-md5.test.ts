import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { parseConfig } from '../../../src/config/load.js';
import {
  encodeMd5Sig,
  gtsmHops,
  keyChanges,
  minTtlFor,
  synTtl,
  TCP_MD5SIG_SIZE,
  wantedKeys,
} from '../../../src/session/tcp-md5.js';
import { configErrors } from '../support/problems.js';

describe('struct tcp_md5sig', () => {
  it('encodes an IPv4 peer on an IPv4 socket: sockaddr_in, no flags, keylen, key at 136', () => {
    const b = encodeMd5Sig({ address: '10.1.2.3', password: 'calico' }, 4)!;
    expect(b.length).toBe(TCP_MD5SIG_SIZE);
    expect(b.readUInt16LE(0)).toBe(2); // AF_INET
    expect(b.readUInt16BE(2)).toBe(0); // port
    expect([...b.subarray(4, 8)]).toEqual([10, 1, 2, 3]);
    expect(b[128]).toBe(0); // tcpm_flags
    expect(b[129]).toBe(0); // tcpm_prefixlen
    expect(b.readUInt16LE(130)).toBe(6); // tcpm_keylen
    expect(b.readUInt32LE(132)).toBe(0); // ifindex
    expect(b.subarray(136, 142).toString()).toBe('calico');
    expect(b.subarray(142).every((x) => x === 0)).toBe(true);
  });

  it('maps an IPv4 peer on an IPv6 socket to ::ffff:a.b.c.d, keeping the IPv4 prefix length', () => {
    const b = encodeMd5Sig({ address: '172.20.0.0', prefixLength: 24, password: 'k' }, 6)!;
    expect(b.readUInt16LE(0)).toBe(10); // AF_INET6
    expect(b.subarray(8, 24).toString('hex')).toBe('00000000000000000000ffffac140000');
    expect(b[128]).toBe(1); // TCP_MD5SIG_FLAG_PREFIX
    expect(b[129]).toBe(24);
  });

  it('encodes an IPv6 peer, refuses it on an IPv4 socket, deletes with keylen 0', () => {
    const b = encodeMd5Sig({ address: 'fd00::2', password: 'x' }, 6)!;
    expect(b.subarray(8, 24).toString('hex')).toBe('fd000000000000000000000000000002');
    expect(encodeMd5Sig({ address: 'fd00::2', password: 'x' }, 4)).toBeNull();
    const del = encodeMd5Sig({ address: '10.1.2.3', password: null }, 4)!;
    expect(del.readUInt16LE(130)).toBe(0);
    expect(() => encodeMd5Sig({ address: '10.1.2.3', password: 'x'.repeat(81) }, 4)).toThrow(/80 bytes/);
  });
});

describe('listener keys', () => {
  const wanted = wantedKeys(
    [{ address: '10.0.0.2', password: 'a' }, { address: '10.0.0.3' }],
    [{ prefix: '172.20.0.0/24', password: 'r' }],
  );

  it('holds one key per neighbor with a password and a prefix key per range with one', () => {
    expect([...wanted.keys()]).toEqual(['172.20.0.0/24', '10.0.0.2']);
    expect(wanted.get('172.20.0.0/24')).toEqual({ address: '172.20.0.0', prefixLength: 24, password: 'r' });
  });

  it('sets new and changed keys, deletes removed ones, leaves unchanged ones alone', () => {
    const next = wantedKeys(
      [
        { address: '10.0.0.2', password: 'b' },
        { address: '10.0.0.4', password: 'c' },
      ],
      [{ prefix: '172.20.0.0/24', password: 'r' }],
    );
    const { set, remove } = keyChanges(wanted, next);
    expect(set.map((k) => `${k.address}=${k.password}`)).toEqual(['10.0.0.2=b', '10.0.0.4=c']);
    expect(remove).toEqual([]);
    const gone = keyChanges(next, wantedKeys([{ address: '10.0.0.4', password: 'c' }], []));
    expect(gone.set).toEqual([]);
    expect(gone.remove.map((k) => k.address)).toEqual(['172.20.0.0', '10.0.0.2']);
  });
});

describe('GTSM', () => {
  it('accepts TTL 256 - hops and up (RFC 5082 §3)', () => {
    expect(minTtlFor(1)).toBe(255);
    expect(minTtlFor(3)).toBe(253);
    expect(gtsmHops(true)).toBe(1);
    expect(gtsmHops({ hops: 2 })).toBe(2);
    expect(gtsmHops(false)).toBeUndefined();
    expect(gtsmHops(undefined)).toBeUndefined();
  });

  it('reads the TTL of a saved IPv4 SYN and the hop limit of an IPv6 one', () => {
    const v4 = new Uint8Array(40);
    v4[0] = 0x45;
    v4[8] = 254;
    expect(synTtl(v4)).toBe(254);
    const v6 = new Uint8Array(60);
    v6[0] = 0x60;
    v6[7] = 255;
    expect(synTtl(v6)).toBe(255);
    expect(synTtl(new Uint8Array(0))).toBeNull();
  });
});

const head = 'router-id: 10.0.0.1\nasn: 65000\n';

describe('config: password and ttl-security', () => {
  it('accepts them on neighbors, listen ranges and defaults', () => {
    const c = parseConfig(
      `${head}defaults: { password: shared }
neighbors:
  - { address: 10.0.0.2, asn: 65001, password: calico-secret, ttl-security: true }
  - { address: 10.0.0.3, asn: 65001, ttl-security: { hops: 2 } }
listen-ranges:
  - { prefix: 172.20.0.0/24, asn: 64512, password: rack1 }
`,
    );
    expect(c.neighbors[0]).toMatchObject({ password: 'calico-secret', 'ttl-security': true });
    expect(c.neighbors[1]['ttl-security']).toEqual({ hops: 2 });
    expect(c['listen-ranges'][0].password).toBe('rack1');
  });

  it('refuses ebgp-multihop with ttl-security, with file:line, also through defaults', () => {
    expect(
      configErrors(`${head}neighbors:
  - address: 10.0.0.2
    asn: 65001
    ebgp-multihop: 2
    ttl-security: true
`),
    ).toEqual([
      'rack.yaml:7:19: neighbors[0].ttl-security: ttl-security and ebgp-multihop exclude each other (use ttl-security: { hops: N })',
    ]);
    expect(
      configErrors(`${head}defaults: { ttl-security: { hops: 1 } }
listen-ranges:
  - prefix: 10.1.0.0/24
    asn: external
    ebgp-multihop: 3
`),
    ).toEqual([
      'rack.yaml:7:20: listen-ranges[0].ebgp-multihop: ttl-security and ebgp-multihop exclude each other (use ttl-security: { hops: N })',
    ]);
    // ttl-security: false on the neighbor overrides the default: no conflict.
    expect(() =>
      parseConfig(
        `${head}defaults: { ttl-security: true }\nneighbors: [{ address: 10.0.0.2, asn: 65001, ebgp-multihop: 2, ttl-security: false }]\n`,
      ),
    ).not.toThrow();
  });

  it('refuses an empty or too long password and bad hops', () => {
    const errs = configErrors(
      `${head}neighbors:\n  - { address: 10.0.0.2, asn: 65001, password: '${'p'.repeat(81)}' }\n  - { address: 10.0.0.3, asn: 65001, ttl-security: { hops: 0 } }\n`,
    );
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^rack\.yaml:4:\d+: neighbors\[0\]\.password: must be at most 80 characters/);
    expect(errs[1]).toMatch(/^rack\.yaml:5:\d+: neighbors\[1\]\.ttl-security/);
  });

  it('resets the session on reload when the password or ttl-security changes', () => {
    const before = parseConfig(`${head}neighbors: [{ address: 10.0.0.2, asn: 65001, password: a }]\n`);
    const after = parseConfig(
      `${head}neighbors: [{ address: 10.0.0.2, asn: 65001, password: b, ttl-security: true }]\n`,
    );
    expect(diffConfig(before, after).changed).toEqual([
      expect.objectContaining({ address: '10.0.0.2', reset: ['password', 'ttl-security'] }),
    ]);
  });
});
