/**
 * Who shares an update group (out-group.ts): the key is everything a peer's export depends on but
 * its identity and session address (patched per member), so peers with equal keys are sent the
 * same UPDATEs. A member's place and progress in its group: group-sync.ts.
 */
import type { CompiledPolicy } from '../policy/index.js';
import type { ExportOptions } from '../rib/export-rules.js';
import type { PeerInfo } from '../rib/types.js';
import type { SessionParams } from '../wire/index.js';

/** What a group's export depends on besides the member's identity and addresses. */
export interface GroupSettings {
  readonly families: ReadonlySet<4 | 6>;
  readonly addPathTx: ReadonlySet<4 | 6>;
  readonly addPathSend: 'all' | number;
  readonly exportOptions: Omit<ExportOptions, 'onSharedSubnet'>;
  readonly exportPolicy: readonly CompiledPolicy[];
  /** RFC 8212 blocks export. */
  readonly blockExport: boolean;
  /** MinRouteAdvertisementInterval in seconds (0: none). */
  readonly advertisementInterval: number;
}

/** Small numbers for compiled policies, by identity (the engine's own: no module state). */
export class PolicyIds {
  private readonly ids = new WeakMap<CompiledPolicy, number>();
  private next = 1;

  of(p: CompiledPolicy): number {
    let id = this.ids.get(p);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(p, id);
    }
    return id;
  }
}

/** The key peers with one outbound treatment share, or null when this peer's export is its own. */
export function groupKey(
  info: PeerInfo,
  params: SessionParams,
  s: GroupSettings,
  policies: PolicyIds,
): string | null {
  if (s.advertisementInterval > 0 || s.exportPolicy.some((p) => p.readsPeer)) return null;
  return JSON.stringify([
    // One subnet per group where third-party next hops are possible (our address on it); on a
    // point-to-point link there is no third party, so such links share a group.
    keepsThirdParty(info, s) && !info.pointToPoint ? [info.localAddress4, info.localAddress6] : null,
    info.pointToPoint ?? false,
    info.ibgp,
    info.rrClient,
    info.directlyConnected,
    info.localAddress4 !== undefined,
    info.localAddress6 !== undefined,
    info.extendedNextHop4 ?? false,
    info.localLinkLocal6 ?? null, // not patched: the same for every member
    [...s.families].sort(),
    [...s.addPathTx].sort(),
    s.addPathSend,
    params.fourOctetAs,
    params.maxMessageLength,
    s.exportOptions.nextHopSelf,
    s.exportOptions.nextHopKeep,
    s.blockExport,
    s.exportPolicy.map((p) => policies.of(p)),
  ]);
}

/** eBGP toward a neighbor one hop away: a next hop on its subnet is passed on (RFC 4271 §5.1.3). */
const keepsThirdParty = (info: PeerInfo, s: GroupSettings) =>
  !info.ibgp && info.directlyConnected && !s.exportOptions.nextHopKeep;
