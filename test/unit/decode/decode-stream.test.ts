/**
 * decode-stream: OPENs of a connection set the context of later messages per direction
 * (4-octet AS, ADD-PATH as negotiated by the receiver), header errors resynchronise on the next
 * marker, gaps and truncated tails are reported, RFC 7606 issues come with their action.
 * Messages are annotated hex written by hand; connections are plain TcpConnection data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecodeRecord,
  decodeConnection,
  decodeHexMessages,
  orderRecord,
} from '../../../src/decode/decode-stream.js';
import type { StreamChunk, TcpConnection, TcpDirection } from '../../../src/pcap/tcp-streams.js';
import { context, fromHex } from '../../helpers.js';

const M = 'ffffffffffffffffffffffffffffffff';
const KEEPALIVE = `${M} 0013 04`;

/** A: 4-octet AS 4200000001 (AS_TRANS in My AS), ADD-PATH ipv4 receive only. */
const OPEN_A = `${M} 002b 01
  04 5ba0 005a 0a000001 0e   # version, AS_TRANS, hold 90, id 10.0.0.1, params 14
  02 0c                      # capabilities, 12 octets
    41 04 fa56ea01           # 4-octet AS 4200000001
    45 04 0001 01 01         # ADD-PATH ipv4 unicast: receive`;
/** B: AS 65002 with the 4-octet capability, ADD-PATH ipv4 send only. */
const OPEN_B = `${M} 002b 01
  04 fdea 005a 0a000002 0e
  02 0c
    41 04 0000fdea           # 4-octet AS 65002
    45 04 0001 01 02         # ADD-PATH ipv4 unicast: send`;
/** B → A: A receives path ids from B, so the NLRI carry one; 4-octet AS_PATH. */
const UPDATE_B = `${M} 0033 02
  0000 0014
    40 01 01 00              # ORIGIN igp
    40 02 06 02 01 fa56ea02  # AS_PATH sequence 4200000002
    40 03 04 0a000002        # NEXT_HOP 10.0.0.2
  00000005 18 0a0101         # path id 5, 10.1.1.0/24`;
/** A → B: B does not receive path ids. */
const UPDATE_A = `${M} 002f 02
  0000 0014
    40 01 01 00
    40 02 06 02 01 fa56ea01  # AS_PATH sequence 4200000001
    40 03 04 0a000001
  18 0a0201                  # 10.2.1.0/24`;

const hex = (s: string) => fromHex(s);

/** One direction made of messages (hex), each carried by its own packet number. */
function direction(label: string, parts: [frame: number, hex: string][], gaps: TcpDirection['gaps'] = []) {
  let offset = 0;
  const chunks: StreamChunk[] = [];
  for (const [frame, h] of parts) {
    const data = hex(h);
    const gap = gaps.find((g) => g.offset === offset);
    if (gap) offset += gap.length;
    chunks.push({ offset, data, frame, time: { sec: 1700000000, nsec: frame * 1000 } });
    offset += data.length;
  }
  const [src, dst] = label.split('>');
  const ep = (s: string) => ({ address: s.split(':')[0], port: Number(s.split(':')[1]) });
  return {
    src: ep(src),
    dst: ep(dst),
    label,
    chunks,
    gaps,
    synSeen: true,
    duplicates: 0,
    overlaps: 0,
    conflicts: 0,
  } satisfies TcpDirection;
}

const AB = '10.0.0.1:40000>10.0.0.2:179';
const BA = '10.0.0.2:179>10.0.0.1:40000';
const conn = (...directions: TcpDirection[]): TcpConnection => ({ id: 3, directions });
const messagesOf = (records: DecodeRecord[]) => records.map((r) => ('message' in r ? r.message : r));

describe('following the OPENs of a connection', () => {
  const records = decodeConnection(
    conn(
      direction(AB, [
        [1, OPEN_A],
        [3, KEEPALIVE],
        [6, UPDATE_A],
      ]),
      direction(BA, [
        [2, OPEN_B],
        [4, KEEPALIVE],
        [5, UPDATE_B],
      ]),
    ),
  );

  it('interleaves both directions in capture order with stream, direction, frame and time', () => {
    expect(records.map((r) => [r.frame, r.direction, 'message' in r && r.message.type])).toEqual([
      [1, AB, 'open'],
      [2, BA, 'open'],
      [3, AB, 'keepalive'],
      [4, BA, 'keepalive'],
      [5, BA, 'update'],
      [6, AB, 'update'],
    ]);
    expect(records[4]).toMatchObject({
      stream: 3,
      index: 2,
      offset: 62,
      length: 51,
      time: '2023-11-14T22:13:20.000005000Z',
    });
  });

  it('decodes B → A with ADD-PATH path ids and A → B without, both with 4-octet ASNs', () => {
    const [b, a] = [records[4], records[5]];
    expect('message' in b && b.message).toMatchObject({
      nlri: [{ prefix: '10.1.1.0/24', pathId: 5 }],
      attributes: { asPath: [{ type: 'sequence', asns: [4200000002] }], nextHop: '10.0.0.2' },
    });
    expect('message' in a && a.message).toMatchObject({
      nlri: ['10.2.1.0/24'],
      attributes: { asPath: [{ type: 'sequence', asns: [4200000001] }] },
    });
    expect(records.some((r) => 'error' in r || 'issues' in r)).toBe(false);
  });

  it('before both OPENs are seen, uses the initial 2-octet context', () => {
    const early = decodeConnection(
      conn(
        direction(BA, [
          [1, OPEN_B],
          [2, UPDATE_B],
        ]),
        direction(AB, [[3, OPEN_A]]),
      ),
    );
    // The 4-octet AS_PATH read with 2-octet ASNs is malformed: RFC 7606 §7.2 treat-as-withdraw.
    expect(early[1]).toMatchObject({
      index: 1,
      action: 'treat-as-withdraw',
      issues: [{ attr: 2, code: 3, subcode: 11 }],
    });
  });

  it('a capture without OPENs decodes with the fallback context', () => {
    const fallback = { ctx: context({ fourOctetAs: true, addPath: ['ipv4-unicast'] }), maxLength: 4096 };
    const mid = decodeConnection(conn(direction(BA, [[1, UPDATE_B]])), fallback);
    expect(messagesOf(mid)[0]).toMatchObject({ nlri: [{ prefix: '10.1.1.0/24', pathId: 5 }] });
  });
});

describe('errors, resynchronisation, gaps', () => {
  const decode = (parts: string[]) =>
    decodeConnection(
      conn(
        direction(
          AB,
          parts.map((h, i) => [i + 1, h]),
        ),
      ),
    );

  it('a bad marker reports 1/1 and goes on with the next message', () => {
    const bad = `fe${M.slice(2)} 0013 04`;
    const r = decode([KEEPALIVE, bad, KEEPALIVE]);
    expect(r.map(orderRecord)).toEqual([
      expect.objectContaining({ index: 0, offset: 0, message: { type: 'keepalive' } }),
      expect.objectContaining({
        index: 1,
        offset: 19,
        skipped: 19,
        error: {
          code: 1,
          subcode: 1,
          codeName: 'message-header',
          subcodeName: 'connection-not-synchronized',
          data: '',
          reason: 'marker is not all ones',
        },
      }),
      expect.objectContaining({ index: 2, offset: 38, message: { type: 'keepalive' } }),
    ]);
  });

  it('a bad length reports 1/2 with the length as data and resynchronises past garbage', () => {
    const r = decode([`${M} 0005 04 00 01 02`, KEEPALIVE]);
    expect(r[0]).toMatchObject({ error: { code: 1, subcode: 2, data: '0005' }, skipped: 22 });
    expect(r[1]).toMatchObject({ offset: 22, message: { type: 'keepalive' } });
  });

  it('a message longer than 4096 before extended messages is 1/2, and the next one decodes', () => {
    const big = `${M} 1388 02 0000 0000 ${'00'.repeat(5000 - 23)}`;
    const r = decode([big, KEEPALIVE]);
    expect(r[0]).toMatchObject({ length: 5000, error: { code: 1, subcode: 2, data: '1388' } });
    expect(r[0]).not.toHaveProperty('skipped');
    expect(r[1]).toMatchObject({ message: { type: 'keepalive' } });
  });

  it('RFC 7606: a bad ORIGIN is treat-as-withdraw with its issue', () => {
    const r = decode([`${M} 002d 02 0000 0012 40 01 01 05 40 02 04 02 01 fde8 40 03 04 0a000001 18 0a0000`]);
    expect(r[0]).toMatchObject({
      action: 'treat-as-withdraw',
      message: { type: 'update', attributes: null, nlri: ['10.0.0.0/24'] },
      issues: [{ action: 'treat-as-withdraw', attr: 1, code: 3, subcode: 6 }],
    });
  });

  it('a hole in the capture is a gap record; decoding resumes at the next header after it', () => {
    const d = direction(
      AB,
      [
        [1, KEEPALIVE],
        [3, `0a0b0c ${KEEPALIVE}`],
      ],
      [{ offset: 19, length: 10 }],
    );
    const r = decodeConnection(conn(d));
    expect(r.map(orderRecord)).toEqual([
      expect.objectContaining({ index: 0, message: { type: 'keepalive' } }),
      {
        stream: 3,
        direction: AB,
        frame: 3,
        time: '2023-11-14T22:13:20.000003000Z',
        offset: 19,
        gap: 10,
        skipped: 3,
      },
      expect.objectContaining({ index: 1, offset: 32, message: { type: 'keepalive' } }),
    ]);
  });

  it('a stream that ends inside a message is reported as truncated', () => {
    const r = decode([KEEPALIVE, `${M} 0030 02 00`]);
    expect(r[1]).toMatchObject({ offset: 19, truncated: { have: 20, need: 48 } });
  });

  it('a message split over packets is delivered by the packet that completes it', () => {
    const whole = hex(UPDATE_A);
    const d = direction(AB, [
      [4, Buffer.from(whole.subarray(0, 10)).toString('hex')],
      [7, Buffer.from(whole.subarray(10)).toString('hex')],
    ]);
    expect(decodeConnection(conn(d))[0]).toMatchObject({
      frame: 7,
      length: whole.length,
      message: { type: 'update' },
    });
  });
});

describe('hex input', () => {
  const inputs = [OPEN_A.replace('45 04 0001 01 01', '45 04 0001 01 03'), UPDATE_B].map(hex);

  it('follows an OPEN as if the peer sent the same one', () => {
    const r = decodeHexMessages(inputs);
    expect(messagesOf(r)[1]).toMatchObject({ nlri: [{ prefix: '10.1.1.0/24', pathId: 5 }] });
    expect(r.map((x) => ['index' in x && x.index, x.offset])).toEqual([
      [0, 0],
      [1, 43],
    ]);
  });

  it('with a fixed context, ignores the OPENs', () => {
    const r = decodeHexMessages(inputs, { fixed: { ctx: context({ fourOctetAs: true }), maxLength: 4096 } });
    // Without ADD-PATH the path id octets read as prefixes: 0.0.0.0/0 three times, then garbage.
    expect(messagesOf(r)[1]).toMatchObject({
      nlri: ['0.0.0.0/0', '0.0.0.0/0', '0.0.0.0/0', '24.0.0.0/5', '1.0.0.0/10'],
    });
  });

  it('splits an input holding several messages and reports trailing garbage', () => {
    const r = decodeHexMessages([hex(`${KEEPALIVE} ${KEEPALIVE} 0102`)]);
    expect(r.map(orderRecord)).toEqual([
      { index: 0, offset: 0, length: 19, message: { type: 'keepalive' } },
      { index: 1, offset: 19, length: 19, message: { type: 'keepalive' } },
      expect.objectContaining({
        index: 2,
        offset: 38,
        skipped: 2,
        error: expect.objectContaining({ code: 1, subcode: 1 }),
      }),
    ]);
  });
});

describe('garbage never throws', () => {
  const session = [OPEN_A, KEEPALIVE, UPDATE_A].map((h) => Buffer.from(hex(h)));

  it('random octets, and a real stream with random octets overwritten, decode to records', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (random, edits) => {
          const real = Buffer.concat(session);
          for (const [at, v] of edits) real[at % real.length] = v;
          for (const bytes of [random, real]) {
            const d = direction(AB, [[1, Buffer.from(bytes).toString('hex')]]);
            const records = [...decodeConnection(conn(d)), ...decodeHexMessages([bytes])];
            // Every octet is accounted for: records never point past the input.
            for (const r of records) expect(r.offset).toBeLessThanOrEqual(bytes.length);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
