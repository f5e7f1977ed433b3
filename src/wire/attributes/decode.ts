/**
 * The generic path-attribute loop (RFC 4271 §4.3, §6.3 as revised by RFC 7606 §3-§5): framing,
 * flag checks, duplicates, unknown well-known/optional attributes, MP attributes, RFC 6793 folding.
 * Produces issues as data; never throws.
 */
import { AS_TRANS, AttrCode, AttrFlag, type Family, UpdateSubcode } from '../constants.js';
import { Action, type AttrIssue, issue } from '../errors.js';
import { reconstructAsPath } from './as-path.js';
import { decodeMpReach, decodeMpUnreach, type MpReach, type MpUnreach } from './mp.js';
import { type AttrContext, type AttrDraft, attrName, DESCRIPTORS } from './table.js';
import type { PathAttributes, RawAttribute } from './types.js';

export interface DecodeAttrContext extends AttrContext {
  readonly addPathRx: ReadonlySet<Family>;
}

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly issues: AttrIssue[];
  /** Bit `code & 31` of word `code >> 5` is set for every attribute code present (well-formed or not). */
  readonly seen: readonly number[];
  /**
   * The received attributes less MP_REACH_NLRI/MP_UNREACH_NLRI (a view of `buf`), when those are
   * contiguous (the MP attributes first or last, as RFC 7606 §5.1 has them sent); else undefined.
   */
  readonly octets: Uint8Array | undefined;
}

/** Whether `code` is in a `seen` bit set of decodeAttributes. */
export const hasAttr = (seen: readonly number[], code: number): boolean =>
  (seen[code >> 5] & (1 << (code & 31))) !== 0;

const TYPE_BITS = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

export function decodeAttributes(
  buf: Uint8Array,
  start: number,
  end: number,
  ctx: DecodeAttrContext,
): DecodedAttributes {
  const draft: AttrDraft = {};
  const issues: AttrIssue[] = [];
  // 256 bits as numbers: a Uint8Array(256) per UPDATE was an ArrayBuffer of its own.
  const seen = [0, 0, 0, 0, 0, 0, 0, 0];
  const unknown: RawAttribute[] = [];
  /** Where the non-MP attributes start and end; `split` once an MP attribute sits between them. */
  let plainStart = start;
  let plainEnd = -1;
  let split = false;
  let mpReach: MpReach | undefined;
  let mpUnreach: MpUnreach | undefined;
  let p = start;
  while (p < end) {
    const flags = buf[p];
    const code = buf[p + 1];
    const hdr = flags & AttrFlag.EXTENDED_LENGTH ? 4 : 3;
    if (p + hdr > end) {
      // RFC 7606 §4: attribute framing errors are treat-as-withdraw.
      issues.push(
        issue(Action.TREAT_AS_WITHDRAW, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header'),
      );
      break;
    }
    const len = hdr === 4 ? (buf[p + 2] << 8) | buf[p + 3] : buf[p + 2];
    if (p + hdr + len > end) {
      issues.push(
        issue(
          Action.TREAT_AS_WITHDRAW,
          UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
          `${attrName(code)} length ${len} overruns the attribute list`,
          code,
        ),
      );
      break;
    }
    const value = buf.subarray(p + hdr, p + hdr + len);
    const at = p;
    const whole = () => buf.slice(at, at + hdr + len); // NOTIFICATION data: the erroneous attribute
    p += hdr + len;

    const isMp = code === AttrCode.MP_REACH_NLRI || code === AttrCode.MP_UNREACH_NLRI;
    if (!isMp) {
      if (plainEnd < 0) plainStart = at;
      else if (plainEnd !== at) split = true;
      plainEnd = p;
    }
    const word = code >> 5;
    const bit = 1 << (code & 31);
    if (seen[word] & bit) {
      // RFC 7606 §3 (g): a repeated MP attribute resets; other repeats are discarded.
      issues.push(
        isMp
          ? issue(
              Action.SESSION_RESET,
              UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
              `repeated ${attrName(code)}`,
              code,
            )
          : issue(Action.DISCARD, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `repeated ${attrName(code)}`, code),
      );
      continue;
    }
    seen[word] |= bit;

    if (isMp) {
      // RFC 7606 §7.11, §5.3: an unusable MP attribute hides its NLRI, so it cannot be treated as
      // withdrawn. Of the two approaches allowed there (RFC 4760 §7) we choose session reset over
      // AFI/SAFI disable: a peer sending garbage for a family is not worth keeping half a session with.
      if ((flags & TYPE_BITS) !== AttrFlag.OPTIONAL) {
        issues.push(
          issue(
            Action.SESSION_RESET,
            UpdateSubcode.ATTRIBUTE_FLAGS_ERROR,
            `${attrName(code)} flags`,
            code,
            whole(),
          ),
        );
        continue;
      }
      const r =
        code === AttrCode.MP_REACH_NLRI
          ? decodeMpReach(value, ctx.addPathRx)
          : decodeMpUnreach(value, ctx.addPathRx);
      if (typeof r === 'string') {
        issues.push(
          issue(
            Action.SESSION_RESET,
            UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
            `${attrName(code)}: ${r}`,
            code,
            whole(),
          ),
        );
      } else if (code === AttrCode.MP_REACH_NLRI) mpReach = r as MpReach;
      else mpUnreach = r as MpUnreach;
      continue;
    }

    const desc = DESCRIPTORS[code];
    if (desc) {
      // RFC 7606 §3 (c): Optional/Transitive bits in conflict make the attribute malformed.
      if ((flags & TYPE_BITS) !== desc.flags) {
        issues.push(
          issue(
            desc.malformed,
            UpdateSubcode.ATTRIBUTE_FLAGS_ERROR,
            `${desc.name} flags 0x${flags.toString(16)}`,
            code,
            whole(),
          ),
        );
        continue;
      }
      const problem = desc.decode(value, ctx, draft);
      if (problem)
        issues.push(issue(desc.malformed, problem[0], `${desc.name}: ${problem[1]}`, code, whole()));
      continue;
    }
    if (!(flags & AttrFlag.OPTIONAL)) {
      // RFC 4271 §6.3: an unrecognized well-known attribute.
      issues.push(
        issue(
          Action.SESSION_RESET,
          UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
          `unknown well-known ${code}`,
          code,
          whole(),
        ),
      );
      continue;
    }
    // RFC 4271 §5: unrecognized optional transitive attributes are kept; non-transitive ones quietly ignored.
    if (flags & AttrFlag.TRANSITIVE)
      unknown.push({ flags: flags & ~AttrFlag.EXTENDED_LENGTH, code, value: Uint8Array.from(value) });
  }

  foldAs4(draft, ctx, issues);
  if (unknown.length) draft.unknown = unknown;
  const octets = split ? undefined : buf.subarray(plainStart, plainEnd < 0 ? plainStart : plainEnd);
  return { attributes: draft, mpReach, mpUnreach, issues, seen, octets };
}

/** RFC 6793 §4.2.3: merge AS4_PATH/AS4_AGGREGATOR from a 2-octet peer; discard them from a 4-octet one. */
function foldAs4(draft: AttrDraft, ctx: AttrContext, issues: AttrIssue[]): void {
  const { as4Path, as4Aggregator } = draft;
  delete draft.as4Path;
  delete draft.as4Aggregator;
  if (!as4Path && !as4Aggregator) return;
  if (ctx.fourOctetAs) {
    // RFC 6793 §4.1: NEW speakers do not exchange AS4_* attributes; received ones are discarded.
    issues.push(
      issue(
        Action.DISCARD,
        UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
        'AS4_PATH/AS4_AGGREGATOR from a 4-octet AS peer',
      ),
    );
    return;
  }
  // RFC 6793 §4.2.3: an AGGREGATOR with a real 2-octet AS means the AS4_* attributes are stale.
  if (draft.aggregator && draft.aggregator.asn !== AS_TRANS && as4Aggregator) return;
  if (as4Aggregator && draft.aggregator) draft.aggregator = as4Aggregator;
  if (as4Path && draft.asPath) draft.asPath = reconstructAsPath(draft.asPath, as4Path);
}
