/** The lab's live view as data: the seed plan's devices, sessions and pod links; BIRD's route count. */
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { plan } from '../../../src/lab/plan.js';
import { labTopology, parseBirdRouteCount } from '../../../src/lab/web-lab.js';
import { ViewModel } from '../../../src/web/view-model.js';
import { SEED } from './fixtures.js';

const p = plan(loadLab(SEED), { workDir: '/w', node: 'node', cli: 'cli' });

describe('labTopology', () => {
  const t = labTopology(p);

  it('has every device of the seed lab in its row, nodes by rack and pods by node', () => {
    const rows = (tier: number) => t.devices.filter((d) => d.tier === tier).map((d) => d.name);
    expect(rows(0)).toEqual(['spine']);
    expect(rows(1)).toEqual(['leaf1', 'leaf2']);
    expect(rows(2)).toEqual(['node1', 'node2', 'node3', 'node4', 'node5', 'node6']);
    expect(rows(3)).toEqual([
      'node1-pod1',
      'node2-pod1',
      'node3-pod1',
      'node4-pod1',
      'node5-pod1',
      'node6-pod1',
    ]);
    expect(t.devices.find((d) => d.name === 'node4')).toMatchObject({ group: 'rack2', asn: 64513 });
    expect(t.devices.find((d) => d.name === 'leaf1')?.addresses).toEqual(['10.0.1.1', '172.20.0.1']);
    expect(t.links).toContainEqual({ a: 'node6', b: 'node6-pod1' });
  });

  it('has every planned session once, with the BIRD protocol names of the node ends', () => {
    // 2 spine-leaf, 4 leaf-reflector, 2 reflector pairs, 2 clients × 2 reflectors.
    expect(t.sessions).toHaveLength(12);
    expect(t.sessions).toHaveLength(p.sessions.length);
    const s = t.sessions.find((x) => x.kind === 'leaf-reflector' && x.ends.some((e) => e.device === 'node1'));
    expect(s?.ends.map((e) => [e.device, e.speaker, e.protocol ?? ''])).toEqual([
      ['leaf1', 'rackbgp', ''],
      ['node1', 'bird', 'Node_172_20_0_1'],
    ]);
    // Every end is addressable by the model (no session left unknown once all speak).
    const m = new ViewModel(t);
    for (const sw of ['spine', 'leaf1', 'leaf2'])
      m.neighbors(
        sw,
        1,
        t.sessions.flatMap((x) =>
          x.ends.filter((e) => e.device === sw).map((e) => [e.remote, 'Established'] as const),
        ),
      );
    for (const n of t.devices.filter((d) => d.role === 'node'))
      m.birdProtocols(
        n.name,
        'bird',
        1,
        t.sessions.flatMap((x) =>
          x.ends
            .filter((e) => e.device === n.name)
            .map((e) => ({ name: e.protocol!, state: 'up', info: 'Established' })),
        ),
      );
    expect(new Set(Object.values(m.snapshot().sessions).map((x) => x.health))).toEqual(new Set(['up']));
  });
});

describe('parseBirdRouteCount', () => {
  it('reads the networks of `show route count`', () => {
    expect(parseBirdRouteCount('9 of 12 routes for 8 networks')).toBe(8);
    expect(parseBirdRouteCount('')).toBeUndefined();
  });
});
