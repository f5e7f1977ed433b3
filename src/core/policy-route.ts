/**
 * What a policy sees of a route, shared by import (import-pipeline.ts) and export
 * (export-filter.ts): the prefix as bytes with its text made on demand, and `next-hop: self`
 * applied to attributes. No evaluation here: that is src/policy.
 */
import type { PolicyRoute } from '../policy/index.js';
import { keyLength, keyToText, type PrefixKey, writeKey } from '../rib/prefix-key.js';
import type { PeerInfo, RouteAttrs } from '../rib/types.js';

/** What a policy sees of a RIB prefix; the text form is made only if a condition asks for it. */
export function policyRoute(family: 4 | 6, key: PrefixKey, attrs: RouteAttrs, peer: PeerInfo): PolicyRoute {
  const prefixLength = keyLength(key);
  const bytes = new Uint8Array(17);
  writeKey(key, bytes, 0);
  let text: string | undefined;
  return {
    family,
    get prefix() {
      text ??= keyToText(family, key);
      return text;
    },
    prefixBytes: bytes.subarray(1, 1 + ((prefixLength + 7) >> 3)),
    prefixLength,
    attrs,
    peer,
  };
}

/** `next-hop: self`: our address on the session, with our link-local one where we have one. */
export function withNextHop(a: RouteAttrs, self: string | undefined, selfLinkLocal?: string): RouteAttrs {
  if (self === undefined) return a;
  const { linkLocalNextHop: _ll, ...rest } = a;
  return { ...rest, nextHop: self, ...(selfLinkLocal !== undefined && { linkLocalNextHop: selfLinkLocal }) };
}
