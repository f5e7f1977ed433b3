/**
 * ROUTE-REFRESH received: a request (RFC 2918) is answered with the Adj-RIB-Out again, then
 * End-of-RIB, or with enhanced route refresh (RFC 7313 §4) between BoRR and EoRR; the end marker is
 * queued behind the re-sent UPDATEs, so it cannot overtake them. A neighbor's own BoRR / EoRR
 * goes to the receiver (enhanced-refresh.ts).
 */
import type { PeerInfo } from '../rib/types.js';
import type { PeerSession } from '../session/peer-session.js';
import {
  endOfRib,
  IPV4_UNICAST,
  IPV6_UNICAST,
  RefreshSubtype,
  type RouteRefreshMessage,
} from '../wire/index.js';
import type { EnhancedRefreshReceiver } from './enhanced-refresh.js';

const familyNumber = (f: number): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);

export interface RefreshAnswerDeps {
  /** The session's PeerInfo while Established. */
  readonly info: PeerInfo | undefined;
  readonly refreshIn: Pick<EnhancedRefreshReceiver, 'begin' | 'end'>;
  readonly routing: { refreshOut(info: PeerInfo): boolean };
  /** End-of-RIB the one way it leaves (session-bridge.ts). */
  readonly sendEndOfRib: (family: 4 | 6) => void;
}

export function answerRouteRefresh(peer: PeerSession, m: RouteRefreshMessage, d: RefreshAnswerDeps): void {
  const f = familyNumber(m.family);
  const enhanced = peer.params?.enhancedRouteRefresh;
  if (m.subtype !== RefreshSubtype.NORMAL) {
    if (!d.info || !f || !enhanced) return;
    if (m.subtype === RefreshSubtype.BORR) d.refreshIn.begin(d.info, f);
    else if (m.subtype === RefreshSubtype.EORR) d.refreshIn.end(d.info, f);
    return;
  }
  if (enhanced) peer.send({ type: 'route-refresh', family: m.family, subtype: RefreshSubtype.BORR });
  if (d.info) d.routing.refreshOut(d.info);
  if (enhanced)
    peer.connection?.sendAfterUpdates({
      type: 'route-refresh',
      family: m.family,
      subtype: RefreshSubtype.EORR,
    });
  else if (f) d.sendEndOfRib(f);
  else peer.connection?.sendAfterUpdates(endOfRib(m.family));
}
