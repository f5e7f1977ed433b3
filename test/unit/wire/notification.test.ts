/** NOTIFICATION builders: the data octets laid out by hand from the RFC text. */
import { describe, expect, it } from 'vitest';
import { IPV4_UNICAST, IPV6_UNICAST, maxPrefixNotification } from '../../../src/wire/index.js';

describe('maxPrefixNotification (RFC 4486 §4)', () => {
  it('is Cease 6/1 with AFI (2), SAFI (1) and the upper bound (4)', () => {
    expect(maxPrefixNotification(IPV4_UNICAST, 2)).toEqual({
      type: 'notification',
      code: 6,
      subcode: 1,
      data: Uint8Array.of(0, 1, 1, 0, 0, 0, 2),
    });
    expect(maxPrefixNotification(IPV6_UNICAST, 0x01020304).data).toEqual(Uint8Array.of(0, 2, 1, 1, 2, 3, 4));
  });
});
