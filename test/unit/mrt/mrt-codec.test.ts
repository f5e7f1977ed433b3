/**
 * MRT codec (RFC 6396, RFC 8050): encoders checked against annotated bytes written by hand, the
 * reader against them and against bgpdump's own test data and its expected output (RIPE-NCC
 * bgpdump test_data/ and test_expect/, see test/fixtures/mrt/README.md).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeMrt } from '../../../src/decode/decode-mrt.js';
import { readMrt } from '../../../src/mrt/mrt-decode.js';
import {
  bgp4mpMessage,
  bgp4mpStateChange,
  peerIndexTable,
  ribAttributes,
  ribRecord,
  updateAfis,
} from '../../../src/mrt/mrt-encode.js';
import { fromHex } from '../../helpers.js';
import { fromBgpdump, fromRecords } from './bgpdump-lines.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T = 1_700_000_000; // 0x6553f100
const M = 'ffffffffffffffffffffffffffffffff';
const KEEPALIVE = fromHex(`${M} 0013 04`);

describe('MRT encoders', () => {
  it('PEER_INDEX_TABLE: collector id, view name, 4-octet AS peers of both families', () => {
    const rec = peerIndexTable(T, '10.0.0.1', 'rib', [
      { address: '10.0.0.2', asn: 65002, routerId: '10.0.0.2' },
      { address: 'fd00::3', asn: 4200000003, routerId: '10.0.0.3' },
    ]);
    expect(hex(rec)).toBe(
      hex(
        fromHex(`6553f100 000d 0001 00000031   # time, TABLE_DUMP_V2, PEER_INDEX_TABLE, length 49
          0a000001 0003 726962 0002          # collector 10.0.0.1, view "rib", 2 peers
          02 0a000002 0a000002 0000fdea      # AS4 bit, id, 10.0.0.2, AS 65002
          03 0a000003 fd000000000000000000000000000003 fa56ea03  # IPv6 + AS4 bits`),
      ),
    );
  });

  it('RIB_IPV4_UNICAST: sequence, prefix, entries with 4-octet AS attributes', () => {
    const attrs = {
      origin: 0 as const,
      asPath: [{ type: 2, asns: [65002, 4200000003] }],
      nextHop: '10.0.0.2',
    };
    const rec = ribRecord(
      T,
      7,
      4,
      Uint8Array.of(24, 10, 1, 2),
      [{ peerIndex: 1, originated: T, pathId: 0, attrs }],
      false,
    );
    expect(hex(rec)).toBe(
      hex(
        fromHex(`6553f100 000d 0002 0000002a  # RIB_IPV4_UNICAST, length 42
          00000007 18 0a0102 0001            # sequence 7, 10.1.2.0/24, 1 entry
          0001 6553f100 0018                 # peer 1, originated, attributes 24 octets
          40 01 01 00                        # ORIGIN IGP
          40 02 0a 02 02 0000fdea fa56ea03   # AS_PATH, 4-octet
          40 03 04 0a000002                  # NEXT_HOP`),
      ),
    );
  });

  it('RIB_IPV6_UNICAST_ADDPATH: path id per entry, abbreviated MP_REACH_NLRI (§4.3.4)', () => {
    const attrs = { origin: 0 as const, asPath: [], nextHop: 'fd00::2', linkLocalNextHop: 'fe80::2' };
    const rec = ribRecord(
      T,
      1,
      6,
      Uint8Array.of(48, 0xfd, 0, 0, 0, 0, 1),
      [{ peerIndex: 0, originated: T, pathId: 9, attrs }],
      true,
    );
    expect(hex(rec)).toBe(
      hex(
        fromHex(`6553f100 000d 000a 00000044  # RIB_IPV6_UNICAST_ADDPATH, length 68
          00000001 30 fd0000000001 0001      # fd00:0:1::/48
          0000 6553f100 00000009 002b        # peer 0, originated, path id 9, 43 octets
          80 0e 21 20 fd000000000000000000000000000002 fe800000000000000000000000000002
          40 01 01 00 40 02 00               # ORIGIN, empty AS_PATH`),
      ),
    );
  });

  it('BGP4MP_MESSAGE_AS4 and the _LOCAL / _ADDPATH subtypes', () => {
    const ends = { peerAs: 65002, localAs: 4200000001, peerAddress: '10.0.0.2', localAddress: '10.0.0.1' };
    const rec = bgp4mpMessage(T, ends, KEEPALIVE, { local: false, as4: true, addPath: false });
    expect(hex(rec)).toBe(
      hex(
        fromHex(`6553f100 0010 0004 00000027  # BGP4MP, MESSAGE_AS4, 39
        0000fdea fa56ea01 0000 0001 0a000002 0a000001 ${M} 0013 04`),
      ),
    );
    const sub = (o: { local: boolean; as4: boolean; addPath: boolean }) =>
      (bgp4mpMessage(T, ends, KEEPALIVE, o)[6] << 8) | bgp4mpMessage(T, ends, KEEPALIVE, o)[7];
    expect(sub({ local: true, as4: true, addPath: false })).toBe(7);
    expect(sub({ local: false, as4: true, addPath: true })).toBe(9);
    expect(sub({ local: true, as4: true, addPath: true })).toBe(11);
    expect(sub({ local: false, as4: false, addPath: false })).toBe(1);
    // 2-octet AS fields carry AS_TRANS for a 4-octet AS (RFC 6793).
    expect(
      hex(bgp4mpMessage(T, ends, KEEPALIVE, { local: false, as4: false, addPath: false })).slice(24, 32),
    ).toBe('fdea5ba0');
  });

  it('BGP4MP_STATE_CHANGE_AS4 with an unknown local address (IPv6 session)', () => {
    const ends = { peerAs: 65002, localAs: 65001, peerAddress: 'fd00::2', localAddress: '' };
    expect(hex(bgp4mpStateChange(T, ends, 'OpenConfirm', 'Established'))).toBe(
      hex(
        fromHex(`6553f100 0010 0005 00000030
        0000fdea 0000fde9 0000 0002 fd000000000000000000000000000002 00000000000000000000000000000000
        0005 0006`),
      ),
    );
  });

  it('updateAfis reads the families of an UPDATE without decoding it', () => {
    const v4 = fromHex(`${M} 001b 02 0000 0004 400101 00`); // ORIGIN only, no NLRI
    expect([...updateAfis(v4)]).toEqual([]);
    const withdraw = fromHex(`${M} 001b 02 0004 180a0101 0000`);
    expect([...updateAfis(withdraw)]).toEqual([1]);
    const mp = fromHex(`${M} 001d 02 0000 0006 800f 03 000201`);
    expect([...updateAfis(mp)]).toEqual([2]);
    expect([...updateAfis(KEEPALIVE)]).toEqual([]);
  });

  it('reads back what it writes', () => {
    const attrs = { origin: 2 as const, asPath: [{ type: 2, asns: [1, 2] }], nextHop: 'fd00::9', med: 5 };
    const file = Buffer.concat([
      peerIndexTable(T, '10.0.0.1', '', [{ address: 'fd00::9', asn: 65009, routerId: '10.0.0.9' }]),
      ribRecord(
        T,
        0,
        6,
        Uint8Array.of(64, 0xfd, 0, 0, 0, 0, 0, 0, 1),
        [{ peerIndex: 0, originated: T - 5, pathId: 0, attrs }],
        false,
      ),
    ]);
    const recs = decodeMrt(file).records;
    expect(recs[1].peer).toEqual({ address: 'fd00::9', as: 65009, routerId: '10.0.0.9' });
    expect(recs[1].message.mpReach).toEqual({
      family: 'ipv6-unicast',
      nextHop: 'fd00::9',
      nlri: ['fd00:0:0:1::/64'],
    });
    expect(recs[1].message.attributes).toEqual({
      origin: 'incomplete',
      asPath: [{ type: 'sequence', asns: [1, 2] }],
      med: 5,
    });
    expect(ribAttributes(4, { nextHop: 'fd00::1' })[1]).toBe(14); // IPv4 over an IPv6 next hop: MP form
  });

  it('reports a record cut short and a file that is not MRT', () => {
    const rec = bgp4mpMessage(
      T,
      { peerAs: 1, localAs: 2, peerAddress: '10.0.0.2', localAddress: '10.0.0.1' },
      KEEPALIVE,
      {
        local: false,
        as4: true,
        addPath: false,
      },
    );
    const items = [...readMrt(rec.subarray(0, rec.length - 3))];
    expect(items).toHaveLength(1);
    expect(items[0].body).toMatchObject({
      kind: 'error',
      reason: expect.stringMatching(/runs past the end/),
    });
    expect([...readMrt(rec.subarray(0, 5))][0].body.kind).toBe('error');
  });
});

describe('bgpdump test data: rackbgp decode --mrt agrees with bgpdump -m', () => {
  const fixture = (name: string) => readFileSync(new URL(`../../fixtures/mrt/${name}`, import.meta.url));
  for (const name of [
    'bview.ipv4_unicast_add_path.gz',
    'bview.ipv6_unicast_add_path.gz',
    'updates.20020722.2238.gz',
  ]) {
    it(name, () => {
      const ours = fromRecords(decodeMrt(fixture(name)).records);
      const theirs = fromBgpdump(gunzipSync(fixture(`${name}.bgp.gz`)).toString());
      expect(theirs.length).toBeGreaterThan(50);
      expect(ours.sort()).toEqual(theirs.sort());
    });
  }
});
