import { describe, expect, it } from 'vitest';
import {
  formatIPv4,
  hasIPv4LeadingZero,
  ipFamily,
  parseIPv4,
  parseIPv6,
  parsePrefix,
} from '../../../src/util/ip.js';

describe('parseIPv4', () => {
  it('reads dotted quads', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('192.168.100.200')).toBe(0xc0a864c8);
  });

  it('refuses leading zeros (octal to inet_aton: 010 is 8), as inet_pton does', () => {
    for (const s of ['010.0.0.1', '10.0.0.01', '10.00.0.1', '10.0.0.001', '00.0.0.0', '0010.0.0.1'])
      expect(parseIPv4(s), s).toBe(-1);
    expect(parseIPv4('10.0.0.0')).toBe(0x0a000000);
  });

  it('refuses anything else that is not four octets', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '256.0.0.1',
      '1.2.3.1000',
      '1.2.3.a',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '+1.2.3.4',
      '1.2.3.-4',
      '1.2.3.4/8',
    ])
      expect(parseIPv4(s), s).toBe(-1);
  });

  it('round-trips every formatted address it is given', () => {
    for (let v = 0; v < 2 ** 32; v += 16_777_259) expect(parseIPv4(formatIPv4(v))).toBe(v);
  });

  it('the rule carries into IPv6 dotted tails, prefixes and ipFamily', () => {
    expect(parseIPv6('::ffff:010.0.0.1')).toBeNull();
    expect(parseIPv6('::ffff:10.0.0.1')).not.toBeNull();
    expect(parsePrefix('010.0.0.0/8')).toBeNull();
    expect(ipFamily('010.0.0.1')).toBe(0);
  });

  it('hasIPv4LeadingZero tells that case apart, for messages', () => {
    expect(hasIPv4LeadingZero('010.0.0.1')).toBe(true);
    expect(hasIPv4LeadingZero('10.0.0.01')).toBe(true);
    expect(hasIPv4LeadingZero('10.0.0.0')).toBe(false);
    expect(hasIPv4LeadingZero('fd00::1')).toBe(false);
  });
});
