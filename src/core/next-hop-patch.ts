/**
 * Next hop self for update groups: a group packs its UPDATEs once with placeholder next hops
 * (0.0.0.0 in NEXT_HOP, :: in MP_REACH_NLRI, both martians no route is learned with) and each
 * member gets a copy with its own session address written over them, at the offset the packer
 * reported (no parsing here). Members with the same addresses share one copy; an UPDATE without
 * a placeholder is shared as it is.
 */
import { ipv4ToBytes, ipv6ToBytes } from '../util/ip.js';

export const SELF4 = '0.0.0.0';
export const SELF6 = '::';

/** Our addresses on one session, as written into its UPDATEs. */
export class SelfAddresses {
  readonly v4: Uint8Array | null;
  readonly v6: Uint8Array | null;
  /** Members with equal keys get byte-identical UPDATEs. */
  readonly key: string;

  constructor(localAddress4: string | undefined, localAddress6: string | undefined) {
    this.v4 = localAddress4 === undefined ? null : ipv4ToBytes(localAddress4);
    this.v6 = localAddress6 === undefined ? null : ipv6ToBytes(localAddress6);
    this.key = `${localAddress4 ?? ''}|${localAddress6 ?? ''}`;
  }
}

/**
 * UPDATEs packed for a group with where their placeholder next hop is: `at` from packAnnouncements
 * (wire/pack.ts), -1 when there is nothing to patch (withdrawals, a next hop that is not self).
 */
export interface PackedRun {
  readonly messages: readonly Uint8Array[];
  readonly at: number;
  /** Which of the member's addresses goes there. */
  readonly self: 4 | 6;
}

/** Hands UPDATEs packed for a group to its members, patched per distinct set of addresses. */
export class Patcher {
  private readonly copies = new Map<string, Uint8Array[]>();
  readonly needsPatching: boolean;

  constructor(private readonly runs: readonly PackedRun[]) {
    this.needsPatching = runs.some((r) => r.at >= 0 && r.messages.length > 0);
  }

  /** Every message of the runs, as packed. */
  get messages(): Uint8Array[] {
    return this.runs.flatMap((r) => r.messages);
  }

  for(self: SelfAddresses): readonly Uint8Array[] {
    if (!this.needsPatching) return this.messages;
    let out = this.copies.get(self.key);
    if (!out) {
      out = [];
      for (const r of this.runs) {
        // RFC 4271 §5.1.3 NEXT_HOP / RFC 4760 §3 MP_REACH_NLRI's first next hop: this member's address.
        const address = r.self === 4 ? self.v4 : self.v6;
        if (r.at < 0 || !address) out.push(...r.messages);
        else
          for (const m of r.messages) {
            const c = new Uint8Array(m);
            c.set(address, r.at);
            out.push(c);
          }
      }
      this.copies.set(self.key, out);
    }
    return out;
  }
}
