/**
 * Fuzz cases: mutations of real captured UPDATEs (test/fixtures/captures) and of synthetic valid
 * ones, for an Established session; and mutated OPENs and out-of-order messages for a session that
 * has not sent its OPEN yet. Each case is named after its mutation, for the counts by kind.
 */
import {
  type Attr,
  buildOpen,
  buildUpdate,
  concat,
  encodeAttr,
  KEEPALIVE,
  message,
  type OpenSpec,
  prefix,
  syntheticUpdate,
  type UpdateParts,
  validOpenSpec,
} from './build.js';
import type { Prng } from './prng.js';

export interface FuzzCase {
  readonly kind: string;
  readonly bytes: Uint8Array;
}

const UPDATE_MUTATIONS = {
  valid: 8,
  'header-length': 4,
  'withdrawn-length': 4,
  'attributes-length': 4,
  'attribute-length': 8,
  'attribute-duplicate': 6,
  'attribute-flags': 8,
  'attribute-value': 10,
  'attribute-missing': 4,
  'prefix-impossible': 6,
  'bit-flip': 10,
  'bad-marker': 2,
  'message-type': 2,
  'keepalive-length': 1,
  'route-refresh': 2,
  random: 3,
} as const;

const OPEN_MUTATIONS = {
  'open-valid': 2,
  'open-version': 2,
  'open-hold-time': 3,
  'open-identifier': 2,
  'open-as': 3,
  'open-capability': 6,
  'open-params-length': 4,
  'open-param-type': 2,
  'open-bit-flip': 6,
  'before-open': 4,
  'bad-marker': 1,
  random: 2,
} as const;

/** A message the oracle and the speaker must both read as 1/2 (KEEPALIVE of length 20, RFC 4271 §6.1). */
export const TERMINATOR = message(4, Uint8Array.of(0));

export class Mutator {
  constructor(
    private readonly rng: Prng,
    private readonly corpus: readonly UpdateParts[],
    /** The speaker's AS and our identifier, for OPENs the configured peer would accept. */
    private readonly asn: number,
    private readonly id: number,
  ) {}

  /** A case for an Established session (usually one UPDATE). */
  update(): FuzzCase {
    const r = this.rng;
    const kind = r.weighted(UPDATE_MUTATIONS);
    const base = (): UpdateParts =>
      this.corpus.length && r.chance(0.5) ? clone(r.pick(this.corpus)) : syntheticUpdate(r);
    const u = base();
    switch (kind) {
      case 'valid':
        return { kind, bytes: buildUpdate(u) };
      case 'header-length':
        return { kind, bytes: buildUpdate(u, { header: this.lie(buildUpdate(u).length) }) };
      case 'withdrawn-length':
        return { kind, bytes: buildUpdate(u, { wlen: this.lie(u.withdrawn.length) }) };
      case 'attributes-length': {
        const len = concat(u.attrs.map((a) => encodeAttr(a))).length;
        return { kind, bytes: buildUpdate(u, { alen: this.lie(len) }) };
      }
      case 'attribute-length': {
        if (!u.attrs.length) return { kind, bytes: buildUpdate(u) };
        const i = r.int(u.attrs.length);
        const raw = concat(
          u.attrs.map((a, j) => encodeAttr(a, j === i ? this.lie(a.value.length) : undefined)),
        );
        return { kind, bytes: buildUpdate(u, {}, raw) };
      }
      case 'attribute-duplicate': {
        if (!u.attrs.length) return { kind, bytes: buildUpdate(u) };
        const a = r.pick(u.attrs);
        const copy = { ...a, value: r.chance(0.5) ? a.value : r.bytes(a.value.length) };
        u.attrs.splice(r.int(u.attrs.length + 1), 0, copy);
        return { kind, bytes: buildUpdate(u) };
      }
      case 'attribute-flags': {
        if (!u.attrs.length) return { kind, bytes: buildUpdate(u) };
        const a = r.pick(u.attrs);
        a.flags ^= r.pick([0x80, 0x40, 0x20, 0xc0, 0x10, 0x0f]);
        // Extended Length flipped: a value over 255 octets gets a 1-octet length that lies.
        return { kind, bytes: buildUpdate(u) };
      }
      case 'attribute-value': {
        const code =
          r.chance(0.7) && u.attrs.length
            ? r.pick(u.attrs).code
            : r.pick([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 32]);
        const a = u.attrs.find((x) => x.code === code);
        const value = r.chance(0.5) ? r.bytes(r.int(40)) : mutateBytes(r, a?.value ?? new Uint8Array(0));
        if (a) a.value = value;
        else u.attrs.push({ flags: r.pick([0x40, 0x80, 0xc0]), code, value });
        return { kind, bytes: buildUpdate(u) };
      }
      case 'attribute-missing': {
        const code = r.pick([1, 2, 3, 14]);
        u.attrs = u.attrs.filter((a) => a.code !== code);
        return { kind, bytes: buildUpdate(u) };
      }
      case 'prefix-impossible': {
        const bad = r.chance(0.5)
          ? Uint8Array.of(r.range(33, 255), ...r.bytes(r.int(5)))
          : prefix(r.range(17, 32), Uint8Array.of(10, 9, 8, 7)).subarray(0, r.range(1, 3));
        if (r.chance(0.5)) u.nlri = concat([u.nlri, bad]);
        else u.withdrawn = concat([u.withdrawn, bad]);
        return { kind, bytes: buildUpdate(u) };
      }
      case 'bit-flip': {
        const m = buildUpdate(u);
        return { kind, bytes: flipBody(r, m) };
      }
      case 'bad-marker': {
        const m = buildUpdate(u);
        m[r.int(16)] ^= 1 << r.int(8);
        return { kind, bytes: m };
      }
      case 'message-type': {
        const m = buildUpdate(u);
        m[18] = r.pick([0, 6, 7, 99, 255, 1, 3]);
        return { kind, bytes: m };
      }
      case 'keepalive-length':
        return { kind, bytes: message(4, r.bytes(r.range(1, 8))) };
      case 'route-refresh': {
        // RFC 2918 / 7313: AFI, reserved/subtype, SAFI; wrong lengths and unknown families.
        const body = r.chance(0.5)
          ? Uint8Array.of(0, r.pick([1, 2, 3]), r.int(3), r.pick([1, 2, 128]))
          : r.bytes(r.int(8));
        return { kind, bytes: message(5, body) };
      }
      default:
        return { kind, bytes: message(r.int(6), r.bytes(r.int(60))) };
    }
  }

  /** A case for a session where we have not sent an OPEN yet (the speaker is in OpenSent). */
  beforeOpen(): FuzzCase {
    const r = this.rng;
    const kind = r.weighted(OPEN_MUTATIONS);
    const spec: OpenSpec = validOpenSpec(this.asn, this.id);
    switch (kind) {
      case 'open-valid':
        return { kind, bytes: buildOpen(spec) };
      case 'open-version':
        return { kind, bytes: buildOpen({ ...spec, version: r.pick([0, 1, 3, 5, 255]) }) };
      case 'open-hold-time':
        return { kind, bytes: buildOpen({ ...spec, hold: r.pick([1, 2, 0, 3, 65535, r.int(65536)]) }) };
      case 'open-identifier':
        return { kind, bytes: buildOpen({ ...spec, id: r.pick([0, 0xffffffff, 0x0a4d0001, r.u32()]) }) };
      case 'open-as':
        return { kind, bytes: buildOpen(asMutation(r, spec)) };
      case 'open-capability': {
        const caps = spec.caps.map(([c, v]): [number, Uint8Array] => [c, v]);
        const i = r.int(caps.length);
        if (r.chance(0.5)) caps[i] = [caps[i][0], mutateBytes(r, caps[i][1])];
        else caps.push([r.pick([1, 2, 5, 6, 64, 65, 69, 70, 71, r.int(256)]), r.bytes(r.int(12))]);
        return { kind, bytes: buildOpen({ ...spec, caps }) };
      }
      case 'open-params-length':
        return { kind, bytes: buildOpen({ ...spec, optLenDelta: r.range(-20, 20) || 1 }) };
      case 'open-param-type':
        return { kind, bytes: buildOpen({ ...spec, paramType: r.pick([0, 1, 3, 254, 255]) }) };
      case 'open-bit-flip':
        return { kind, bytes: flipBody(r, buildOpen(spec)) };
      case 'before-open': {
        // RFC 4271 §8.2.2: anything but an OPEN in OpenSent is an FSM error (RFC 6608 5/1).
        const m = r.pick([KEEPALIVE, buildUpdate(syntheticUpdate(r)), message(5, Uint8Array.of(0, 1, 0, 1))]);
        return { kind, bytes: m };
      }
      case 'bad-marker': {
        const m = buildOpen(spec);
        m[r.int(16)] = r.int(255);
        return { kind, bytes: m };
      }
      default:
        return { kind, bytes: r.bytes(r.range(19, 80)) };
    }
  }

  /** A wrong value for a length field: off by a little, zero, the maximum, or anything. */
  private lie(real: number): number {
    const r = this.rng;
    const v = r.pick([
      real + 1,
      real - 1,
      real + r.range(2, 40),
      real - r.range(2, 40),
      0,
      0xffff,
      r.int(0x10000),
    ]);
    return Math.max(0, Math.min(0xffff, v === real ? real + 1 : v));
  }
}

function asMutation(r: Prng, spec: OpenSpec): OpenSpec {
  const caps = spec.caps.filter(([c]) => c !== 65);
  switch (r.int(4)) {
    case 0:
      return { ...spec, as2: r.int(65536) }; // My AS differs from the 4-octet AS capability
    case 1:
      return { ...spec, as2: 23456, caps: [...caps, [65, u32(r.u32())]] }; // a different 4-octet AS
    case 2:
      return { ...spec, caps: [...caps, [65, Uint8Array.of(0, 0)]] }; // capability of the wrong length
    default:
      return { ...spec, as2: 0, caps }; // AS 0, no 4-octet capability
  }
}

const u32 = (n: number) => Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** Flips 1-4 bits after the header (marker, length and type intact). */
function flipBody(r: Prng, m: Uint8Array): Uint8Array {
  if (m.length <= 19) return m;
  for (let n = r.range(1, 4); n > 0; n--) m[19 + r.int(m.length - 19)] ^= 1 << r.int(8);
  return m;
}

/** A copy with a few octets changed, inserted or removed. */
function mutateBytes(r: Prng, v: Uint8Array): Uint8Array {
  const out = [...v];
  for (let n = r.range(1, 3); n > 0; n--) {
    const op = r.int(3);
    const i = r.int(out.length + 1);
    if (op === 0 && out.length) out[Math.min(i, out.length - 1)] = r.int(256);
    else if (op === 1) out.splice(i, 0, r.int(256));
    else if (out.length) out.splice(Math.min(i, out.length - 1), 1);
  }
  return Uint8Array.from(out);
}

function clone(u: UpdateParts): UpdateParts {
  return {
    withdrawn: u.withdrawn.slice(),
    attrs: u.attrs.map((a: Attr) => ({ ...a, value: a.value.slice() })),
    nlri: u.nlri.slice(),
  };
}
