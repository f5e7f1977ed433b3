/**
 * What a policy sees (PolicyRoute) and the per-evaluation state its compiled conditions and actions
 * share: the current attributes with copy-on-write (the input is never mutated), lazily derived
 * views (prefix bytes, AS-path text) and the next-hop-self marker.
 */
import type { PeerInfo, RouteAttrs } from '../route/types.js';
import { parsePrefix } from '../util/ip.js';
import { type AsPathSegment, AsPathSegmentType, type Mutable } from '../wire/index.js';

export interface PolicyRoute {
  readonly family: 4 | 6;
  /** Canonical text, e.g. "10.1.0.0/24". */
  readonly prefix: string;
  /** The prefix bits (4/16 bytes, or the wire form of ceil(length/8) bytes); parsed from `prefix` if absent. */
  readonly prefixBytes?: Uint8Array;
  readonly prefixLength: number;
  readonly attrs: RouteAttrs;
  /** Import: the neighbor the route came from. Export: the neighbor it is sent to. */
  readonly peer: PeerInfo;
}

/** AS_PATH as FRR prints it: "65001 65002 {65003,65004} (65010 65011) [65012]". */
export function asPathText(segments: readonly AsPathSegment[] | undefined): string {
  if (!segments) return '';
  let out = '';
  for (const s of segments) {
    if (out) out += ' ';
    switch (s.type) {
      case AsPathSegmentType.AS_SET:
        out += `{${s.asns.join(',')}}`;
        break;
      case AsPathSegmentType.AS_CONFED_SEQUENCE:
        out += `(${s.asns.join(' ')})`;
        break;
      case AsPathSegmentType.AS_CONFED_SET:
        out += `[${s.asns.join(',')}]`;
        break;
      default:
        out += s.asns.join(' ');
    }
  }
  return out;
}

export class EvalState {
  /** The attributes as modified so far; `route.attrs` until the first change. */
  attrs: RouteAttrs;
  /** Set by `next-hop: self`; cleared by a later explicit next hop. */
  nextHopSelf = false;
  private draft: Mutable<RouteAttrs> | null = null;
  private bytes: Uint8Array | null | undefined;
  private pathText: string | null = null;

  constructor(readonly route: PolicyRoute) {
    this.attrs = route.attrs;
  }

  /** The attributes to modify: a shallow copy made once per evaluation. */
  write(): Mutable<RouteAttrs> {
    if (this.draft === null) {
      this.draft = { ...this.route.attrs };
      this.attrs = this.draft;
    }
    return this.draft;
  }

  /** Call after changing asPath. */
  asPathChanged(): void {
    this.pathText = null;
  }

  /** The prefix bits, or null when `prefix` is not a prefix (then no prefix list matches). */
  prefixBytes(): Uint8Array | null {
    if (this.bytes === undefined) {
      this.bytes = this.route.prefixBytes ?? parsePrefix(this.route.prefix, true)?.bytes ?? null;
    }
    return this.bytes;
  }

  asPathText(): string {
    this.pathText ??= asPathText(this.attrs.asPath);
    return this.pathText;
  }
}
