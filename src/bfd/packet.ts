/**
 * The BFD Control packet (RFC 5880 §4.1): decode with the generic checks of §6.8.6 that need no
 * session (version, length, multiplier, multipoint, discriminators), and encode. Pure: no sockets.
 * Authentication sections (§4.2–4.4) are not supported: a packet with the A bit is refused.
 */

/** §4.1 State (Sta) values. */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdStateValue = (typeof BfdState)[keyof typeof BfdState];
export const stateName = (s: number): string =>
  (['AdminDown', 'Down', 'Init', 'Up'] as const)[s] ?? `state-${s}`;

/** §4.1 Diagnostic (Diag) codes, as the IANA registry names them. */
export const BfdDiag = {
  NoDiagnostic: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export const diagName = (d: number): string =>
  (
    [
      'no-diagnostic',
      'control-detection-time-expired',
      'echo-function-failed',
      'neighbor-signaled-session-down',
      'forwarding-plane-reset',
      'path-down',
      'concatenated-path-down',
      'administratively-down',
      'reverse-concatenated-path-down',
    ] as const
  )[d] ?? `diag-${d}`;

export const BFD_VERSION = 1;
/** §4.1: the mandatory section; 24 octets without authentication. */
export const CONTROL_LENGTH = 24;

export interface ControlPacket {
  readonly diag: number;
  readonly state: BfdStateValue;
  readonly poll: boolean;
  readonly final: boolean;
  /** C: Control Plane Independent (0 here: rackbgp's BFD shares fate with its control plane). */
  readonly cpi: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscr: number;
  readonly yourDiscr: number;
  /** Microseconds, as on the wire. */
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  readonly requiredMinEchoRx: number;
}

export type DecodeResult = { ok: true; packet: ControlPacket } | { ok: false; reason: string };

const fail = (reason: string): DecodeResult => ({ ok: false, reason });

/** §6.8.6 checks that need no session; the rest (demultiplexing, Your Discriminator zero) is the caller's. */
export function decodeControl(b: Uint8Array): DecodeResult {
  if (b.length < CONTROL_LENGTH) return fail(`short packet (${b.length} octets)`);
  const version = b[0] >> 5;
  if (version !== BFD_VERSION) return fail(`version ${version}`);
  const length = b[3];
  const auth = (b[1] & 0x04) !== 0;
  // "If the A bit is set and the Length field is less than 26 ... discarded"; we carry no keys.
  if (auth) return fail('authentication present (not supported)');
  if (length < CONTROL_LENGTH) return fail(`length field ${length} < 24`);
  if (length > b.length) return fail(`length field ${length} > payload ${b.length}`);
  const detectMult = b[2];
  if (detectMult === 0) return fail('detect multiplier zero');
  if (b[1] & 0x01) return fail('multipoint bit set');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const myDiscr = dv.getUint32(4);
  if (myDiscr === 0) return fail('my discriminator zero');
  return {
    ok: true,
    packet: {
      diag: b[0] & 0x1f,
      state: (b[1] >> 6) as BfdStateValue,
      poll: (b[1] & 0x20) !== 0,
      final: (b[1] & 0x10) !== 0,
      cpi: (b[1] & 0x08) !== 0,
      demand: (b[1] & 0x02) !== 0,
      detectMult,
      myDiscr,
      yourDiscr: dv.getUint32(8),
      desiredMinTx: dv.getUint32(12),
      requiredMinRx: dv.getUint32(16),
      requiredMinEchoRx: dv.getUint32(20),
    },
  };
}

/** §4.1 layout, 24 octets, no authentication section, M always 0 (§6.8.7). */
export function encodeControl(p: ControlPacket): Buffer {
  const b = Buffer.alloc(CONTROL_LENGTH);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] =
    (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.cpi ? 0x08 : 0) | (p.demand ? 0x02 : 0);
  b[2] = p.detectMult;
  b[3] = CONTROL_LENGTH;
  b.writeUInt32BE(p.myDiscr >>> 0, 4);
  b.writeUInt32BE(p.yourDiscr >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTx >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRx >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRx >>> 0, 20);
  return b;
}
