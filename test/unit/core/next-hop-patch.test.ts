/**
 * Next hop self patched per member at the offset packAnnouncements reports: the member's address
 * lands where the placeholder was, nothing else changes, equal addresses share one copy.
 */
import { describe, expect, it } from 'vitest';
import { Patcher, SELF4, SELF6, SelfAddresses } from '../../../src/core/next-hop-patch.js';
import { ipv4ToBytes } from '../../../src/util/ip.js';
import {
  Afi,
  decodeMessage,
  IPV4_UNICAST,
  IPV6_UNICAST,
  NlriList,
  Origin,
  packAnnouncements,
  packWithdrawals,
} from '../../../src/wire/index.js';
import { context } from '../../helpers.js';

const ctx = context();
const attrs = { origin: Origin.IGP, asPath: [], med: 7 };
const v4 = NlriList.from(
  Afi.IPV4,
  Array.from({ length: 600 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`),
);
const v6 = NlriList.from(Afi.IPV6, ['2001:db8:1::/64', '2001:db8:2::/64']);

function decode(m: Uint8Array) {
  const r = decodeMessage(m, ctx, 4096);
  if (!r.ok || r.message.type !== 'update') throw new Error('not an UPDATE');
  return r.message;
}

describe('Patcher', () => {
  const classic = packAnnouncements({ ...attrs, nextHop: SELF4 }, v4, IPV4_UNICAST, ctx, 1024);
  const mp = packAnnouncements(attrs, v6, IPV6_UNICAST, ctx, 1024, { nextHop: SELF6 });
  const withdrawn = packWithdrawals(v4, IPV4_UNICAST, ctx, 1024);
  const runs = [
    { messages: withdrawn, at: -1, self: 4 as const },
    { messages: classic.messages, at: classic.nextHopOffset, self: 4 as const },
    { messages: mp.messages, at: mp.nextHopOffset, self: 6 as const },
  ];

  it('writes each member its own addresses where the placeholders were, and nothing else', () => {
    expect(classic.messages.length).toBeGreaterThan(1);
    const p = new Patcher(runs);
    expect(p.needsPatching).toBe(true);
    const out = p.for(new SelfAddresses('192.0.2.1', '2001:db8::1'));
    expect(out).toHaveLength(withdrawn.length + classic.messages.length + mp.messages.length);
    for (const m of out.slice(0, withdrawn.length)) expect(withdrawn).toContain(m);
    const announced = out.slice(withdrawn.length).map(decode);
    for (const u of announced.slice(0, classic.messages.length)) {
      expect(u.attributes?.nextHop).toBe('192.0.2.1');
      expect(u.attributes?.med).toBe(7);
    }
    expect(announced.at(-1)?.mpReach?.nextHop).toBe('2001:db8::1');
    // The packed messages themselves keep their placeholders for the next member.
    expect(decode(classic.messages[0]).attributes?.nextHop).toBe(SELF4);
  });

  it('gives members with the same addresses the same copies', () => {
    const p = new Patcher(runs);
    const a = p.for(new SelfAddresses('192.0.2.1', undefined));
    expect(p.for(new SelfAddresses('192.0.2.1', undefined))).toBe(a);
    const b = p.for(new SelfAddresses('192.0.2.2', undefined));
    expect(b[withdrawn.length]).not.toEqual(a[withdrawn.length]);
    const at = classic.nextHopOffset;
    expect(b[withdrawn.length].subarray(at, at + 4)).toEqual(ipv4ToBytes('192.0.2.2'));
  });

  it('shares messages without a placeholder as they are', () => {
    const p = new Patcher([{ messages: withdrawn, at: -1, self: 4 }]);
    expect(p.needsPatching).toBe(false);
    expect(p.for(new SelfAddresses('192.0.2.1', undefined))).toEqual(withdrawn);
  });
});
