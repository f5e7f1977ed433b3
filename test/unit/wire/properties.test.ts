/**
 * Property tests (fast-check): peer bytes never make decodeMessage throw or hit an internal error;
 * decode(encode(m)) equals m for valid messages; messageLength is exact; encoders never mutate input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Action,
  Afi,
  BgpError,
  decodeMessage,
  encodeAttributes,
  encodeMessage,
  issueToJson,
  type Message,
  messageLength,
  messageToJson,
  NlriList,
  type UpdateContext,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { GOLDEN } from '../../fixtures/wire/golden.js';
import { context, fromHex } from '../../helpers.js';
import {
  contextOf,
  keepalive,
  notification,
  open,
  routeRefresh,
  sessionShape,
  u8,
  update,
} from './arbitraries.js';

const anyContext = sessionShape.map(contextOf);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

/** The contract on peer input: a result, never an exception, never the internal-error fallback. */
function checkDecode(bytes: Uint8Array, ctx: UpdateContext, max = 65535) {
  const r = decodeMessage(bytes, ctx, max);
  if (!r.ok) {
    expect(r.error).toBeInstanceOf(BgpError);
    expect(r.error.message).not.toMatch(/internal/);
    expect(r.error.code).toBeGreaterThanOrEqual(1);
    expect(r.error.code).toBeLessThanOrEqual(7);
    return r;
  }
  // What `rackbgp decode` prints must be printable too.
  messageToJson(r.message);
  for (const i of r.issues) {
    issueToJson(i);
    expect(i.code).toBe(3);
    expect(i.action).toBeLessThanOrEqual(r.action);
  }
  expect(r.action).toBeLessThan(Action.AFI_SAFI_DISABLE);
  if (r.message.type === 'update')
    expect(r.message.attributes === null).toBe(r.action === Action.TREAT_AS_WITHDRAW);
  return r;
}

const header = (type: number, bodyLength: number) =>
  Uint8Array.of(...new Array(16).fill(0xff), (19 + bodyLength) >> 8, (19 + bodyLength) & 255, type);
const withHeader = (type: number, body: Uint8Array) => {
  const out = new Uint8Array(19 + body.length);
  out.set(header(type, body.length));
  out.set(body, 19);
  return out;
};

describe('peer bytes never throw', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), anyContext, (b, ctx) => void checkDecode(b, ctx)),
      { numRuns: 1000 },
    );
  });

  it('random bodies behind a valid header of type 1-5', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.uint8Array({ maxLength: 400 }),
        anyContext,
        (t, body, ctx) => {
          checkDecode(withHeader(t, body), ctx);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('UPDATEs with well-framed attributes of random flags, codes and values', () => {
    const attr = fc
      .tuple(
        u8,
        fc.oneof(fc.integer({ min: 1, max: 18 }), fc.constant(32), u8),
        fc.uint8Array({ maxLength: 40 }),
      )
      .map(([flags, code, v]) => {
        const ext = (flags & 0x10) !== 0;
        return Uint8Array.of(flags, code, ...(ext ? [v.length >> 8, v.length & 255] : [v.length]), ...v);
      });
    const nlri = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 32 }), u8), { maxLength: 4 })
      .map((ps) => ps.flatMap(([len, b]) => [len, ...new Array((len + 7) >> 3).fill(b)]));
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 8 }), nlri, anyContext, (attrs, n, ctx) => {
        const a = Buffer.concat(attrs);
        const body = Uint8Array.of(0, 0, a.length >> 8, a.length & 255, ...a, ...n);
        checkDecode(withHeader(2, body), ctx);
      }),
      { numRuns: 1000 },
    );
  });

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: u8 }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('extend' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 20 }),
    }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function mutate(src: Uint8Array, ms: Mutation[], fixLength: boolean): Uint8Array {
    let b = Uint8Array.from(src);
    for (const m of ms) {
      // Positions past the header are where inner lengths live; keep the marker mostly intact.
      const at = (n: number) => 18 + (n % Math.max(1, b.length - 18));
      if (m.kind === 'flip') b[at(m.at)] ^= m.xor;
      else if (m.kind === 'set') b[at(m.at)] = m.value;
      else if (m.kind === 'truncate') b = b.slice(0, Math.max(19, at(m.at)));
      else b = Uint8Array.from([...b, ...m.bytes]);
    }
    if (fixLength) b.set([b.length >> 8, b.length & 255], 16);
    return b;
  }

  it('mutated golden fixtures (flipped, set, truncated, extended, length fixed or not)', () => {
    const golden = fc.constantFrom(...GOLDEN.map((g) => ({ bytes: fromHex(g.hex), ctx: context(g.ctx) })));
    fc.assert(
      fc.property(
        golden,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (g, ms, fix) => void checkDecode(mutate(g.bytes, ms, fix), g.ctx),
      ),
      { numRuns: 2000 },
    );
  });

  it('whatever a mutated fixture decodes to re-encodes and decodes to the same thing', () => {
    const golden = fc.constantFrom(...GOLDEN.map((g) => ({ bytes: fromHex(g.hex), ctx: context(g.ctx) })));
    fc.assert(
      fc.property(golden, fc.array(mutation, { minLength: 1, maxLength: 3 }), (g, ms) => {
        const r = checkDecode(mutate(g.bytes, ms, true), g.ctx);
        if (!r.ok || (r.message.type === 'update' && r.message.attributes === null)) return;
        const again = decodeMessage(encodeMessage(r.message, g.ctx, 65535), g.ctx);
        if (!again.ok) throw again.error;
        expect(sortedUnknown(messageToJson(again.message))).toEqual(sortedUnknown(messageToJson(r.message)));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Unknown attributes are kept in received order but sent in ascending code order (RFC 4271 §5). */
function sortedUnknown(json: { attributes?: { unknown?: { code: number }[] } }) {
  json.attributes?.unknown?.sort((x, y) => x.code - y.code);
  return json;
}

/** Freezes plain objects and arrays; typed arrays cannot be frozen, so their contents are snapshotted. */
function freeze(v: unknown, views: Uint8Array[]): void {
  if (v instanceof Uint8Array) views.push(v);
  else if (v !== null && typeof v === 'object' && !(v instanceof Set) && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) freeze(x, views);
    Object.freeze(v);
  }
}

function roundTrip(m: Message, ctx: UpdateContext): void {
  const views: Uint8Array[] = [];
  freeze(m, views);
  const before = views.map((v) => Buffer.from(v).toString('hex'));
  const bytes = encodeMessage(m, ctx, 65535);
  expect(views.map((v) => Buffer.from(v).toString('hex'))).toEqual(before);
  expect(messageLength(m, ctx)).toBe(bytes.length);
  const r = decodeMessage(bytes, ctx);
  if (!r.ok) throw r.error;
  expect(r.issues).toEqual([]);
  const { attributeOctets, ...decoded } = r.message as UpdateMessage;
  expect(decoded).toEqual(m);
  expect(messageToJson(r.message)).toEqual(messageToJson(m));
  if (r.message.type !== 'update') return;
  // The received attributes less the MP ones, as they were encoded (MP first: RFC 7606 §5.1).
  const plain = m.type === 'update' && m.attributes ? encodeAttributes(m.attributes, ctx).after : undefined;
  expect(hex(attributeOctets)).toBe(hex(plain));
}

describe('decode(encode(m)) equals m; messageLength is exact; m is not mutated', () => {
  it('UPDATE: all known attributes, AS4 on and off, ADD-PATH on and off, MP_REACH/MP_UNREACH', () => {
    const arb = sessionShape.chain((s) => fc.tuple(fc.constant(contextOf(s)), update(s)));
    fc.assert(
      fc.property(arb, ([ctx, m]) => roundTrip(m, ctx)),
      { numRuns: 500 },
    );
  });

  it('OPEN with random capabilities (RFC 9072 extended parameters when they exceed 255 octets)', () => {
    fc.assert(
      fc.property(open, (m) => roundTrip(m, context())),
      { numRuns: 500 },
    );
  });

  it('NOTIFICATION, ROUTE-REFRESH, KEEPALIVE', () => {
    fc.assert(
      fc.property(fc.oneof(notification, routeRefresh, keepalive), anyContext, (m, ctx) => roundTrip(m, ctx)),
      { numRuns: 500 },
    );
  });

  it('canonical forms: AS_PATH segments over 255 ASNs are split, empty communities are not sent', () => {
    // RFC 4271 §4.3: the segment length is one octet.
    const long = Array.from({ length: 600 }, (_, i) => 65000 + i);
    const none = NlriList.empty(Afi.IPV4);
    const m: Message = {
      type: 'update',
      withdrawn: none,
      attributes: { origin: 0, asPath: [{ type: 2, asns: long }], nextHop: '10.0.0.1', communities: [] },
      nlri: NlriList.from(Afi.IPV4, ['10.0.0.0/8']),
    };
    const bytes = encodeMessage(m, context(), 65535);
    expect(bytes.length).toBe(messageLength(m, context()));
    const r = decodeMessage(bytes, context());
    if (!r.ok || r.message.type !== 'update') throw new Error('decode failed');
    expect(r.message.attributes?.asPath?.map((s) => s.asns.length)).toEqual([255, 255, 90]);
    expect(r.message.attributes?.asPath?.flatMap((s) => s.asns)).toEqual(long);
    expect(r.message.attributes?.communities).toBeUndefined();
  });

  it('an FQDN hostname starting with U+FEFF keeps it (found by the OPEN property)', () => {
    const m: Message = {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 90,
      routerId: '10.0.0.1',
      capabilities: [{ kind: 'fqdn', hostname: '\ufeffleaf1', domain: '\ufeff' }],
    };
    roundTrip(m, context());
  });

  it('a capability value over 255 octets is refused, not truncated (RFC 5492 §4)', () => {
    const entries = Array.from({ length: 43 }, () => ({ family: 1 << 8, nextHopAfi: 2 }));
    const m: Message = {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 90,
      routerId: '10.0.0.1',
      capabilities: [{ kind: 'extended-next-hop', entries }],
    };
    expect(() => encodeMessage(m, context(), 65535)).toThrow(RangeError);
  });
});
