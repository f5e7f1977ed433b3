/** Policy test helpers: compile policies from YAML text and build routes and peers. */
import { parse } from 'yaml';
import {
  type CompiledPolicy,
  compilePolicies,
  type PolicyRoute,
  policiesSchema,
} from '../../../src/policy/index.js';
import type { PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import { parsePrefix } from '../../../src/util/ip.js';

export const LOCAL_ASN = 65000;

export function peer(o: Partial<PeerInfo> = {}): PeerInfo {
  return {
    id: 1,
    address: '192.0.2.1',
    asn: 65001,
    routerId: '192.0.2.1',
    routerIdNum: 0xc0000201,
    ibgp: false,
    rrClient: false,
    directlyConnected: true,
    ...o,
  };
}

/** A route as the core would pass it; `bytes: false` leaves prefixBytes out (parsed from text). */
export function route(prefix: string, attrs: RouteAttrs = {}, from = peer(), bytes = true): PolicyRoute {
  const p = parsePrefix(prefix);
  if (!p) throw new Error(`bad prefix ${prefix}`);
  return {
    family: p.family,
    prefix,
    prefixLength: p.length,
    attrs,
    peer: from,
    ...(bytes ? { prefixBytes: p.bytes } : {}),
  };
}

/** Validates and compiles a `policies:` YAML map; throws with the zod issues on a schema error. */
export function policies(yaml: string): ReadonlyMap<string, CompiledPolicy> {
  return compilePolicies(policiesSchema.parse(parse(yaml)), { localAsn: LOCAL_ASN });
}

/** One policy from a YAML list of terms (default accept) or a { default, terms } map. */
export function policy(yaml: string): CompiledPolicy {
  const indented = yaml
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return policies(`p:\n${indented}`).get('p')!;
}

/** Schema problems as "path: message" lines. */
export function problems(yaml: string): string[] {
  const r = policiesSchema.safeParse(parse(yaml));
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
