/**
 * UPDATE message (RFC 4271 §4.3) with MP-BGP (RFC 4760), ADD-PATH (RFC 7911), End-of-RIB
 * (RFC 4724 §2) and RFC 7606 error handling: decode returns issues and the resulting action.
 */
import { decodeAttributes, hasAttr } from './attributes/decode.js';
import { attributesLength, writeAttributes } from './attributes/encode.js';
import {
  type MpReach,
  type MpUnreach,
  mpReachLength,
  mpReachNlriBytes,
  writeMpReachHead,
} from './attributes/mp.js';
import type { PathAttributes } from './attributes/types.js';
import {
  Afi,
  AttrCode,
  AttrFlag,
  ErrorCode,
  type Family,
  familyAfi,
  familySafi,
  IPV4_UNICAST,
  UpdateSubcode,
} from './constants.js';
import { Action, type ActionCode, type AttrIssue, BgpError, badLength } from './errors.js';
import { NlriList } from './nlri.js';
import type { Writer } from './writer.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast withdrawn routes field. */
  readonly withdrawn: NlriList;
  /**
   * Path attributes; null means the UPDATE is treat-as-withdraw (RFC 7606 §2): every prefix in
   * `nlri` and `mpReach` is to be withdrawn.
   */
  readonly attributes: PathAttributes | null;
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** IPv4 unicast NLRI field. */
  readonly nlri: NlriList;
  /**
   * The path attributes as received, less MP_REACH_NLRI/MP_UNREACH_NLRI, when decoded from a
   * message (and those were not between other attributes): a view of the message, valid while it
   * is handled (copy to keep). The same octets in a session decode to the same `attributes`, so a
   * receiver can find an attribute set by them without encoding it (rib/attr-store.ts).
   */
  readonly attributeOctets?: Uint8Array;
}

/** What the UPDATE codec needs of the negotiated session. */
export interface UpdateContext {
  readonly fourOctetAs: boolean;
  /** Families whose received NLRI carry path identifiers (RFC 7911). */
  readonly addPathRx: ReadonlySet<Family>;
  /** Families whose sent NLRI carry path identifiers. */
  readonly addPathTx: ReadonlySet<Family>;
}

export interface DecodedUpdate {
  readonly message: UpdateMessage;
  readonly issues: readonly AttrIssue[];
  /** The strongest RFC 7606 action among the issues (session reset never gets here: it throws). */
  readonly action: ActionCode;
}

const malformedList = (reason: string) =>
  new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, new Uint8Array(0), reason);
const invalidNetwork = (reason: string) =>
  new BgpError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.INVALID_NETWORK_FIELD, new Uint8Array(0), reason);

/** Decodes an UPDATE body (after the header). Throws BgpError for session-reset errors. */
export function decodeUpdate(body: Uint8Array, ctx: UpdateContext): DecodedUpdate {
  const n = body.length;
  // RFC 4271 §6.1: an UPDATE shorter than its 23-octet minimum is Bad Message Length.
  if (n < 4) throw badLength(n + 19, 'UPDATE shorter than 23 octets');
  // RFC 4271 §6.3: lengths that do not add up are a Malformed Attribute List.
  const wlen = (body[0] << 8) | body[1];
  if (4 + wlen > n) throw malformedList(`withdrawn routes length ${wlen} overruns the message`);
  const alen = (body[2 + wlen] << 8) | body[3 + wlen];
  const attrStart = 4 + wlen;
  const attrEnd = attrStart + alen;
  if (attrEnd > n) throw malformedList(`total path attribute length ${alen} overruns the message`);

  const v4AddPath = ctx.addPathRx.has(IPV4_UNICAST);
  // RFC 7606 §5.3: a malformed withdrawn or NLRI field cannot be located, so the session resets;
  // §3 (i) checks Withdrawn Routes like NLRI, so both are Invalid Network Field (as BIRD and FRR send).
  const withdrawn = NlriList.decode(body, 2, 2 + wlen, Afi.IPV4, v4AddPath);
  if (!withdrawn) throw invalidNetwork('malformed withdrawn routes');
  const nlri = NlriList.decode(body, attrEnd, n, Afi.IPV4, v4AddPath);
  if (!nlri) throw invalidNetwork('malformed NLRI');

  const d = decodeAttributes(body, attrStart, attrEnd, ctx);
  const issues = d.issues;
  const announces = nlri.count > 0 || (d.mpReach !== undefined && reachCount(d.mpReach) > 0);
  if (announces) {
    // RFC 7606 §3 (d): missing well-known mandatory attributes are treat-as-withdraw;
    // NEXT_HOP is mandatory only for the classic NLRI field (RFC 4760 §3).
    const required: number[] = [AttrCode.ORIGIN, AttrCode.AS_PATH];
    if (nlri.count > 0) required.push(AttrCode.NEXT_HOP);
    for (const code of required) {
      if (!hasAttr(d.seen, code)) {
        issues.push({
          action: Action.TREAT_AS_WITHDRAW,
          attr: code,
          code: ErrorCode.UPDATE_MESSAGE,
          subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
          data: Uint8Array.of(code), // RFC 4271 §6.3: data is the missing attribute's type code
          reason: `missing well-known attribute ${code}`,
        });
      }
    }
  }
  let action: ActionCode = Action.NONE;
  for (const i of issues) if (i.action > action) action = i.action;
  // RFC 7606 §5.2: with no reachable NLRI the parse cannot be trusted, so any error stronger
  // than attribute discard resets the session.
  const reset = action === Action.SESSION_RESET || action === Action.AFI_SAFI_DISABLE;
  if (reset || (action === Action.TREAT_AS_WITHDRAW && !announces)) {
    const worst = issues.find((i) => i.action === action)!;
    throw new BgpError(worst.code, worst.subcode, worst.data, worst.reason);
  }
  const message: UpdateMessage = {
    type: 'update',
    withdrawn,
    attributes: action === Action.TREAT_AS_WITHDRAW ? null : d.attributes,
    ...(d.mpReach && { mpReach: d.mpReach }),
    ...(d.mpUnreach && { mpUnreach: d.mpUnreach }),
    nlri,
    ...(d.octets && action !== Action.TREAT_AS_WITHDRAW && { attributeOctets: d.octets }),
  };
  return { message, issues, action };
}

const reachCount = (mp: MpReach) => (mp.raw ? mp.raw.nlri.length : mp.nlri.count);

/** End-of-RIB marker's family (RFC 4724 §2), or null when the UPDATE is not one. */
export function endOfRibFamily(m: UpdateMessage): Family | null {
  const a = m.attributes;
  const noAttrs = a !== null && Object.keys(a).length === 0;
  if (!noAttrs || m.withdrawn.count || m.nlri.count || m.mpReach) return null;
  if (!m.mpUnreach) return IPV4_UNICAST;
  return m.mpUnreach.withdrawn.count === 0 && !m.mpUnreach.raw?.length ? m.mpUnreach.family : null;
}

/** The End-of-RIB UPDATE for a family: empty for IPv4 unicast, an empty MP_UNREACH otherwise. */
export function endOfRib(f: Family): UpdateMessage {
  const empty = NlriList.empty(Afi.IPV4);
  if (f === IPV4_UNICAST) return { type: 'update', withdrawn: empty, attributes: {}, nlri: empty };
  return {
    type: 'update',
    withdrawn: empty,
    attributes: {},
    mpUnreach: { family: f, withdrawn: NlriList.empty(familyAfi(f)) },
    nlri: empty,
  };
}

/** NLRI re-encoded for the sending direction's ADD-PATH setting. */
const forTx = (l: NlriList, f: Family, ctx: UpdateContext) => l.withAddPath(ctx.addPathTx.has(f));

const mpHeader = (len: number) => (len > 255 ? 4 : 3);

function parts(m: UpdateMessage, ctx: UpdateContext) {
  const withdrawn = forTx(m.withdrawn, IPV4_UNICAST, ctx);
  const nlri = forTx(m.nlri, IPV4_UNICAST, ctx);
  const unreach =
    m.mpUnreach && (m.mpUnreach.raw ?? forTx(m.mpUnreach.withdrawn, m.mpUnreach.family, ctx).bytes);
  const reachNlri =
    m.mpReach &&
    (m.mpReach.raw ? mpReachNlriBytes(m.mpReach) : forTx(m.mpReach.nlri, m.mpReach.family, ctx).bytes);
  return { withdrawn, nlri, unreach, reachNlri };
}

/** Exact encoded length of the whole message, header included. */
export function updateLength(m: UpdateMessage, ctx: UpdateContext): number {
  const { withdrawn, nlri, unreach, reachNlri } = parts(m, ctx);
  let attrs = m.attributes ? attributesLength(m.attributes, ctx) : 0;
  if (m.mpUnreach && unreach) attrs += mpHeader(3 + unreach.length) + 3 + unreach.length;
  if (m.mpReach && reachNlri) {
    const len = mpReachLength(m.mpReach, reachNlri.length);
    attrs += mpHeader(len) + len;
  }
  return 19 + 2 + withdrawn.byteLength + 2 + attrs + nlri.byteLength;
}

const NO_ATTRIBUTES: PathAttributes = Object.freeze({});

/** Writes the UPDATE body; attributes go straight into `w`, the MP attributes first (RFC 7606 §5.1). */
export function writeUpdate(w: Writer, m: UpdateMessage, ctx: UpdateContext): void {
  const { withdrawn, nlri, unreach, reachNlri } = parts(m, ctx);
  w.u16(withdrawn.byteLength).bytes(withdrawn.bytes);
  const alen = w.reserveLength(2);
  writeAttributes(w, m.attributes ?? NO_ATTRIBUTES, ctx, () => {
    if (m.mpReach && reachNlri) {
      const len = mpReachLength(m.mpReach, reachNlri.length);
      writeAttrHeader(w, AttrCode.MP_REACH_NLRI, len);
      writeMpReachHead(w, m.mpReach);
      w.bytes(reachNlri);
    }
    if (m.mpUnreach && unreach) {
      writeAttrHeader(w, AttrCode.MP_UNREACH_NLRI, 3 + unreach.length);
      w.u16(familyAfi(m.mpUnreach.family)).u8(familySafi(m.mpUnreach.family)).bytes(unreach);
    }
  });
  w.patchLength(alen, 2);
  w.bytes(nlri.bytes);
}

/** MP attributes are optional non-transitive (RFC 4760 §3, §4). */
export function writeAttrHeader(w: Writer, code: number, len: number): void {
  if (len > 255)
    w.u8(AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH)
      .u8(code)
      .u16(len);
  else w.u8(AttrFlag.OPTIONAL).u8(code).u8(len);
}
