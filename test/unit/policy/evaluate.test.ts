import { describe, expect, it } from 'vitest';
import {
  compilePolicies,
  ebgpRequiresPolicy,
  evaluate,
  evaluateChain,
  policiesSchema,
  policyChain,
} from '../../../src/policy/index.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { AsPathSegmentType } from '../../../src/wire/index.js';
import { peer, policies, policy, route } from './helpers.js';

const c = (hi: number, lo: number) => hi * 65536 + lo;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('evaluate', () => {
  const tiers = policy(`default: reject
terms:
  - name: drop-bogon
    match: { prefix-list: "192.168.0.0/16 le 32" }
    then: reject
  - name: tag
    match: { prefix-list: "10.0.0.0/8 le 32" }
    then: { community: { add: "65000:10" } }
  - name: prefer
    match: { community: "65000:10", prefix-list: "10.1.0.0/16 le 32" }
    then: { action: accept, local-pref: 300 }
  - name: rest-of-ten
    match: { prefix-list: "10.0.0.0/8 le 32" }
    then: accept`);

  it('the first terminal term decides and is named', () => {
    expect(evaluate(tiers, route('192.168.1.0/24'))).toEqual({
      action: 'reject',
      attrs: {},
      policy: 'p',
      matchedTerm: 'drop-bogon',
    });
    const preferred = evaluate(tiers, route('10.1.2.0/24'));
    expect(preferred).toEqual({
      action: 'accept',
      attrs: { communities: [c(65000, 10)], localPref: 300 },
      policy: 'p',
      matchedTerm: 'prefer',
    });
  });

  it('a term without action modifies and continues; later terms see the change', () => {
    const r = evaluate(tiers, route('10.2.0.0/16'));
    expect(r).toEqual({
      action: 'accept',
      attrs: { communities: [c(65000, 10)] },
      policy: 'p',
      matchedTerm: 'rest-of-ten',
    });
  });

  it('no terminal term: the default decides, with no matchedTerm', () => {
    const r = evaluate(tiers, route('172.16.0.0/12'));
    expect(r).toEqual({ action: 'reject', attrs: {}, policy: 'p' });
    const acceptAll = policy('[{ name: tag, then: { local-pref: 5 } }]');
    expect(evaluate(acceptAll, route('172.16.0.0/12'))).toEqual({
      action: 'accept',
      attrs: { localPref: 5 },
      policy: 'p',
    });
    expect(evaluate(policy('{ default: reject }'), route('10.0.0.0/8')).action).toBe('reject');
    expect(evaluate(policy('{}'), route('10.0.0.0/8')).action).toBe('accept');
  });

  it('term order matters: an earlier accept shadows a later reject', () => {
    const a = policy('[{ name: a, then: accept }, { name: r, then: reject }]');
    const b = policy('[{ name: r, then: reject }, { name: a, then: accept }]');
    expect(evaluate(a, route('10.0.0.0/8')).matchedTerm).toBe('a');
    expect(evaluate(b, route('10.0.0.0/8'))).toMatchObject({ action: 'reject', matchedTerm: 'r' });
  });

  it('reject returns the input attributes, not the modified ones', () => {
    const attrs = { med: 1 };
    const p = policy('[{ name: m, then: { med: 99 } }, { name: r, then: reject }]');
    expect(evaluate(p, route('10.0.0.0/8', attrs)).attrs).toBe(attrs);
  });

  it('never mutates the input, even through nested lists', () => {
    const attrs: RouteAttrs = deepFreeze({
      origin: 0,
      asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001] }],
      nextHop: '10.0.0.1',
      med: 10,
      localPref: 100,
      communities: [c(65000, 1), c(65000, 2)],
      largeCommunities: [[65000, 1, 1]],
    });
    const before = JSON.stringify(attrs);
    const p = policy(`[{ name: all, then: {
      local-pref: 1, med: "+1", origin: igp, next-hop: 10.9.9.9, prepend: 3,
      community: { remove: "65000:1", add: "1:1" }, large-community: { add: "1:1:1" } } }]`);
    const r = evaluate(p, route('10.0.0.0/8', attrs));
    expect(JSON.stringify(attrs)).toBe(before);
    expect(r.attrs).not.toBe(attrs);
    expect(r.attrs.communities).toEqual([c(65000, 2), c(1, 1)]);
    expect(r.attrs.asPath?.[0].asns).toEqual([65000, 65000, 65000, 65001]);
  });

  it('a policy that changes nothing returns the very same attrs object', () => {
    const attrs = { localPref: 100, communities: [c(1, 1)] };
    const p = policy('[{ name: same, then: { local-pref: 100, community: { add: "1:1" } } }]');
    expect(evaluate(p, route('10.0.0.0/8', attrs)).attrs).toBe(attrs);
  });

  it('next-hop self set by an earlier term is cleared by a later explicit next hop', () => {
    const p = policy('[{ name: s, then: { next-hop: self } }, { name: x, then: { next-hop: 10.0.0.9 } }]');
    const r = evaluate(p, route('10.0.0.0/8', { nextHop: '10.0.0.1' }));
    expect(r.nextHopSelf).toBeUndefined();
    expect(r.attrs.nextHop).toBe('10.0.0.9');
  });
});

describe('evaluateChain', () => {
  const all = policies(`
tag: [{ name: tag, then: { community: { add: "65000:1" } } }]
lp: [{ name: lp, match: { community: "65000:1" }, then: { action: accept, local-pref: 200 } }]
deny-ten: [{ name: ten, match: { prefix-list: "10.0.0.0/8 le 32" }, then: reject }]
nhs: [{ name: nhs, then: { next-hop: self } }]
`);
  const chain = (...names: string[]) => policyChain(names, all);

  it('applies in order; each sees the previous changes; the last decides an accept', () => {
    const r = evaluateChain(chain('tag', 'lp'), route('172.16.0.0/12'));
    expect(r).toEqual({
      action: 'accept',
      attrs: { communities: [c(65000, 1)], localPref: 200 },
      policy: 'lp',
      matchedTerm: 'lp',
    });
    expect(evaluateChain(chain('lp', 'tag'), route('172.16.0.0/12')).attrs).toEqual({
      communities: [c(65000, 1)],
    });
  });

  it('the first reject wins and names its policy', () => {
    const attrs = { med: 1 };
    const r = evaluateChain(chain('tag', 'deny-ten', 'lp'), route('10.1.0.0/16', attrs));
    expect(r).toEqual({ action: 'reject', attrs, policy: 'deny-ten', matchedTerm: 'ten' });
  });

  it('an empty chain accepts unchanged; next-hop self carries through the chain', () => {
    const attrs = { med: 1 };
    expect(evaluateChain([], route('10.0.0.0/8', attrs))).toEqual({ action: 'accept', attrs });
    expect(evaluateChain(chain('nhs', 'tag'), route('10.0.0.0/8')).nextHopSelf).toBe(true);
  });

  it('policyChain throws on an unknown name', () => {
    expect(() => policyChain(['tag', 'nope'], all)).toThrow("unknown policy 'nope'");
    expect(policyChain(undefined, all)).toEqual([]);
  });

  it('compilePolicies of nothing is empty', () => {
    expect(compilePolicies(undefined, { localAsn: 1 }).size).toBe(0);
    expect(compilePolicies(policiesSchema.parse({}), { localAsn: 1 }).size).toBe(0);
  });
});

describe('RFC 8212 ebgp-requires-policy', () => {
  const ebgp = peer({ address: '192.0.2.7', ibgp: false });
  const ibgp = peer({ ibgp: true });
  const local = peer({ id: 0, ibgp: false });

  it('rejects an eBGP session without policy when the switch is on', () => {
    expect(ebgpRequiresPolicy(ebgp, 'import', false)).toBe(
      'ebgp-requires-policy: no import policy for eBGP neighbor 192.0.2.7 (RFC 8212)',
    );
    expect(ebgpRequiresPolicy(ebgp, 'export', false, true)).toMatch(/no export policy/);
  });

  it('passes with a policy, with the switch off, for iBGP and for local routes', () => {
    expect(ebgpRequiresPolicy(ebgp, 'import', true)).toBeUndefined();
    expect(ebgpRequiresPolicy(ebgp, 'import', false, false)).toBeUndefined();
    expect(ebgpRequiresPolicy(ibgp, 'export', false)).toBeUndefined();
    expect(ebgpRequiresPolicy(local, 'import', false)).toBeUndefined();
  });
});
