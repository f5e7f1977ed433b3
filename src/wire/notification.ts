/**
 * NOTIFICATION (RFC 4271 §4.5) with the RFC 8203/9003 shutdown communication carried by
 * Cease/Administrative Shutdown and Administrative Reset, and the RFC 4486 §4 data of
 * Cease/Maximum Number of Prefixes Reached.
 */
import { CeaseSubcode, ErrorCode, type Family, familyAfi, familySafi } from './constants.js';
import { badLength } from './errors.js';
import { Writer } from './writer.js';

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/** RFC 9003 §2: the shutdown communication is at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_COMMUNICATION = 255;

export function decodeNotification(body: Uint8Array): NotificationMessage {
  if (body.length < 2) throw badLength(body.length + 19, 'NOTIFICATION shorter than 21 octets');
  return { type: 'notification', code: body[0], subcode: body[1], data: body.slice(2) };
}

export const notificationBodyLength = (m: NotificationMessage) => 2 + m.data.length;

export function writeNotification(w: Writer, m: NotificationMessage): void {
  w.u8(m.code).u8(m.subcode).bytes(m.data);
}

const carriesCommunication = (m: { code: number; subcode: number }) =>
  m.code === ErrorCode.CEASE &&
  (m.subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || m.subcode === CeaseSubcode.ADMINISTRATIVE_RESET);

/** Builds a Cease with an RFC 8203 shutdown communication, truncated on a character boundary. */
export function shutdownNotification(subcode: number, message = ''): NotificationMessage {
  let bytes = new TextEncoder().encode(message);
  if (bytes.length > MAX_SHUTDOWN_COMMUNICATION) {
    let cut = MAX_SHUTDOWN_COMMUNICATION;
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--; // do not split a UTF-8 sequence
    bytes = bytes.slice(0, cut);
  }
  const data = bytes.length ? Uint8Array.of(bytes.length, ...bytes) : new Uint8Array(0);
  return { type: 'notification', code: ErrorCode.CEASE, subcode, data };
}

/**
 * The shutdown communication of a Cease/Admin Shutdown or Reset (RFC 8203 §2), or undefined.
 * A length past the data or invalid UTF-8 yields undefined, to be logged as hex instead (RFC 8203 §3).
 */
export function shutdownCommunication(m: NotificationMessage): string | undefined {
  if (!carriesCommunication(m) || m.data.length === 0) return undefined;
  const len = m.data[0];
  if (len === 0) return '';
  if (1 + len > m.data.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(m.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}

/**
 * RFC 4486 §4: Cease/Maximum Number of Prefixes Reached; the data is the AFI (2 octets), SAFI (1)
 * and the upper bound (4) of the family that went over.
 */
export function maxPrefixNotification(family: Family, limit: number): NotificationMessage {
  const w = new Writer(7);
  w.u16(familyAfi(family))
    .u8(familySafi(family))
    .u32(limit >>> 0);
  return {
    type: 'notification',
    code: ErrorCode.CEASE,
    subcode: CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED,
    data: w.finish(),
  };
}
