/**
 * Errors as data. A message-level problem is a BgpError carrying the NOTIFICATION it maps to
 * (RFC 4271 §6); an attribute problem is an AttrIssue with its RFC 7606 action.
 */
import { ErrorCode, errorName, HeaderSubcode } from './constants.js';

/** A problem that ends the session with this NOTIFICATION (code, subcode, data). */
export class BgpError extends Error {
  constructor(
    readonly code: number,
    readonly subcode: number,
    readonly data: Uint8Array = new Uint8Array(0),
    reason?: string,
  ) {
    const n = errorName(code, subcode);
    super(reason ?? `${n.code}/${n.subcode}`);
    this.name = 'BgpError';
  }
}

/** RFC 7606 §2 approaches, ordered by severity so the strongest issue wins. */
export const Action = {
  NONE: 0,
  /** Attribute discard: drop the attribute, keep the route. */
  DISCARD: 1,
  /** Treat-as-withdraw: every NLRI in the UPDATE is withdrawn. */
  TREAT_AS_WITHDRAW: 2,
  /** AFI/SAFI disable (RFC 4760 §7): unusable MP attribute. */
  AFI_SAFI_DISABLE: 3,
  /** Session reset: send the NOTIFICATION. */
  SESSION_RESET: 4,
} as const;
export type ActionCode = (typeof Action)[keyof typeof Action];

export const actionName = (a: ActionCode): string =>
  ['none', 'attribute-discard', 'treat-as-withdraw', 'afi-safi-disable', 'session-reset'][a];

/** One attribute problem found while decoding an UPDATE. */
export interface AttrIssue {
  readonly action: ActionCode;
  /** Attribute type code, when the problem belongs to one attribute. */
  readonly attr?: number;
  /** The NOTIFICATION this problem would send under RFC 4271 alone (or does send, for session-reset). */
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly reason: string;
}

export function issue(
  action: ActionCode,
  subcode: number,
  reason: string,
  attr?: number,
  data: Uint8Array = new Uint8Array(0),
): AttrIssue {
  return { action, attr, code: ErrorCode.UPDATE_MESSAGE, subcode, data, reason };
}

/** Bad Message Length (1/2): data is the erroneous length field (RFC 4271 §6.1). */
export function badLength(length: number, reason: string): BgpError {
  return new BgpError(
    ErrorCode.MESSAGE_HEADER,
    HeaderSubcode.BAD_MESSAGE_LENGTH,
    Uint8Array.of(length >> 8, length & 255),
    reason,
  );
}
