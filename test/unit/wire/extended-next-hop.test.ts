/**
 * RFC 8950: IPv4 unicast NLRI in MP_REACH_NLRI with an IPv6 next hop of 16 (global or link-local)
 * or 32 octets (global + link-local), and the Extended Next Hop capability (code 5). Expected bytes
 * are written out by hand from RFC 4760 §3 / RFC 8950 §3-4, never produced by the encoder.
 */
import { describe, expect, it } from 'vitest';
import { decodeCapability } from '../../../src/wire/capabilities.js';
import {
  Afi,
  decodeMessage,
  IPV4_UNICAST,
  makeOpen,
  NlriList,
  negotiate,
  packAnnouncements,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { context, fromHex } from '../../helpers.js';

const MARKER = 'ff'.repeat(16);
const ctx = context();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const clean = (s: string) => s.replace(/\s+|#[^\n]*/g, '');

/** An UPDATE: MP_REACH_NLRI first (RFC 7606 §5.1; extended length) AFI 1 SAFI 1 10.1.0.0/24, ORIGIN IGP, AS_PATH [65001]. */
function update(nextHop: string): string {
  const nhLen = nextHop.length / 2;
  const mpLen = 2 + 1 + 1 + nhLen + 1 + 4;
  const attrs = clean(`
    40 01 01 00                       # ORIGIN IGP
    40 02 06 02 01 0000fde9           # AS_PATH AS_SEQUENCE [65001] (4-octet)
  `);
  const mp = `900e${mpLen.toString(16).padStart(4, '0')}0001 01 ${nhLen.toString(16).padStart(2, '0')}${nextHop} 00 18 0a0100`;
  const body = `0000${(attrs.length / 2 + clean(mp).length / 2).toString(16).padStart(4, '0')}${clean(mp)}${attrs}`;
  return `${MARKER}${(19 + body.length / 2).toString(16).padStart(4, '0')}02${body}`;
}

const GLOBAL = '20010db8000000000000000000000001';
const LINK_LOCAL = 'fe800000000000000000000000000001';

describe('IPv4 NLRI with IPv6 next hops (RFC 8950 §3)', () => {
  for (const [name, nh, nextHop, linkLocal] of [
    ['16-octet global', GLOBAL, '2001:db8::1', undefined],
    ['16-octet link-local', LINK_LOCAL, 'fe80::1', undefined],
    ['32-octet global + link-local', GLOBAL + LINK_LOCAL, '2001:db8::1', 'fe80::1'],
  ] as const) {
    it(`decodes and packs a ${name} next hop`, () => {
      const wire = update(nh);
      const r = decodeMessage(fromHex(wire), ctx);
      if (!r.ok) throw new Error('decode failed');
      const m = r.message as UpdateMessage;
      expect(r.issues).toEqual([]);
      expect(m.mpReach?.family).toBe(IPV4_UNICAST);
      expect(m.mpReach?.nextHop).toBe(nextHop);
      expect(m.mpReach?.linkLocalNextHop).toBe(linkLocal);
      expect(m.mpReach?.nlri.toArray().map((p) => p.prefix)).toEqual(['10.1.0.0/24']);
      const packed = packAnnouncements(
        { origin: 0, asPath: [{ type: 2, asns: [65001] }] },
        NlriList.from(Afi.IPV4, ['10.1.0.0/24']),
        IPV4_UNICAST,
        ctx,
        4096,
        { nextHop, ...(linkLocal && { linkLocalNextHop: linkLocal }) },
      );
      expect(packed.messages.map(hex)).toEqual([wire]);
    });
  }
});

describe('Extended Next Hop capability (RFC 8950 §4)', () => {
  it('decodes <AFI 1, SAFI 1, next hop AFI 2> and negotiates only what both sent', () => {
    const cap = decodeCapability(5, fromHex('0001 0001 0002'.replace(/ /g, '')));
    expect(cap).toEqual({ kind: 'extended-next-hop', entries: [{ family: IPV4_UNICAST, nextHopAfi: 2 }] });
    const open = (withEnhe: boolean) =>
      makeOpen({
        asn: 65001,
        holdTime: 90,
        routerId: '10.0.0.1',
        capabilities: [{ kind: 'multiprotocol', family: IPV4_UNICAST }, ...(withEnhe ? [cap] : [])],
      });
    expect(negotiate(open(true), open(true)).extendedNextHop).toEqual([
      { family: IPV4_UNICAST, nextHopAfi: 2 },
    ]);
    expect(negotiate(open(true), open(false)).extendedNextHop).toEqual([]);
  });
});
