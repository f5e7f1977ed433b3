/**
 * Whole BGP messages: the 19-octet header (RFC 4271 §4.1), per-type length rules (§6.1), and
 * dispatch to each message codec. decodeMessage never throws on peer input.
 */
import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MARKER_LENGTH, MessageType } from './constants.js';
import { Action, type ActionCode, type AttrIssue, BgpError, badLength } from './errors.js';
import {
  decodeNotification,
  type NotificationMessage,
  notificationBodyLength,
  writeNotification,
} from './notification.js';
import { decodeOpen, type OpenMessage, openBodyLength, writeOpen } from './open.js';
import { decodeRouteRefresh, type RouteRefreshMessage, writeRouteRefresh } from './route-refresh.js';
import { decodeUpdate, type UpdateContext, type UpdateMessage, updateLength, writeUpdate } from './update.js';
import { Writer } from './writer.js';

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export type Message =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

export type DecodeResult =
  | {
      readonly ok: true;
      readonly message: Message;
      readonly issues: readonly AttrIssue[];
      readonly action: ActionCode;
    }
  | { readonly ok: false; readonly error: BgpError };

export const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: 'keepalive' });

const typeCode = {
  open: MessageType.OPEN,
  update: MessageType.UPDATE,
  notification: MessageType.NOTIFICATION,
  keepalive: MessageType.KEEPALIVE,
  'route-refresh': MessageType.ROUTE_REFRESH,
} as const;

/**
 * Checks a header: marker all ones (1/1), length within [19, max] (1/2). Returns the message
 * length, or the error. Needs only the first 19 octets.
 */
export function checkHeader(buf: Uint8Array, offset: number, maxLength: number): number | BgpError {
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (buf[offset + i] !== 0xff) {
      return new BgpError(
        ErrorCode.MESSAGE_HEADER,
        HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
        new Uint8Array(0),
        'marker is not all ones',
      );
    }
  }
  const len = (buf[offset + 16] << 8) | buf[offset + 17];
  if (len < HEADER_LENGTH || len > maxLength)
    return badLength(len, `message length ${len} outside 19..${maxLength}`);
  return len;
}

/** Decodes one framed message (header included). */
export function decodeMessage(frame: Uint8Array, ctx: UpdateContext, maxLength = 65535): DecodeResult {
  try {
    if (frame.length < HEADER_LENGTH) throw badLength(frame.length, 'shorter than a header');
    const len = checkHeader(frame, 0, maxLength);
    if (len instanceof BgpError) throw len;
    if (len !== frame.length) throw badLength(len, `length field ${len}, frame ${frame.length}`);
    const type = frame[18];
    const body = frame.subarray(HEADER_LENGTH);
    let message: Message;
    switch (type) {
      case MessageType.OPEN:
        message = decodeOpen(body);
        break;
      case MessageType.UPDATE: {
        const d = decodeUpdate(body, ctx);
        return { ok: true, message: d.message, issues: d.issues, action: d.action };
      }
      case MessageType.NOTIFICATION:
        message = decodeNotification(body);
        break;
      case MessageType.KEEPALIVE:
        if (body.length !== 0) throw badLength(len, 'KEEPALIVE longer than 19 octets');
        message = KEEPALIVE;
        break;
      case MessageType.ROUTE_REFRESH:
        message = decodeRouteRefresh(body);
        break;
      default:
        throw new BgpError(
          ErrorCode.MESSAGE_HEADER,
          HeaderSubcode.BAD_MESSAGE_TYPE,
          Uint8Array.of(type),
          `message type ${type}`,
        );
    }
    return { ok: true, message, issues: [], action: Action.NONE };
  } catch (e) {
    if (e instanceof BgpError) return { ok: false, error: e };
    // A bug, not peer input: report it as the generic error rather than crash the session.
    return {
      ok: false,
      error: new BgpError(ErrorCode.CEASE, 0, new Uint8Array(0), `internal decode error: ${String(e)}`),
    };
  }
}

/** Exact encoded length of a message, header included. */
export function messageLength(m: Message, ctx: UpdateContext): number {
  switch (m.type) {
    case 'open':
      return HEADER_LENGTH + openBodyLength(m);
    case 'update':
      return updateLength(m, ctx);
    case 'notification':
      return HEADER_LENGTH + notificationBodyLength(m);
    case 'keepalive':
      return HEADER_LENGTH;
    case 'route-refresh':
      return HEADER_LENGTH + 4;
  }
}

/** Encodes a whole message; never mutates `m`. Throws RangeError when it exceeds `maxLength`. */
export function encodeMessage(m: Message, ctx: UpdateContext, maxLength = 4096): Uint8Array {
  const len = messageLength(m, ctx);
  if (len > maxLength) throw new RangeError(`${m.type} of ${len} octets exceeds ${maxLength}`);
  const w = new Writer(len);
  w.bytes(MARKER).u16(len).u8(typeCode[m.type]);
  switch (m.type) {
    case 'open':
      writeOpen(w, m);
      break;
    case 'update':
      writeUpdate(w, m, ctx);
      break;
    case 'notification':
      writeNotification(w, m);
      break;
    case 'keepalive':
      break;
    case 'route-refresh':
      writeRouteRefresh(w, m);
      break;
  }
  if (w.pos !== len) throw new Error(`${m.type}: encoded ${w.pos} octets, computed ${len}`);
  return w.finish();
}

export const MARKER: Uint8Array = new Uint8Array(MARKER_LENGTH).fill(0xff);
