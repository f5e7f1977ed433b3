import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixTable } from '../../../src/fib/lpm.js';
import { formatIPv4 } from '../../../src/util/ip.js';

describe('PrefixTable', () => {
  it('finds the longest IPv4 prefix containing an address', () => {
    const t = new PrefixTable<string>();
    t.set('0.0.0.0/0', 'default');
    t.set('10.0.0.0/8', 'ten');
    t.set('10.1.0.0/16', 'ten-one');
    t.set('10.1.2.3/32', 'host');
    expect(t.lookup('10.1.2.3')).toEqual({ length: 32, value: 'host' });
    expect(t.lookup('10.1.2.4')).toEqual({ length: 16, value: 'ten-one' });
    expect(t.lookup('10.2.0.1')).toEqual({ length: 8, value: 'ten' });
    expect(t.lookup('192.0.2.1')).toEqual({ length: 0, value: 'default' });
    expect(t.size).toBe(4);
  });

  it('handles boundaries of odd-length IPv4 prefixes', () => {
    const t = new PrefixTable<string>();
    t.set('192.0.2.128/25', 'upper');
    expect(t.lookup('192.0.2.128')?.value).toBe('upper');
    expect(t.lookup('192.0.2.255')?.value).toBe('upper');
    expect(t.lookup('192.0.2.127')).toBeUndefined();
  });

  it('finds the longest IPv6 prefix and keeps IPv4 and IPv6 apart', () => {
    const t = new PrefixTable<string>();
    t.set('::/0', 'default6');
    t.set('fd00::/8', 'ula');
    t.set('fd00:1:2::/48', 'site');
    t.set('fd00:1:2:3::/127', 'p2p');
    expect(t.lookup('fd00:1:2:3::1')?.value).toBe('p2p');
    expect(t.lookup('fd00:1:2:3::2')?.value).toBe('site');
    expect(t.lookup('fd99::1')?.value).toBe('ula');
    expect(t.lookup('2001:db8::1')?.value).toBe('default6');
    expect(t.lookup('10.0.0.1')).toBeUndefined();
  });

  it('masks host bits on insert, overwrites on the same prefix and ignores malformed input', () => {
    const t = new PrefixTable<number>();
    expect(t.set('10.1.2.3/16', 1)).toBe(true);
    expect(t.set('10.1.0.0/16', 2)).toBe(true);
    expect(t.size).toBe(1);
    expect(t.get('10.1.0.0/16')).toBe(2);
    expect(t.set('10.1.0.0/33', 3)).toBe(false);
    expect(t.set('nonsense', 3)).toBe(false);
    expect(t.lookup('not-an-address')).toBeUndefined();
  });

  it('agrees with a linear scan on random IPv4 tables', () => {
    const prefix = fc.record({ addr: fc.nat({ max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }) });
    fc.assert(
      fc.property(
        fc.array(prefix, { maxLength: 30 }),
        fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 20 }),
        (ps, addrs) => {
          const t = new PrefixTable<number>();
          const mask = (len: number) => (len === 0 ? 0 : (~0 << (32 - len)) >>> 0);
          const entries = new Map<string, { net: number; len: number }>();
          for (const p of ps) {
            const net = (p.addr & mask(p.len)) >>> 0;
            entries.set(`${net}/${p.len}`, { net, len: p.len });
            t.set(`${formatIPv4(net)}/${p.len}`, p.len);
          }
          for (const a of addrs) {
            let best = -1;
            for (const e of entries.values())
              if ((a & mask(e.len)) >>> 0 === e.net && e.len > best) best = e.len;
            const got = t.lookup(formatIPv4(a));
            expect(got?.length ?? -1).toBe(best);
          }
        },
      ),
    );
  });
});
