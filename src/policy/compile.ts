/**
 * Compiles validated `policies:` config once into closures and tables: prefix lists into a trie
 * (prefix-set.ts), community lists into Set<number>, AS-path regexes into RegExp. Conditions are
 * ordered cheapest first. Also checks that every policy name referenced elsewhere exists.
 */
import type { PeerInfo } from '../route/types.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../util/ip.js';
import {
  type AsPathSegment,
  AsPathSegmentType,
  type LargeCommunity,
  type OriginCode,
} from '../wire/index.js';
import { extCommunityTest, parseExtCommunity } from './ext-community.js';
import { PrefixSet } from './prefix-set.js';
import type { EvalState } from './route.js';
import {
  type MatchConfig,
  ORIGIN_NAMES,
  type PoliciesConfig,
  type PolicyAction,
  type PolicyConfig,
  type TermConfig,
  type ThenConfig,
} from './schema.js';
import {
  addressRange,
  compileAsPathRegex,
  parseCommunity,
  parseCommunityPattern,
  parseLargeCommunity,
  parseLargeCommunityPattern,
} from './values.js';

/** A match condition over the evaluation state. */
export type Condition = (s: EvalState) => boolean;
/** A `then` modification; writes through `s.write()` only when the value changes. */
export type Modifier = (s: EvalState) => void;

export interface CompiledTerm {
  readonly name: string;
  /** All must hold; empty = every route. */
  readonly conditions: readonly Condition[];
  readonly modifiers: readonly Modifier[];
  /** Terminal action; absent = continue with the next term. */
  readonly action?: PolicyAction;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly defaultAction: PolicyAction;
  readonly terms: readonly CompiledTerm[];
  /** Some term matches on the prefix (`prefix-list`): the result is not a function of the attributes alone. */
  readonly readsPrefix: boolean;
  /** Some term matches on the neighbor or the next hop: its export cannot be shared by an update group. */
  readonly readsPeer: boolean;
}

export interface CompileOptions {
  /** Our AS: what `prepend: N` prepends. */
  readonly localAsn: number;
}

const MAX_SEGMENT = 255;
const U32 = 0xffffffff;

export function compilePolicies(
  config: PoliciesConfig | undefined,
  options: CompileOptions,
): ReadonlyMap<string, CompiledPolicy> {
  const out = new Map<string, CompiledPolicy>();
  for (const [name, policy] of Object.entries(config ?? {}))
    out.set(name, compilePolicy(name, policy, options));
  return out;
}

export function compilePolicy(name: string, config: PolicyConfig, options: CompileOptions): CompiledPolicy {
  return {
    name,
    defaultAction: config.default,
    terms: config.terms.map((t) => compileTerm(t, options)),
    readsPrefix: config.terms.some((t) => t.match?.['prefix-list'] !== undefined),
    readsPeer: config.terms.some(
      (t) => t.match?.neighbor !== undefined || t.match?.['next-hop'] !== undefined,
    ),
  };
}

/** The compiled policies for a neighbor's `import:`/`export:` list; throws on an unknown name. */
export function policyChain(
  names: readonly string[] | undefined,
  compiled: ReadonlyMap<string, CompiledPolicy>,
): CompiledPolicy[] {
  return (names ?? []).map((n) => {
    const p = compiled.get(n);
    if (!p) throw new RangeError(`unknown policy '${n}'`);
    return p;
  });
}

export interface PolicyReference {
  readonly name: string;
  /** Where the name appears, e.g. ['neighbors', 0, 'import', 1]: copied into the problem. */
  readonly path?: readonly (string | number)[];
}

export interface PolicyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Every reference to a policy that `policies` does not define, as a problem with its path. */
export function checkPolicyReferences(
  references: Iterable<string | PolicyReference>,
  policies: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown> | undefined,
): PolicyProblem[] {
  const defined =
    policies instanceof Map ? [...policies.keys()] : Object.keys((policies as Record<string, unknown>) ?? {});
  const known = new Set<string>(defined);
  const problems: PolicyProblem[] = [];
  for (const r of references) {
    const ref = typeof r === 'string' ? { name: r } : r;
    if (known.has(ref.name)) continue;
    const hint = defined.length ? `defined: ${defined.join(', ')}` : 'no policies are defined';
    problems.push({ path: ref.path ?? [], message: `unknown policy '${ref.name}' (${hint})` });
  }
  return problems;
}

function compileTerm(t: TermConfig, options: CompileOptions): CompiledTerm {
  return {
    name: t.name,
    conditions: t.match ? compileMatch(t.match) : [],
    modifiers: t.then ? compileThen(t.then, options) : [],
    ...(t.then?.action ? { action: t.then.action } : {}),
  };
}

const originCode = (name: (typeof ORIGIN_NAMES)[number]) => ORIGIN_NAMES.indexOf(name) as OriginCode;

function compileMatch(m: MatchConfig): Condition[] {
  const out: Condition[] = [];
  if (m.family) {
    const fam = m.family === 'ipv4-unicast' ? 4 : 6;
    out.push((s) => s.route.family === fam);
  }
  if (m.origin) {
    const code = originCode(m.origin);
    out.push((s) => s.attrs.origin === code);
  }
  if (m.neighbor) {
    const set = addressSet(m.neighbor);
    // PeerInfo is one object per session and its address never changes: remember the answer.
    const memo = new WeakMap<PeerInfo, boolean>();
    out.push((s) => {
      let hit = memo.get(s.route.peer);
      if (hit === undefined) {
        hit = addressIn(set, s.route.peer.address);
        memo.set(s.route.peer, hit);
      }
      return hit;
    });
  }
  if (m['next-hop']) {
    const set = addressSet(m['next-hop']);
    out.push((s) => s.attrs.nextHop !== undefined && addressIn(set, s.attrs.nextHop));
  }
  if (m['prefix-list']) {
    const set = PrefixSet.from(m['prefix-list']);
    out.push((s) => {
      const bytes = s.prefixBytes();
      return bytes !== null && set.has(s.route.family, bytes, s.route.prefixLength);
    });
  }
  if (m.community) {
    const test = communityTest(m.community);
    out.push((s) => s.attrs.communities?.some(test) === true);
  }
  if (m['large-community']) {
    const test = largeCommunityTest(m['large-community']);
    out.push((s) => s.attrs.largeCommunities?.some(test) === true);
  }
  if (m['extended-community']) out.push(extCommunityCondition(m['extended-community']));
  if (m['as-path-contains']) {
    const asns = new Set(m['as-path-contains']);
    out.push((s) => s.attrs.asPath?.some((seg) => seg.asns.some((a) => asns.has(a))) === true);
  }
  if (m['as-path-regex']) {
    const re = compileAsPathRegex(m['as-path-regex']);
    if (typeof re === 'string') throw new RangeError(`as-path-regex: ${re}`);
    // Interned attribute sets share their AS_PATH arrays, which are never mutated: remember per array.
    const memo = new WeakMap<readonly AsPathSegment[], boolean>();
    out.push((s) => {
      const path = s.attrs.asPath;
      if (!path) return re.test('');
      let hit = memo.get(path);
      if (hit === undefined) {
        hit = re.test(s.asPathText());
        memo.set(path, hit);
      }
      return hit;
    });
  }
  return out;
}

function addressSet(entries: readonly string[]): PrefixSet {
  return PrefixSet.from(
    entries.map((e) => {
      const r = addressRange(e);
      if (typeof r === 'string') throw new RangeError(r);
      return r;
    }),
  );
}

/** Address text → family and bytes; an IPv4-mapped IPv6 address counts as IPv4. */
function addressIn(set: PrefixSet, address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return set.has(4, Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255), 32);
  const b = parseIPv6(address);
  if (!b) return false;
  const mapped = b.subarray(0, 12).every((x, i) => x === (i < 10 ? 0 : 0xff));
  return mapped ? set.has(4, b.subarray(12), 32) : set.has(6, b, 128);
}

/** A test for one community against patterns; exact values go in a Set. */
function communityTest(patterns: readonly string[]): (c: number) => boolean {
  const exact = new Set<number>();
  const wild: { value: number; mask: number }[] = [];
  for (const text of patterns) {
    const p = parseCommunityPattern(text);
    if (!p) throw new RangeError(`bad community ${text}`);
    if (p.mask === U32) exact.add(p.value);
    else wild.push(p);
  }
  if (wild.length === 0) return (c) => exact.has(c);
  return (c) => exact.has(c) || wild.some((w) => (c & w.mask) >>> 0 === w.value);
}

function largeCommunityTest(patterns: readonly string[]): (c: LargeCommunity) => boolean {
  const parsed = patterns.map((text) => {
    const p = parseLargeCommunityPattern(text);
    if (!p) throw new RangeError(`bad large community ${text}`);
    return p;
  });
  return (c) =>
    parsed.some((p) => (p[0] ?? c[0]) === c[0] && (p[1] ?? c[1]) === c[1] && (p[2] ?? c[2]) === c[2]);
}

function compileThen(t: ThenConfig, options: CompileOptions): Modifier[] {
  const out: Modifier[] = [];
  if (t['local-pref'] !== undefined) {
    const v = t['local-pref'];
    out.push((s) => {
      if (s.attrs.localPref !== v) s.write().localPref = v;
    });
  }
  if (t.med !== undefined) out.push(medModifier(t.med));
  if (t.origin) {
    const code = originCode(t.origin);
    out.push((s) => {
      if (s.attrs.origin !== code) s.write().origin = code;
    });
  }
  if (t['next-hop'] !== undefined) out.push(nextHopModifier(t['next-hop']));
  if (t.community) out.push(communityModifier(t.community));
  if (t['large-community']) out.push(largeCommunityModifier(t['large-community']));
  if (t['extended-community']) out.push(extCommunityModifier(t['extended-community']));
  if (t.prepend) {
    const asn = t.prepend.asn ?? options.localAsn;
    const count = t.prepend.count;
    out.push((s) => {
      s.write().asPath = prependAsPath(s.attrs.asPath ?? [], asn, count);
      s.asPathChanged();
    });
  }
  return out;
}

function medModifier(med: number | string): Modifier {
  if (typeof med === 'number') {
    return (s) => {
      if (s.attrs.med !== med) s.write().med = med;
    };
  }
  const delta = Number(med);
  return (s) => {
    const next = Math.min(U32, Math.max(0, (s.attrs.med ?? 0) + delta));
    if (s.attrs.med !== next) s.write().med = next;
  };
}

/** An explicit next hop applies to routes of its own family; `self` leaves a marker for the caller. */
function nextHopModifier(nh: string): Modifier {
  if (nh === 'self') {
    return (s) => {
      s.nextHopSelf = true;
    };
  }
  const v4 = parseIPv4(nh);
  const family = v4 >= 0 ? 4 : 6;
  const text = v4 >= 0 ? formatIPv4(v4) : formatIPv6(parseIPv6(nh)!);
  return (s) => {
    if (s.route.family !== family) return;
    s.nextHopSelf = false;
    if (s.attrs.nextHop === text && s.attrs.linkLocalNextHop === undefined) return;
    const w = s.write();
    w.nextHop = text;
    // The link-local next hop belonged to the old global one (RFC 2545 §3).
    delete w.linkLocalNextHop;
  };
}

interface Edit {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  readonly set?: readonly string[];
}

/** set (replace), then remove (patterns), then add (if absent); order kept otherwise. */
function communityModifier(edit: Edit): Modifier {
  const set = edit.set ? [...new Set(edit.set.map(parseCommunity))] : null;
  const remove = edit.remove ? communityTest(edit.remove) : null;
  const add = [...new Set((edit.add ?? []).map(parseCommunity))];
  return (s) => {
    const current = s.attrs.communities ?? [];
    let next = set ?? current;
    if (remove) next = next.filter((c) => !remove(c));
    for (const c of add) if (!next.includes(c)) next = [...next, c];
    if (next.length === current.length && next.every((c, i) => c === current[i])) return;
    const w = s.write();
    if (next.length) w.communities = next === set ? [...set] : next;
    else delete w.communities;
  };
}

const sameLarge = (a: LargeCommunity, b: LargeCommunity) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

function largeCommunityModifier(edit: Edit): Modifier {
  const parse = (list: readonly string[]) => {
    const out: LargeCommunity[] = [];
    for (const text of list) {
      const c = parseLargeCommunity(text)!;
      if (!out.some((x) => sameLarge(x, c))) out.push(c);
    }
    return out;
  };
  const set = edit.set ? parse(edit.set) : null;
  const remove = edit.remove ? largeCommunityTest(edit.remove) : null;
  const add = parse(edit.add ?? []);
  return (s) => {
    const current = s.attrs.largeCommunities ?? [];
    let next = set ?? current;
    if (remove) next = next.filter((c) => !remove(c));
    for (const c of add) if (!next.some((x) => sameLarge(x, c))) next = [...next, c];
    if (next.length === current.length && next.every((c, i) => sameLarge(c, current[i]))) return;
    const w = s.write();
    if (next.length) w.largeCommunities = next === set ? [...set] : next;
    else delete w.largeCommunities;
  };
}

/**
 * Extended communities: `any` — one of the route's matches some pattern; `all` — every pattern
 * matches one of the route's. Interned attribute sets share their arrays: remember per array.
 */
function extCommunityCondition(m: {
  readonly any?: readonly string[];
  readonly all?: readonly string[];
}): Condition {
  const any = m.any ? extCommunityTest(m.any) : null;
  const all = (m.all ?? []).map((p) => extCommunityTest([p]));
  const memo = new WeakMap<readonly string[], boolean>();
  return (s) => {
    const list = s.attrs.extendedCommunities;
    if (!list) return false;
    let hit = memo.get(list);
    if (hit === undefined) {
      hit = (!any || list.some(any)) && all.every((t) => list.some(t));
      memo.set(list, hit);
    }
    return hit;
  };
}

/** set (replace), then remove (patterns), then add (if absent), as for communities; values are 16 hex digits. */
function extCommunityModifier(edit: Edit): Modifier {
  const parse = (list: readonly string[]) => [
    ...new Set(
      list.map((text) => {
        const c = parseExtCommunity(text);
        if (typeof c === 'string') throw new RangeError(c);
        return c.hex;
      }),
    ),
  ];
  const set = edit.set ? parse(edit.set) : null;
  const remove = edit.remove ? extCommunityTest(edit.remove) : null;
  const add = parse(edit.add ?? []);
  return (s) => {
    const current = s.attrs.extendedCommunities ?? [];
    let next = set ?? current;
    if (remove) next = next.filter((c) => !remove(c));
    for (const c of add) if (!next.includes(c)) next = [...next, c];
    if (next.length === current.length && next.every((c, i) => c === current[i])) return;
    const w = s.write();
    if (next.length) w.extendedCommunities = next === set ? [...set] : next;
    else delete w.extendedCommunities;
  };
}

const isConfed = (t: number) =>
  t === AsPathSegmentType.AS_CONFED_SEQUENCE || t === AsPathSegmentType.AS_CONFED_SET;

/**
 * `count` copies of `asn` at the front of the first AS_SEQUENCE (a new one if the path starts with
 * an AS_SET or the segment would pass 255 ASes, RFC 4271 §4.3), after any leading confederation
 * segments (RFC 5065 §3 keeps those first).
 */
export function prependAsPath(path: readonly AsPathSegment[], asn: number, count: number): AsPathSegment[] {
  let i = 0;
  while (i < path.length && isConfed(path[i].type)) i++;
  const added = new Array<number>(count).fill(asn);
  const first = path[i];
  if (first?.type === AsPathSegmentType.AS_SEQUENCE && first.asns.length + count <= MAX_SEGMENT) {
    return [
      ...path.slice(0, i),
      { type: AsPathSegmentType.AS_SEQUENCE, asns: [...added, ...first.asns] },
      ...path.slice(i + 1),
    ];
  }
  return [...path.slice(0, i), { type: AsPathSegmentType.AS_SEQUENCE, asns: added }, ...path.slice(i)];
}
