import { describe, expect, it } from 'vitest';
import { ExportFilter } from '../../../src/core/export-filter.js';
import { AttrStore } from '../../../src/rib/attr-store.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { Origin } from '../../../src/wire/index.js';
import { peer, policy } from '../policy/helpers.js';

const key = (p: string) => keyFromText(p)!.key;
const base = { origin: Origin.IGP, asPath: [], nextHop: '192.0.2.9' };

describe('ExportFilter', () => {
  it('without a prefix-list the result is computed once per attribute set and shared', () => {
    const store = new AttrStore();
    const chain = [
      policy(`
- { name: tagged, match: { community: "65000:1" }, then: { med: 7, action: accept } }
- { name: rest, then: reject }`),
    ];
    const f = new ExportFilter(chain, peer(), store);
    const tagged = store.intern({ ...base, communities: [65000 * 65536 + 1] });
    const plain = store.intern(base);
    const outs = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'].map((p) =>
      f.apply(4, key(p), store.ref(tagged)),
    );
    expect(outs[0]?.attrs.med).toBe(7);
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
    expect(outs[0]!.refs).toBe(3);
    expect(f.apply(4, key('10.0.4.0/24'), store.ref(plain))).toBeNull();
    expect(f.apply(4, key('10.0.5.0/24'), store.ref(plain))).toBeNull();
    // The caller's references to the rejected input were released, the medded set dropped with its users.
    expect(plain.refs).toBe(1);
    for (const o of outs) store.release(o!);
    expect(outs[0]!.refs).toBe(0);
    // A dropped output is not handed out again: the policy runs anew.
    const again = f.apply(4, key('10.0.6.0/24'), store.ref(tagged));
    expect(again?.attrs.med).toBe(7);
    expect(again!.refs).toBe(1);
  });

  it('with a prefix-list every prefix is evaluated on its own', () => {
    const store = new AttrStore();
    const chain = [
      policy(`- { name: only, match: { prefix-list: "10.0.1.0/24" }, then: accept }
- { name: rest, then: reject }`),
    ];
    const f = new ExportFilter(chain, peer(), store);
    const set = store.intern(base);
    expect(f.apply(4, key('10.0.1.0/24'), store.ref(set))).toBe(set);
    expect(f.apply(4, key('10.0.2.0/24'), store.ref(set))).toBeNull();
    expect(f.apply(4, key('10.0.1.0/24'), store.ref(set))).toBe(set);
    expect(set.refs).toBe(3);
  });
});
