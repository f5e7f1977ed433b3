/** A Control packet for tests: 300 ms both ways, multiplier 3, with the given fields over these. */
import { BfdState, type BfdStateValue, type ControlPacket } from '../../../src/bfd/packet.js';

export const TIMERS_300 = { desiredMinTx: 300_000, requiredMinRx: 300_000, detectMult: 3 } as const;

export const controlPacket = (
  state: BfdStateValue = BfdState.Down,
  o: Partial<ControlPacket> = {},
): ControlPacket => ({
  diag: 0,
  state,
  poll: false,
  final: false,
  cpi: false,
  demand: false,
  detectMult: 3,
  myDiscr: 77,
  yourDiscr: 5,
  desiredMinTx: 300_000,
  requiredMinRx: 300_000,
  requiredMinEchoRx: 0,
  ...o,
});
