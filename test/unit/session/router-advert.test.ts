import { describe, expect, it } from 'vitest';
import { classifyIcmp6, encodeRouterAdvert, Icmp6Type } from '../../../src/session/router-advert.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('Router Advertisement (RFC 4861 §4.2)', () => {
  it('encodes a non-default-router RA with our MAC', () => {
    const ra = encodeRouterAdvert(hex('02 00 5e 00 53 01'));
    expect(Buffer.from(ra).toString('hex')).toBe(
      [
        '86 00 0000', // type 134, code 0, checksum (kernel)
        '40 00 0000', // cur hop limit 64, flags 0, router lifetime 0
        '00000000 00000000', // reachable, retrans
        '01 01 02005e005301', // source link-layer address option
      ]
        .join('')
        .replace(/\s+/g, ''),
    );
    expect(encodeRouterAdvert().length).toBe(16);
  });

  it('classifies RAs and RSs, refusing a non-zero code, short messages and zero-length options', () => {
    expect(classifyIcmp6(encodeRouterAdvert(hex('020000000001')))).toBe(Icmp6Type.ROUTER_ADVERTISEMENT);
    expect(classifyIcmp6(hex('85 00 0000 00000000'))).toBe(Icmp6Type.ROUTER_SOLICITATION);
    expect(classifyIcmp6(hex('86 01 0000 40000000 00000000 00000000'))).toBeNull();
    expect(classifyIcmp6(hex('86 00 0000 40000000 00000000'))).toBeNull();
    expect(classifyIcmp6(hex('86 00 0000 40000000 00000000 00000000 01 00 000000000000'))).toBeNull();
    expect(classifyIcmp6(hex('86 00 0000 40000000 00000000 00000000 01 02 000000000000'))).toBeNull();
    expect(classifyIcmp6(hex('80 00 0000 00000000'))).toBeNull(); // echo request
  });
});
