import { describe, expect, it } from 'vitest';
import { BfdDiag, BfdState, type BfdStateValue } from '../../../src/bfd/packet.js';
import {
  type BfdVars,
  detectionExpired,
  detectionTime,
  initialVars,
  jittered,
  outgoing,
  receive,
  SLOW_TX_US,
  setAdminDown,
  setTimers,
  transmitInterval,
} from '../../../src/bfd/state-machine.js';
import { controlPacket, TIMERS_300 } from './fixtures.js';

const T = TIMERS_300;
const pkt = controlPacket;
const at = (state: BfdStateValue): BfdVars => ({ ...initialVars(T, 5), state });
const up = (): BfdVars =>
  receive(receive(initialVars(T, 5), pkt(BfdState.Down, { yourDiscr: 0 })).vars, pkt(BfdState.Up)).vars;

describe('BFD reception, RFC 5880 §6.8.6 transitions', () => {
  const table: [BfdStateValue, BfdStateValue, BfdStateValue, number | null][] = [
    [BfdState.Down, BfdState.Down, BfdState.Init, BfdDiag.NoDiagnostic],
    [BfdState.Down, BfdState.Init, BfdState.Up, BfdDiag.NoDiagnostic],
    [BfdState.Down, BfdState.Up, BfdState.Down, null],
    [BfdState.Down, BfdState.AdminDown, BfdState.Down, null],
    [BfdState.Init, BfdState.Down, BfdState.Init, null],
    [BfdState.Init, BfdState.Init, BfdState.Up, BfdDiag.NoDiagnostic],
    [BfdState.Init, BfdState.Up, BfdState.Up, BfdDiag.NoDiagnostic],
    [BfdState.Init, BfdState.AdminDown, BfdState.Down, BfdDiag.NeighborSignaledSessionDown],
    [BfdState.Up, BfdState.Down, BfdState.Down, BfdDiag.NeighborSignaledSessionDown],
    [BfdState.Up, BfdState.Init, BfdState.Up, null],
    [BfdState.Up, BfdState.Up, BfdState.Up, null],
    [BfdState.Up, BfdState.AdminDown, BfdState.Down, BfdDiag.NeighborSignaledSessionDown],
  ];
  for (const [local, remote, next, diag] of table) {
    it(`local ${local} + received ${remote} → ${next}`, () => {
      const r = receive(at(local), pkt(remote));
      expect(r.accepted).toBe(true);
      expect(r.vars.state).toBe(next);
      expect(r.transition).toEqual(diag === null ? null : { from: local, to: next, diag });
      if (diag !== null) expect(r.vars.localDiag).toBe(diag);
      expect(r.vars.remoteDiscr).toBe(77);
      expect(r.vars.remoteState).toBe(remote);
    });
  }

  it('AdminDown discards everything but learns the remote variables', () => {
    const r = receive(at(BfdState.AdminDown), pkt(BfdState.Up));
    expect(r).toMatchObject({ accepted: false, transition: null });
    expect(r.vars.state).toBe(BfdState.AdminDown);
  });

  it('Your Discriminator zero is discarded unless the remote is Down or AdminDown', () => {
    expect(receive(at(BfdState.Down), pkt(BfdState.Init, { yourDiscr: 0 })).accepted).toBe(false);
    expect(receive(at(BfdState.Down), pkt(BfdState.Up, { yourDiscr: 0 })).accepted).toBe(false);
    expect(receive(at(BfdState.Down), pkt(BfdState.Down, { yourDiscr: 0 })).accepted).toBe(true);
  });

  it('a Poll is answered with a Final, which carries no Poll (§6.5)', () => {
    const r = receive(up(), pkt(BfdState.Up, { poll: true }));
    expect(r.sendFinal).toBe(true);
    const out = outgoing(r.vars, true);
    expect(out).toMatchObject({ final: true, poll: false });
  });
});

describe('BFD timers', () => {
  it('sends at one second or slower until Up (§6.8.3), then starts a Poll Sequence', () => {
    const down = initialVars(T, 5);
    expect(down.desiredMinTx).toBe(SLOW_TX_US);
    expect(outgoing(down, false)).toMatchObject({
      desiredMinTx: SLOW_TX_US,
      requiredMinRx: 300_000,
      poll: false,
    });
    const v = up();
    expect(v.state).toBe(BfdState.Up);
    expect(v.polling).toBe(true);
    expect(outgoing(v, false)).toMatchObject({
      poll: true,
      desiredMinTx: 300_000,
      state: BfdState.Up,
      yourDiscr: 77,
    });
    // A faster rate may be used at once.
    expect(transmitInterval(v)).toBe(300_000);
    const done = receive(v, pkt(BfdState.Up, { final: true })).vars;
    expect(done.polling).toBe(false);
    expect(outgoing(done, false).poll).toBe(false);
  });

  it('a larger transmit interval waits for the Final; a smaller receive interval too', () => {
    const v = receive(up(), pkt(BfdState.Up, { final: true })).vars;
    const changed = setTimers(v, { desiredMinTx: 900_000, requiredMinRx: 100_000, detectMult: 3 });
    expect(changed.polling).toBe(true);
    expect(outgoing(changed, false)).toMatchObject({
      desiredMinTx: 900_000,
      requiredMinRx: 100_000,
      poll: true,
    });
    expect(transmitInterval(changed)).toBe(300_000);
    const remote = receive(changed, pkt(BfdState.Up, { desiredMinTx: 50_000 })).vars;
    expect(detectionTime(remote)).toBe(3 * 300_000);
    const final = receive(remote, pkt(BfdState.Up, { final: true, desiredMinTx: 50_000 })).vars;
    expect(transmitInterval(final)).toBe(900_000);
    expect(detectionTime(final)).toBe(3 * 100_000);
  });

  it('timer changes while not Up apply at once, without Poll', () => {
    const v = setTimers(initialVars(T, 5), {
      desiredMinTx: 2_000_000,
      requiredMinRx: 500_000,
      detectMult: 5,
    });
    expect(v).toMatchObject({
      polling: false,
      desiredMinTx: 2_000_000,
      txInUse: 2_000_000,
      rxInUse: 500_000,
    });
    expect(outgoing(v, false).detectMult).toBe(5);
  });

  it('the transmit interval is the larger of ours and the remote RequiredMinRx; zero stops it', () => {
    const v = receive(up(), pkt(BfdState.Up, { requiredMinRx: 700_000 })).vars;
    expect(transmitInterval(v)).toBe(700_000);
    expect(transmitInterval(receive(v, pkt(BfdState.Up, { requiredMinRx: 0 })).vars)).toBeNull();
  });

  it('detection time is the remote multiplier × max(our RequiredMinRx, its DesiredMinTx) (§6.8.4)', () => {
    const v = receive(up(), pkt(BfdState.Up, { detectMult: 5, desiredMinTx: 400_000 })).vars;
    expect(detectionTime(v)).toBe(5 * 400_000);
    const w = receive(v, pkt(BfdState.Up, { detectMult: 2, desiredMinTx: 100_000 })).vars;
    expect(detectionTime(w)).toBe(2 * 300_000);
  });

  it('jitter takes 0–25 % off, 10–25 % with a multiplier of 1 (§6.8.7)', () => {
    expect(jittered(1_000_000, 3, 0)).toBe(1_000_000);
    expect(jittered(1_000_000, 3, 0.999999)).toBe(750_000);
    expect(jittered(1_000_000, 1, 0)).toBe(900_000);
    expect(jittered(1_000_000, 1, 0.999999)).toBe(750_000);
  });
});

describe('detection expiry and administrative down', () => {
  it('Up or Init → Down with diag 1 and the remote discriminator cleared (§6.8.1, §6.8.4)', () => {
    for (const s of [BfdState.Up, BfdState.Init] as const) {
      const r = detectionExpired({ ...at(s), remoteDiscr: 77 });
      expect(r.transition).toEqual({ from: s, to: BfdState.Down, diag: BfdDiag.ControlDetectionTimeExpired });
      expect(r.vars.remoteDiscr).toBe(0);
      expect(r.vars.desiredMinTx).toBe(SLOW_TX_US);
    }
    const d = detectionExpired({ ...at(BfdState.Down), remoteDiscr: 77 });
    expect(d.transition).toBeNull();
    expect(d.vars.remoteDiscr).toBe(0);
  });

  it('AdminDown carries diag 7 (RFC 5882 §3.2) and leaves to Down', () => {
    const r = setAdminDown(up(), true);
    expect(r.transition).toEqual({
      from: BfdState.Up,
      to: BfdState.AdminDown,
      diag: BfdDiag.AdministrativelyDown,
    });
    expect(outgoing(r.vars, false)).toMatchObject({ state: BfdState.AdminDown, diag: 7, poll: false });
    expect(setAdminDown(r.vars, true).transition).toBeNull();
    const back = setAdminDown(r.vars, false);
    expect(back.transition).toMatchObject({ from: BfdState.AdminDown, to: BfdState.Down });
    expect(back.vars.remoteDiscr).toBe(0);
  });
});
