/**
 * The engine's sessions: per PeerInfo what routing needs of it (families, import settings and
 * policy, the kept Adj-RIB-In, its update-group member and group), made from the session's
 * negotiated parameters and the neighbor's options. Lookup only; what each part does lives in
 * import-pipeline.ts and update-groups.ts.
 */
import { type CompiledPolicy, ebgpRequiresPolicy } from '../policy/index.js';
import { AdjRibIn } from '../rib/adj-rib-in.js';
import type { ExportOptions } from '../rib/export-rules.js';
import type { ImportOptions } from '../rib/import-rules.js';
import type { PeerInfo } from '../rib/types.js';
import { type Family, IPV4_UNICAST, IPV6_UNICAST, type SessionParams } from '../wire/index.js';
import type { GroupSettings } from './group-member.js';
import { Member } from './group-sync.js';
import type { PeerSender } from './out-batch.js';
import type { OutGroup } from './out-group.js';

export interface PeerRoutingOptions {
  readonly export: Omit<ExportOptions, 'onSharedSubnet'>;
  readonly import: ImportOptions;
  /** Import and export policy chains (empty: accept, unless RFC 8212 applies). */
  readonly importPolicy?: readonly CompiledPolicy[];
  readonly exportPolicy?: readonly CompiledPolicy[];
  /** RFC 8212: an eBGP session without a policy in a direction passes nothing that way. */
  readonly ebgpRequiresPolicy?: boolean;
  /** ADD-PATH send mode where negotiated: all paths or the best N (default all). */
  readonly addPathSend?: 'all' | number;
  /** MinRouteAdvertisementInterval in seconds (RFC 4271 §9.2.1.1); 0 (default): send at once. */
  readonly advertisementInterval?: number;
  /** Keep the Adj-RIB-In before import policy, to apply a new policy without ROUTE-REFRESH. */
  readonly softReconfigurationInbound?: boolean;
  /** Max-prefix per family (RFC 4486 §4): called once when the count goes over `limit`. */
  readonly maxPrefix?: { readonly limit: number; readonly exceeded: (family: 4 | 6, limit: number) => void };
}

/** Import and export policy of a peer, replaceable at run time (reload, faults). */
export interface PeerPolicies {
  readonly importPolicy: readonly CompiledPolicy[];
  readonly exportPolicy: readonly CompiledPolicy[];
  readonly ebgpRequiresPolicy: boolean;
}

export interface PeerRuntime {
  readonly info: PeerInfo;
  readonly params: SessionParams;
  readonly families: ReadonlySet<4 | 6>;
  readonly importOptions: ImportOptions;
  readonly maxPrefix?: PeerRoutingOptions['maxPrefix'];
  /** Policies and RFC 8212 blocks may be replaced at run time (reload: setPolicies). */
  importPolicy: readonly CompiledPolicy[];
  /** RFC 8212 blocks this direction. */
  blockImport: boolean;
  /** The Adj-RIB-In before policy, with soft reconfiguration inbound. */
  readonly adjIn: AdjRibIn | null;
  /** The peer's place in its update group, and the group (which a new export policy may change). */
  readonly member: Member;
  group: OutGroup;
}

export const familyOf = (f: Family): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);
const families = (list: Iterable<Family>) =>
  new Set([...list].map(familyOf).filter((f): f is 4 | 6 => f !== 0));

/** RFC 8212 blocks a direction of an eBGP session without a policy for it. */
export const blocks = (
  info: PeerInfo,
  dir: 'import' | 'export',
  chain: readonly CompiledPolicy[],
  on: boolean,
) => !!ebgpRequiresPolicy(info, dir, chain.length > 0, on);

/** A session's export settings (what decides its update group). */
export function groupSettings(
  info: PeerInfo,
  params: SessionParams,
  opts: PeerRoutingOptions,
): GroupSettings {
  const exportPolicy = opts.exportPolicy ?? [];
  return {
    families: families(params.families),
    addPathTx: families(params.addPathTx),
    addPathSend: opts.addPathSend ?? 'all',
    exportOptions: opts.export,
    exportPolicy,
    blockExport: blocks(info, 'export', exportPolicy, opts.ebgpRequiresPolicy ?? false),
    advertisementInterval: opts.advertisementInterval ?? 0,
  };
}

export class PeerRegistry {
  private readonly peers = new Map<PeerInfo, PeerRuntime>();

  /** A session's runtime; `join` puts its member in an update group. */
  add(
    info: PeerInfo,
    params: SessionParams,
    sender: PeerSender,
    opts: PeerRoutingOptions,
    join: (m: Member, s: GroupSettings) => OutGroup,
  ): PeerRuntime {
    const settings = groupSettings(info, params, opts);
    const member = new Member(info, params, sender);
    const importPolicy = opts.importPolicy ?? [];
    const rt: PeerRuntime = {
      info,
      params,
      families: settings.families,
      importOptions: opts.import,
      importPolicy,
      blockImport: blocks(info, 'import', importPolicy, opts.ebgpRequiresPolicy ?? false),
      ...(opts.maxPrefix && { maxPrefix: opts.maxPrefix }),
      adjIn: opts.softReconfigurationInbound ? new AdjRibIn() : null,
      member,
      group: join(member, settings),
    };
    this.peers.set(info, rt);
    return rt;
  }

  get(info: PeerInfo): PeerRuntime | undefined {
    return this.peers.get(info);
  }

  /** Still the runtime of its session (not gone, nor replaced by a new session). */
  current(rt: PeerRuntime): boolean {
    return this.peers.get(rt.info) === rt;
  }

  delete(info: PeerInfo): void {
    this.peers.delete(info);
  }

  values(): IterableIterator<PeerRuntime> {
    return this.peers.values();
  }

  /** The update groups of the sessions, each once. */
  groups(): Set<OutGroup> {
    const out = new Set<OutGroup>();
    for (const rt of this.peers.values()) out.add(rt.group);
    return out;
  }
}
