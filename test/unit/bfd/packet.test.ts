import { describe, expect, it } from 'vitest';
import { BfdState, decodeControl, encodeControl } from '../../../src/bfd/packet.js';

// RFC 5880 §4.1, built by hand: Vers 1, Diag 3 | Sta Up, P, Mult 3, Length 24,
// My Discr 0x01020304, Your Discr 0x0a0b0c0d, DesiredMinTx 300000, RequiredMinRx 300000, Echo 0.
const hex = [
  '23', // 001 00011: version 1, diag 3
  'e0', // 11 1 0 0 0 0 0: state Up, Poll
  '03', // detect mult
  '18', // length 24
  '01020304',
  '0a0b0c0d',
  '000493e0', // 300000 µs
  '000493e0',
  '00000000',
].join('');
const bytes = () => Buffer.from(hex, 'hex');

describe('BFD Control packet (RFC 5880 §4.1)', () => {
  it('decodes the hand-built fixture', () => {
    const r = decodeControl(bytes());
    expect(r).toEqual({
      ok: true,
      packet: {
        diag: 3,
        state: BfdState.Up,
        poll: true,
        final: false,
        cpi: false,
        demand: false,
        detectMult: 3,
        myDiscr: 0x01020304,
        yourDiscr: 0x0a0b0c0d,
        desiredMinTx: 300000,
        requiredMinRx: 300000,
        requiredMinEchoRx: 0,
      },
    });
  });

  it('encodes to the same bytes and round-trips', () => {
    const r = decodeControl(bytes());
    if (!r.ok) throw new Error(r.reason);
    expect(encodeControl(r.packet).toString('hex')).toBe(hex);
    const f = { ...r.packet, poll: false, final: true, state: BfdState.Init, diag: 0, myDiscr: 0xffffffff };
    const back = decodeControl(encodeControl(f));
    expect(back).toEqual({ ok: true, packet: f });
    expect(encodeControl(f)[1]).toBe(0x90); // Init (10) + F
  });

  it('accepts a longer datagram when the length field is within it', () => {
    expect(decodeControl(Buffer.concat([bytes(), Buffer.alloc(4)])).ok).toBe(true);
  });

  /** Each case: a name, octets to overwrite (offset → value) or a length to cut to, the reason. */
  const broken: [string, Record<number, number> | number, RegExp][] = [
    ['version 2', { 0: 0x43 }, /version 2/],
    ['length field below 24', { 3: 20 }, /length field 20/],
    ['length field beyond the payload', { 3: 28 }, /length field 28 > payload 24/],
    ['detect multiplier zero', { 2: 0 }, /multiplier zero/],
    ['multipoint bit', { 1: 0xe1 }, /multipoint/],
    ['my discriminator zero', { 4: 0, 5: 0, 6: 0, 7: 0 }, /my discriminator zero/],
    ['authentication bit', { 1: 0xe4 }, /authentication/],
    ['short datagram', 23, /short packet \(23/],
  ];
  for (const [name, change, reason] of broken) {
    it(`discards: ${name} (§6.8.6)`, () => {
      let b = bytes();
      if (typeof change === 'number') b = b.subarray(0, change);
      else for (const [at, v] of Object.entries(change)) b[Number(at)] = v;
      const r = decodeControl(b);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('never throws on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(Math.floor(Math.random() * 40));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
      expect(() => decodeControl(b)).not.toThrow();
    }
  });
});
