/**
 * The Speaker's `routeAdded` / `routeWithdrawn` events from a run of the decision process. A
 * snapshot is only computed while someone listens; it keeps no state and emits nothing else.
 */
import type { Dest } from '../rib/loc-rib.js';
import { keyToText } from '../rib/prefix-key.js';
import { type RouteSnapshot, routeSnapshot } from './snapshot.js';

export interface RouteEventTarget {
  listenerCount(event: 'routeAdded' | 'routeWithdrawn'): number;
  emit(event: 'routeAdded', route: RouteSnapshot): boolean;
  emit(event: 'routeWithdrawn', route: { prefix: string; family: 4 | 6 }): boolean;
}

/** One event per changed destination: added (a best path, new or changed) or withdrawn (none left). */
export function emitRouteEvents(target: RouteEventTarget, dests: readonly Dest[]): void {
  const added = target.listenerCount('routeAdded') > 0;
  const withdrawn = target.listenerCount('routeWithdrawn') > 0;
  if (!added && !withdrawn) return;
  for (const d of dests) {
    if (d.best) {
      if (added) target.emit('routeAdded', routeSnapshot(d));
    } else if (withdrawn)
      target.emit('routeWithdrawn', { prefix: keyToText(d.family, d.key), family: d.family });
  }
}
