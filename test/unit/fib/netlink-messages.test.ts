import { describe, expect, it } from 'vitest';
import {
  decodeAck,
  decodeLink,
  decodeRoute,
  encodeDump,
  encodeRoute,
  messages,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  type NlRoute,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  routeSize,
} from '../../../src/fib/netlink-messages.js';

const o = { protocol: 179, metric: 20 };
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const v6 = (s: string) => hex(s.replace(/:/g, ''));

function encode(type: typeof RTM_NEWROUTE | typeof RTM_DELROUTE, flags: number, seq: number, r: NlRoute) {
  const b = Buffer.alloc(256, 0xaa); // garbage first: padding must be written, not assumed
  const end = encodeRoute(b, 0, type, flags, seq, r, o);
  expect(end).toBe(routeSize(r));
  return b.subarray(0, end).toString('hex');
}

const v4route: NlRoute = {
  family: 4,
  dst: Uint8Array.of(10, 1, 0, 0),
  dstLen: 24,
  hops: [{ gateway: Uint8Array.of(10, 0, 0, 2), oif: 0 }],
};

describe('encodeRoute', () => {
  it('an IPv4 add: NEWROUTE, CREATE|EXCL|ACK, table main, proto 179, metric, gateway', () => {
    expect(encode(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, 1, v4route)).toBe(
      hex(`34000000 1800 0506 01000000 00000000
           02 18 00 00 fe b3 00 01 00000000
           0800 0100 0a010000
           0800 0600 14000000
           0800 0500 0a000002`).toString('hex'),
    );
  });

  it('an IPv6 ECMP replace with link-local gateways: RTA_MULTIPATH, one rtnexthop per hop with its ifindex', () => {
    const r: NlRoute = {
      family: 6,
      dst: v6('fd01:0000:0000:0000:0000:0000:0000:0000'),
      dstLen: 64,
      hops: [
        { gateway: v6('fe80:0000:0000:0000:0000:0000:0000:0002'), oif: 3 },
        { gateway: v6('fe80:0000:0000:0000:0000:0000:0000:0003'), oif: 4 },
      ],
    };
    expect(encode(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, 2, r)).toBe(
      hex(`74000000 1800 0505 02000000 00000000
           0a 40 00 00 fe b3 00 01 00000000
           1400 0100 fd010000 00000000 00000000 00000000
           0800 0600 14000000
           3c00 0900
             1c00 00 00 03000000  1400 0500 fe800000 00000000 00000000 00000002
             1c00 00 00 04000000  1400 0500 fe800000 00000000 00000000 00000003`).toString('hex'),
    );
  });

  it('an IPv4 route via an IPv6 link-local gateway (RFC 8950): RTA_VIA with AF_INET6, padded, and RTA_OIF', () => {
    const r: NlRoute = {
      ...v4route,
      hops: [{ gateway: v6('fe80:0000:0000:0000:0000:0000:0000:0001'), oif: 2 }],
    };
    expect(encode(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, 3, r)).toBe(
      hex(`4c000000 1800 0506 03000000 00000000
           02 18 00 00 fe b3 00 01 00000000
           0800 0100 0a010000
           0800 0600 14000000
           1600 1200 0a00 fe800000 00000000 00000000 00000001 0000
           0800 0400 02000000`).toString('hex'),
    );
  });

  it('a delete names protocol and metric, scope NOWHERE and no type, no next hop', () => {
    expect(encode(RTM_DELROUTE, 0, 4, { ...v4route, hops: [] })).toBe(
      hex(`2c000000 1900 0500 04000000 00000000
           02 18 00 00 fe b3 ff 00 00000000
           0800 0100 0a010000
           0800 0600 14000000`).toString('hex'),
    );
  });

  it('messages follow each other in one buffer, each with its own sequence number', () => {
    const b = Buffer.alloc(1024);
    let at = encodeRoute(b, 0, RTM_NEWROUTE, NLM_F_CREATE, 7, v4route, o);
    at = encodeRoute(b, at, RTM_DELROUTE, 0, 8, { ...v4route, hops: [] }, o);
    expect([...messages(b, at)].map((m) => [m.type, m.seq, m.end - m.start])).toEqual([
      [RTM_NEWROUTE, 7, 36],
      [RTM_DELROUTE, 8, 28],
    ]);
  });

  it('a route dump request: NLM_F_DUMP with an rtmsg of the family', () => {
    expect(encodeDump(RTM_GETROUTE, 10, 9).toString('hex')).toBe(
      hex('1c000000 1a00 0103 09000000 00000000 0a000000 00000000 00000000').toString('hex'),
    );
  });
});

describe('decodeAck', () => {
  const one = (b: Buffer) => {
    const all = [...messages(b, b.length)];
    expect(all).toHaveLength(1);
    return decodeAck(b, all[0]);
  };

  it('a success ACK (capped): errno 0 and the request sequence number', () => {
    expect(
      one(hex('24000000 0200 0001 01000000 4d000000 00000000 34000000 1800 0506 01000000 00000000')),
    ).toEqual({
      errno: 0,
      seq: 1,
    });
  });

  it('a refusal with the extended ACK message (capped, TLVs)', () => {
    const text = Buffer.from('Nexthop has invalid gateway\0');
    const b = Buffer.concat([
      hex('44000000 0200 0003 05000000 4d000000 efffffff 34000000 1800 0506 05000000 00000000'),
      hex('2000 0100'),
      text,
    ]);
    expect(one(b)).toEqual({ errno: 17, seq: 5, message: 'Nexthop has invalid gateway' });
  });

  it('a refusal that echoes the whole request before its TLVs (no NETLINK_CAP_ACK)', () => {
    const request = hex(`2c000000 1900 0500 06000000 00000000
                         02 18 00 00 fe b3 ff 00 00000000 0800 0100 0a010000 0800 0600 14000000`);
    const tlv = Buffer.concat([hex('0800 0100'), Buffer.from('gone')]);
    const body = Buffer.concat([hex('fdffffff'), request, tlv]);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(16 + body.length, 0);
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(0x200, 6);
    head.writeUInt32LE(6, 8);
    expect(one(Buffer.concat([head, body]))).toEqual({ errno: 3, seq: 6, message: 'gone' });
  });
});

describe('decodeRoute and decodeLink', () => {
  it('reads a multipath IPv6 route: prefix, table, protocol, metric, gateways with their ifindex', () => {
    const b = hex(`7c000000 1800 0200 00000000 00000000
                   0a 40 00 00 fe b3 00 01 00000000
                   0800 0f00 fe000000
                   1400 0100 fd010000 00000000 00000000 00000000
                   0800 0600 14000000
                   3c00 0900
                     1c00 00 00 03000000  1400 0500 fe800000 00000000 00000000 00000002
                     1c00 00 00 04000000  1400 0500 fd000000 00000000 00000000 00000003`);
    const [m] = messages(b, b.length);
    expect(decodeRoute(b, m)).toEqual({
      family: 6,
      prefix: 'fd01::/64',
      table: 254,
      protocol: 179,
      type: 1,
      metric: 20,
      hops: [
        { via: 'fe80::2', oif: 3 },
        { via: 'fd00::3', oif: 4 },
      ],
    });
  });

  it('reads a single-hop IPv4 route via an IPv6 gateway (RTA_VIA) and a connected one without gateway', () => {
    const b = Buffer.alloc(256);
    const r: NlRoute = {
      ...v4route,
      hops: [{ gateway: v6('fe80:0000:0000:0000:0000:0000:0000:0001'), oif: 2 }],
    };
    const end = encodeRoute(b, 0, RTM_NEWROUTE, 0, 1, r, o);
    const [m] = messages(b, end);
    expect(decodeRoute(b, m)).toMatchObject({ prefix: '10.1.0.0/24', hops: [{ via: 'fe80::1', oif: 2 }] });
    const c = hex(`2c000000 1800 0200 00000000 00000000 02 18 00 00 fe 02 fd 01 00000000
                   0800 0100 0a000000 0800 0400 05000000`);
    const [k] = messages(c, c.length);
    expect(decodeRoute(c, k)).toMatchObject({ prefix: '10.0.0.0/24', protocol: 2, hops: [{ oif: 5 }] });
  });

  it('reads a link name and index', () => {
    const b = hex(`2c000000 1000 0200 00000000 00000000
                   00 00 0100 03000000 43100100 00000000
                   0900 0300 65746831 00 000000`);
    const [m] = messages(b, b.length);
    expect(decodeLink(b, m)).toEqual({ index: 3, name: 'eth1' });
  });

  it('stops at a truncated message', () => {
    const b = hex('34000000 1800 0506 01000000 00000000 02');
    expect([...messages(b, b.length)]).toEqual([]);
  });
});
