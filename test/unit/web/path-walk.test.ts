/** The hop-by-hop walk: longest match per device, ECMP branches, where and why a walk stops. */
import { describe, expect, it } from 'vitest';
import { type ForwardingEntry, queryAddress, walk } from '../../../src/web/path-walk.js';

const r = (
  prefix: string,
  gateways: string[] = [],
  extra: Partial<ForwardingEntry> = {},
): ForwardingEntry => ({
  prefix,
  gateways,
  ...extra,
});

/** The seed lab's shape, kernel tables written by hand as `ip route` shows them. */
const tables = new Map<string, ForwardingEntry[]>([
  ['pod1', [r('0.0.0.0/0', ['169.254.1.1'])]],
  [
    'node1',
    [
      r('10.233.69.0/26', ['172.20.0.1']),
      r('10.233.64.1/32', [], { dev: 'calipod1' }),
      r('10.233.64.0/26', [], { type: 'blackhole' }),
    ],
  ],
  [
    'leaf1',
    [
      r('10.233.64.0/26', ['172.20.0.11']),
      r('10.233.0.0/16', ['10.0.1.2']),
      r('10.233.69.0/26', ['10.0.1.2']),
    ],
  ],
  ['spine', [r('10.233.69.0/26', ['10.0.2.1']), r('10.233.64.0/26', ['10.0.1.1'])]],
  ['leaf2', [r('10.233.69.0/26', ['173.20.0.11', '173.20.0.12'])]],
  ['node4', [r('10.233.69.0/26', ['173.20.0.13'])]],
  ['node5', [r('10.233.69.0/26', ['173.20.0.13'])]],
  ['node6', [r('10.233.69.1/32', [], { dev: 'calipod1' }), r('10.233.69.0/26', [], { type: 'blackhole' })]],
  ['pod6', [r('0.0.0.0/0', ['169.254.1.1'])]],
]);
const owners = new Map([
  ['172.20.0.1', 'leaf1'],
  ['172.20.0.11', 'node1'],
  ['10.0.1.1', 'leaf1'],
  ['10.0.1.2', 'spine'],
  ['10.0.2.1', 'leaf2'],
  ['173.20.0.11', 'node4'],
  ['173.20.0.12', 'node5'],
  ['173.20.0.13', 'node6'],
  ['10.233.64.1', 'pod1'],
  ['10.233.69.1', 'pod6'],
]);
const podNode = new Map([
  ['pod1', 'node1'],
  ['pod6', 'node6'],
]);
const input = {
  tables,
  owners,
  gatewayOwner: (d: string, gw: string) => (gw === '169.254.1.1' ? podNode.get(d) : undefined),
};

describe('walk', () => {
  it('follows a packet pod to pod across racks, both ECMP next hops of leaf2', () => {
    const w = walk(input, 'pod1', '10.233.69.1');
    expect(w.delivered).toBe(true);
    expect(w.hops.map((h) => [h.depth, h.device, h.next.join('|'), h.end ?? ''])).toEqual([
      [0, 'pod1', 'node1', ''],
      [1, 'node1', 'leaf1', ''],
      [2, 'leaf1', 'spine', ''],
      [3, 'spine', 'leaf2', ''],
      [4, 'leaf2', 'node4|node5', ''],
      [5, 'node4', 'node6', ''],
      [5, 'node5', 'node6', ''],
      [6, 'node6', 'pod6', ''],
      [7, 'pod6', '', 'delivered'],
    ]);
    // The longest match wins on leaf1: the /26, not the /16.
    expect(w.hops[2].match?.prefix).toBe('10.233.69.0/26');
    expect(w.matches.find((m) => m.device === 'node6')?.match?.prefix).toBe('10.233.69.1/32');
  });

  it('gives the longest match on every device, none where nothing matches', () => {
    const w = walk(input, 'spine', '10.233.70.9');
    expect(Object.fromEntries(w.matches.map((m) => [m.device, m.match?.prefix ?? null]))).toEqual({
      pod1: '0.0.0.0/0',
      node1: null,
      leaf1: '10.233.0.0/16',
      spine: null,
      leaf2: null,
      node4: null,
      node5: null,
      node6: null,
      pod6: '0.0.0.0/0',
    });
    expect(w.hops).toEqual([{ device: 'spine', depth: 0, next: [], end: 'no route' }]);
    expect(w.delivered).toBe(false);
  });

  it('stops at a blackhole (a Calico block with no pod at the address)', () => {
    const w = walk(input, 'leaf1', '10.233.64.9');
    expect(w.hops.map((h) => h.end ?? h.next.join('|'))).toEqual(['node1', 'dropped (blackhole)']);
  });

  it('looks a prefix up by its first address and names next hops no device owns', () => {
    const t = new Map([['a', [r('192.0.2.0/24', ['198.51.100.1'])]]]);
    const w = walk({ tables: t, owners: new Map() }, 'a', '192.0.2.128/25');
    expect(w.address).toBe('192.0.2.128');
    expect(w.hops[0].end).toBe('next hop 198.51.100.1 is no known device');
  });

  it('visits each device once, so a forwarding loop ends', () => {
    const t = new Map([
      ['a', [r('0.0.0.0/0', ['10.0.0.2'])]],
      ['b', [r('0.0.0.0/0', ['10.0.0.1'])]],
    ]);
    const o = new Map([
      ['10.0.0.1', 'a'],
      ['10.0.0.2', 'b'],
    ]);
    const w = walk({ tables: t, owners: o }, 'a', '192.0.2.1');
    expect(w.hops.map((h) => h.device)).toEqual(['a', 'b']);
    expect(w.delivered).toBe(false);
  });

  it('walks IPv6 and a device with no table', () => {
    const t = new Map([['a', [r('2001:db8::/32', ['fd00::2'])]]]);
    const w = walk({ tables: t, owners: new Map([['fd00::2', 'b']]) }, 'a', '2001:db8:1::5');
    expect(w.hops.map((h) => h.end ?? h.next.join())).toEqual(['b', 'no forwarding table known']);
  });

  it('refuses what is neither an address nor a prefix', () => {
    expect(queryAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(queryAddress('2001:db8::/48')).toBe('2001:db8:0:0:0:0:0:0');
    expect(queryAddress('leaf1')).toBeUndefined();
    expect(() => walk(input, 'pod1', '10.1.2.999')).toThrow('neither an address nor a prefix');
  });
});
