/**
 * The `policies:` config: named import/export policies, each an ordered list of terms with match
 * conditions (all must hold) and actions (`then`), plus a default action. Validated with zod into a
 * normalized form (prefix ranges as {prefix, ge, le}, one-or-many values as lists) that compile.ts
 * turns into closures. Communities: RFC 1997 and IANA well-known names; large: RFC 8092;
 * extended: RFC 4360, RFC 5668, RFC 10005 (ext-community.ts).
 */
import { z } from 'zod';
import { ipFamily } from '../util/ip.js';
import { parseExtCommunity, parseExtCommunityPattern } from './ext-community.js';
import {
  addressRange,
  compileAsPathRegex,
  parseCommunity,
  parseCommunityPattern,
  parseLargeCommunity,
  parseLargeCommunityPattern,
  parsePrefixRange,
  prefixRange,
  WELL_KNOWN_COMMUNITIES,
} from './values.js';

export const POLICY_FAMILIES = ['ipv4-unicast', 'ipv6-unicast'] as const;
export const ORIGIN_NAMES = ['igp', 'egp', 'incomplete'] as const;
export const POLICY_ACTIONS = ['accept', 'reject'] as const;

const asn = z.number().int().min(1).max(0xffffffff);
const u32 = z.number().int().min(0).max(0xffffffff);
const action = z.enum(POLICY_ACTIONS);

/**
 * Picks one schema by the input's shape so errors come from that schema alone (a zod union reports
 * only "Invalid input" when every branch fails). Issue paths stay relative, so load.ts still finds
 * the line of the offending key.
 */
function byShape<A extends z.ZodType, B extends z.ZodType>(isA: (v: unknown) => boolean, a: A, b: B) {
  return z.unknown().transform((v, ctx): z.output<A> | z.output<B> => {
    const r = (isA(v) ? a : b).safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues)
      ctx.issues.push({ ...issue, input: v } as (typeof ctx.issues)[number]);
    return z.NEVER;
  });
}

const isString = (v: unknown) => typeof v === 'string';
const isNumber = (v: unknown) => typeof v === 'number';

/** A single value or a non-empty list of them; always a list after validation. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  byShape(
    Array.isArray,
    z.array(item).min(1),
    item.transform((v) => [v] as z.output<T>[]),
  );

/** A string checked by a parser that returns a message on error; kept as text. */
const checked = (check: (s: string) => string | undefined) =>
  z.string().check((ctx) => {
    const message = check(ctx.value);
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });

const WELL_KNOWN = Object.keys(WELL_KNOWN_COMMUNITIES).join(', ');
const community = checked((s) =>
  parseCommunity(s) < 0 ? `'${s}' must be AS:value (0-65535 each) or one of ${WELL_KNOWN}` : undefined,
);
const communityPattern = checked((s) =>
  parseCommunityPattern(s) ? undefined : `'${s}' must be AS:value (either may be *) or one of ${WELL_KNOWN}`,
);
const largeCommunity = checked((s) =>
  parseLargeCommunity(s) ? undefined : `'${s}' must be global:local1:local2 (0-4294967295 each)`,
);
const largeCommunityPattern = checked((s) =>
  parseLargeCommunityPattern(s) ? undefined : `'${s}' must be global:local1:local2 (each a number or *)`,
);
const extCommunity = checked((s) => {
  const r = parseExtCommunity(s);
  return typeof r === 'string' ? r : undefined;
});
const extCommunityPattern = checked((s) => {
  const r = parseExtCommunityPattern(s);
  return typeof r === 'string' ? r : undefined;
});
const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A pattern or a list (any of them), or { any: [...], all: [...] } → { any?, all? }. */
const extCommunityMatch = byShape(
  isPlainObject,
  z
    .strictObject({
      /** At least one of these is present. */
      any: oneOrMany(extCommunityPattern).optional(),
      /** Each of these is present. */
      all: oneOrMany(extCommunityPattern).optional(),
    })
    .refine((o) => o.any || o.all, {
      message: 'needs any or all',
      when: (payload) => payload.issues.length === 0,
    }),
  oneOrMany(extCommunityPattern).transform((any): { any?: string[]; all?: string[] } => ({ any })),
);

const addressOrPrefix = checked((s) => {
  const r = addressRange(s);
  return typeof r === 'string' ? r : undefined;
});

/** One prefix-list entry: "10.0.0.0/8 ge 16 le 24" or { prefix, ge, le } → {prefix, ge, le}. */
const prefixRangeSchema = byShape(
  isString,
  z.string().transform((s, ctx) => {
    const r = parsePrefixRange(s);
    if (typeof r !== 'string') return r;
    ctx.issues.push({ code: 'custom', message: r, input: s });
    return z.NEVER;
  }),
  z
    .strictObject({
      prefix: z.string(),
      ge: z.number().int().min(0).max(128).optional(),
      le: z.number().int().min(0).max(128).optional(),
    })
    .transform((o, ctx) => {
      const r = prefixRange(o.prefix, o.ge, o.le);
      if (typeof r !== 'string') return r;
      ctx.issues.push({ code: 'custom', message: r, input: o });
      return z.NEVER;
    }),
);

export const matchSchema = z.strictObject({
  /** Any of these ranges (Cisco/FRR prefix-list semantics). */
  'prefix-list': oneOrMany(prefixRangeSchema).optional(),
  /** Any of these communities is present. */
  community: oneOrMany(communityPattern).optional(),
  'large-community': oneOrMany(largeCommunityPattern).optional(),
  /** Extended communities (route target, route origin, link bandwidth): any of a list, or { any, all }. */
  'extended-community': extCommunityMatch.optional(),
  /** Any of these ASNs appears anywhere in AS_PATH (sets and confederation segments included). */
  'as-path-contains': oneOrMany(asn).optional(),
  /** Regex over the AS path as FRR prints it ("65001 65002 {65003,65004}"); `_` = separator or end. */
  'as-path-regex': checked((s) => {
    const r = compileAsPathRegex(s);
    return typeof r === 'string' ? `invalid regex: ${r}` : undefined;
  }).optional(),
  'next-hop': oneOrMany(addressOrPrefix).optional(),
  neighbor: oneOrMany(addressOrPrefix).optional(),
  family: z.enum(POLICY_FAMILIES).optional(),
  origin: z.enum(ORIGIN_NAMES).optional(),
});

const communityEdit = <T extends z.ZodType, P extends z.ZodType>(value: T, pattern: P) =>
  z
    .strictObject({
      add: oneOrMany(value).optional(),
      /** Patterns; "65000:*" removes every community of AS 65000. */
      remove: oneOrMany(pattern).optional(),
      /** Replaces the whole list first; `set: []` clears it. */
      set: z.array(value).optional(),
    })
    .refine((o) => o.add || o.remove || o.set, {
      message: 'needs add, remove or set',
      when: (payload) => payload.issues.length === 0,
    });

const thenObject = z.strictObject({
  /** Terminal; without it evaluation continues with the next term. */
  action: action.optional(),
  'local-pref': u32.optional(),
  /** An absolute MED, or "+N" / "-N" relative to the current one (absent counts as 0; clamped). */
  med: byShape(
    isString,
    z.string().regex(/^[+-]\d{1,10}$/, 'must be a number, "+N" or "-N"'),
    u32,
  ).optional(),
  /** An address of the route's family, or `self` (resolved by the caller: nextHopSelf in the result). */
  'next-hop': z
    .string()
    .refine((s) => s === 'self' || ipFamily(s) !== 0, 'must be an IPv4 or IPv6 address or self')
    .optional(),
  community: communityEdit(community, communityPattern).optional(),
  'large-community': communityEdit(largeCommunity, largeCommunityPattern).optional(),
  'extended-community': communityEdit(extCommunity, extCommunityPattern).optional(),
  /** Prepend `count` times our own AS, or another AS: { asn, count }. */
  prepend: byShape(
    isNumber,
    z
      .number()
      .int()
      .min(1)
      .max(64)
      .transform((count): { asn?: number; count: number } => ({ count })),
    z.strictObject({ asn: asn.optional(), count: z.number().int().min(1).max(64).default(1) }),
  ).optional(),
  origin: z.enum(ORIGIN_NAMES).optional(),
});

export type ThenConfig = z.output<typeof thenObject>;

/** `then: accept` is short for `then: { action: accept }`. */
const thenSchema = byShape(
  isString,
  action.transform((a): ThenConfig => ({ action: a })),
  thenObject,
);

export const policyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be letters, digits, _ . - (up to 64)');

/** Per-neighbor `import:` / `export:`: one policy name or a list, applied in order. */
export const policyNamesSchema = oneOrMany(policyNameSchema);

export const termSchema = z.strictObject({
  name: policyNameSchema,
  /** Absent = every route matches. */
  match: matchSchema.optional(),
  // biome-ignore lint/suspicious/noThenProperty: the config key is `then` (Junos-style); its value is an object, never a function, so no term is a thenable
  then: thenSchema.optional(),
});

const termsSchema = z.array(termSchema).superRefine((terms, ctx) => {
  const seen = new Set<string>();
  terms.forEach((t, i) => {
    if (seen.has(t.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate term name '${t.name}'` });
    seen.add(t.name);
  });
});

/** A policy: { default, terms }, or just the list of terms (default accept). */
export const policySchema = byShape(
  Array.isArray,
  termsSchema.transform((terms) => ({ default: 'accept' as const, terms })),
  z.strictObject({
    /** The action when no term is terminal. */
    default: action.default('accept'),
    terms: termsSchema.default([]),
  }),
);

export const policiesSchema = z.record(policyNameSchema, policySchema);

export type PoliciesConfig = z.output<typeof policiesSchema>;
export type PolicyConfig = z.output<typeof policySchema>;
export type TermConfig = z.output<typeof termSchema>;
export type MatchConfig = z.output<typeof matchSchema>;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
