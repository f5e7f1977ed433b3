/**
 * Routes the speaker originates (`networks`, redistributed connected subnets): paths of the
 * speaker itself, peer id 0, in the Loc-RIB beside received ones. Which prefixes to originate is
 * decided by the callers (connected-routes.ts, reload.ts); this only puts them in and takes them out.
 */
import type { LocalInfo } from '../rib/export-rules.js';
import type { LocRib } from '../rib/loc-rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { PeerInfo, RouteAttrs } from '../rib/types.js';

export class Origination {
  /** The speaker as the source of originated routes (peer id 0). */
  readonly self: PeerInfo;

  constructor(
    private readonly rib: LocRib,
    local: LocalInfo,
    /** The RIB changed: the decision has work. */
    private readonly changed: () => void,
  ) {
    this.self = {
      id: 0,
      address: '0.0.0.0',
      asn: local.asn,
      routerId: local.routerId,
      routerIdNum: 0,
      ibgp: false,
      rrClient: false,
      directlyConnected: false,
    };
  }

  originate(family: 4 | 6, key: PrefixKey, attrs: RouteAttrs): void {
    this.rib.update(family, key, this.self, 0, attrs);
    this.changed();
  }

  withdraw(family: 4 | 6, key: PrefixKey): void {
    this.rib.withdraw(family, key, this.self, 0);
    this.changed();
  }
}
