/**
 * Originated networks (config `networks:`): the attributes of a locally originated route, RFC 4271
 * §5.1.1 ORIGIN IGP and an empty AS_PATH (the AS is prepended on eBGP export), optional MED,
 * LOCAL_PREF and communities.
 */
import type { Config } from '../config/schema.js';
import type { RouteAttrs } from '../rib/types.js';
import { Origin } from '../wire/index.js';

export type NetworkSpec = Config['networks'][number];

export const networkPrefix = (n: NetworkSpec): string => (typeof n === 'string' ? n : n.prefix);

export function networkAttrs(n: NetworkSpec): RouteAttrs {
  const spec = typeof n === 'string' ? { prefix: n } : n;
  return {
    origin: Origin.IGP,
    asPath: [],
    ...('med' in spec && spec.med !== undefined && { med: spec.med }),
    ...('local-pref' in spec && spec['local-pref'] !== undefined && { localPref: spec['local-pref'] }),
    ...('communities' in spec &&
      spec.communities && {
        communities: spec.communities.map((c) => {
          const [a, b] = c.split(':').map(Number);
          return ((a << 16) | b) >>> 0;
        }),
      }),
  };
}
