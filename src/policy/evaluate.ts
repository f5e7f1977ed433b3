/**
 * Pure policy evaluation: terms in order, the first terminal action decides, else the policy's
 * default. Modifications are copy-on-write: the result's attrs is the input object when nothing
 * changed. Also the RFC 8212 check for eBGP sessions without policy.
 */
import type { PeerInfo, RouteAttrs } from '../route/types.js';
import type { Mutable } from '../wire/index.js';
import type { CompiledPolicy, CompiledTerm } from './compile.js';
import { EvalState, type PolicyRoute } from './route.js';
import type { PolicyAction } from './schema.js';

export interface PolicyResult {
  readonly action: PolicyAction;
  /** The attributes to use: the input object when unchanged (and always on reject); never mutated. */
  readonly attrs: RouteAttrs;
  /** The policy that decided (for a chain: the rejecting one, or the last). */
  readonly policy?: string;
  /** The term whose terminal action decided; absent when the policy's default did. */
  readonly matchedTerm?: string;
  /** `next-hop: self` applied: the caller sets the next hop to its own address on the session. */
  readonly nextHopSelf?: true;
}

function termMatches(term: CompiledTerm, s: EvalState): boolean {
  for (const c of term.conditions) if (!c(s)) return false;
  return true;
}

/** Runs one policy over the shared state; returns the deciding term (undefined: the default decided). */
function run(policy: CompiledPolicy, s: EvalState): CompiledTerm | undefined {
  for (const term of policy.terms) {
    if (!termMatches(term, s)) continue;
    for (const m of term.modifiers) m(s);
    if (term.action) return term;
  }
  return undefined;
}

function result(
  s: EvalState,
  policy: CompiledPolicy | undefined,
  term: CompiledTerm | undefined,
): PolicyResult {
  const action = term?.action ?? policy?.defaultAction ?? 'accept';
  const r: Mutable<PolicyResult> = { action, attrs: action === 'reject' ? s.route.attrs : s.attrs };
  if (policy) r.policy = policy.name;
  if (term) r.matchedTerm = term.name;
  if (s.nextHopSelf && action === 'accept') r.nextHopSelf = true;
  return r;
}

export function evaluate(policy: CompiledPolicy, route: PolicyRoute): PolicyResult {
  const s = new EvalState(route);
  return result(s, policy, run(policy, s));
}

/**
 * Applies policies in order, each seeing the previous one's changes; the first reject wins. An
 * empty chain accepts unchanged (RFC 8212 is the caller's check: ebgpRequiresPolicy).
 */
export function evaluateChain(policies: readonly CompiledPolicy[], route: PolicyRoute): PolicyResult {
  const s = new EvalState(route);
  let policy: CompiledPolicy | undefined;
  let term: CompiledTerm | undefined;
  for (const p of policies) {
    policy = p;
    term = run(p, s);
    if ((term?.action ?? p.defaultAction) === 'reject') break;
  }
  return result(s, policy, term);
}

export type PolicyDirection = 'import' | 'export';

/**
 * RFC 8212 §3: with the switch on, routes from an eBGP neighbor without an import policy are not
 * accepted, and none are advertised to one without an export policy. Returns the reason to record,
 * or undefined when the route may pass. The speaker itself (peer id 0) is never an eBGP source.
 */
export function ebgpRequiresPolicy(
  peer: Pick<PeerInfo, 'id' | 'ibgp' | 'address'>,
  direction: PolicyDirection,
  hasPolicy: boolean,
  enabled = true,
): string | undefined {
  if (!enabled || hasPolicy || peer.ibgp || peer.id === 0) return undefined;
  return `ebgp-requires-policy: no ${direction} policy for eBGP neighbor ${peer.address} (RFC 8212)`;
}
