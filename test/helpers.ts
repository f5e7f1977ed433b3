/** Shared test helpers: hex fixtures and session contexts. */

import { fromHex } from '../src/util/ip.js';
import { familyFromName } from '../src/wire/json.js';
import type { UpdateContext } from '../src/wire/update.js';

export { fromHex };

export function context(c: { fourOctetAs?: boolean; addPath?: string[] } = {}): UpdateContext {
  const fams = new Set((c.addPath ?? []).map(familyFromName));
  return { fourOctetAs: c.fourOctetAs ?? true, addPathRx: fams, addPathTx: fams };
}
