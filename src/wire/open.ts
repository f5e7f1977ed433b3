/**
 * OPEN message body (RFC 4271 §4.2) with capabilities in optional parameters (RFC 5492) and
 * the extended optional parameters length (RFC 9072). Structural checks only; AS and hold-time
 * policy belong to the session.
 */
import { formatIPv4, ipv4ToBytes } from '../util/ip.js';
import { type Capability, capabilityValueLength, decodeCapability, writeCapability } from './capabilities.js';
import { AS_TRANS, BGP_VERSION, ErrorCode, OpenSubcode, OptParamType } from './constants.js';
import { BgpError, badLength } from './errors.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier in dotted-quad form. */
  readonly routerId: string;
  readonly capabilities: readonly Capability[];
}

/** The sender's AS: the 4-octet AS capability when present (RFC 6793 §3), else My AS. */
export function openAsn(open: OpenMessage): number {
  const cap = open.capabilities.find((c) => c.kind === 'four-octet-as');
  return cap ? cap.asn : open.myAs;
}

/** Builds an OPEN for `asn`, putting AS_TRANS in My AS when it needs 4 octets. */
export function makeOpen(p: {
  asn: number;
  holdTime: number;
  routerId: string;
  capabilities: readonly Capability[];
}): OpenMessage {
  return {
    type: 'open',
    version: BGP_VERSION,
    myAs: p.asn > 0xffff ? AS_TRANS : p.asn,
    holdTime: p.holdTime,
    routerId: p.routerId,
    capabilities: p.capabilities,
  };
}

const openError = (subcode: number, reason: string, data = new Uint8Array(0)) =>
  new BgpError(ErrorCode.OPEN_MESSAGE, subcode, data, reason);

/** Decodes an OPEN body (after the 19-byte header). Throws BgpError. */
export function decodeOpen(body: Uint8Array): OpenMessage {
  if (body.length < 10) throw badLength(body.length + 19, 'OPEN shorter than 29 octets');
  const r = new Reader(body, 0, body.length, () => {
    throw openError(0, 'optional parameters run past the message');
  });
  const version = r.u8();
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: data is the largest supported version number.
    throw openError(
      OpenSubcode.UNSUPPORTED_VERSION_NUMBER,
      `version ${version}`,
      Uint8Array.of(0, BGP_VERSION),
    );
  }
  const myAs = r.u16();
  const holdTime = r.u16();
  if (holdTime === 1 || holdTime === 2) {
    throw openError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${holdTime}`);
  }
  const id = r.u32();
  if (id === 0) throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, 'BGP identifier 0.0.0.0'); // RFC 6286 §2.2
  let paramsLen = r.u8();
  let extended = false;
  // RFC 9072 §2: length 255 and first type 255 announce 2-octet parameter lengths.
  if (paramsLen === 255 && r.remaining >= 3 && body[r.pos] === OptParamType.EXTENDED_LENGTH) {
    r.u8();
    paramsLen = r.u16();
    extended = true;
  }
  if (paramsLen !== r.remaining) {
    throw openError(0, `optional parameters length ${paramsLen}, ${r.remaining} octets follow`);
  }
  const capabilities: Capability[] = [];
  while (r.remaining) {
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    const value = r.sub(len);
    if (type !== OptParamType.CAPABILITIES) {
      throw openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type}`);
    }
    while (value.remaining) {
      const code = value.u8();
      const clen = value.u8();
      if (clen > value.remaining)
        throw openError(0, `capability ${code} length ${clen} runs past its parameter`);
      capabilities.push(decodeCapability(code, value.view(clen)));
    }
  }
  return { type: 'open', version, myAs, holdTime, routerId: formatIPv4(id), capabilities };
}

function capsLength(open: OpenMessage): number {
  let n = 0;
  for (const c of open.capabilities) n += 2 + capabilityValueLength(c);
  return n;
}

/** Capabilities go in one parameter; RFC 9072 format only when they do not fit in 255 octets. */
const useExtended = (capLen: number) => capLen + 2 > 255;

export function openBodyLength(open: OpenMessage): number {
  const capLen = capsLength(open);
  if (capLen === 0) return 10;
  return useExtended(capLen) ? 10 + 3 + 3 + capLen : 10 + 2 + capLen;
}

export function writeOpen(w: Writer, open: OpenMessage): void {
  w.u8(open.version).u16(open.myAs).u16(open.holdTime).bytes(ipv4ToBytes(open.routerId));
  const capLen = capsLength(open);
  if (capLen === 0) {
    w.u8(0);
    return;
  }
  if (useExtended(capLen)) {
    w.u8(255)
      .u8(OptParamType.EXTENDED_LENGTH)
      .u16(capLen + 3);
    w.u8(OptParamType.CAPABILITIES).u16(capLen);
  } else {
    w.u8(capLen + 2)
      .u8(OptParamType.CAPABILITIES)
      .u8(capLen);
  }
  for (const c of open.capabilities) writeCapability(w, c);
}
