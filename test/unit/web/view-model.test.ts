/** The live view's model: session health from both ends (rackbgp, BIRD), journal events, counts, timeline. */
import { describe, expect, it } from 'vitest';
import {
  birdEndState,
  endHealth,
  eventText,
  sessionHealth,
  type Topology,
  ViewModel,
} from '../../../src/web/view-model.js';

/** leaf1 (rackbgp) ↔ node1 (BIRD), spine ↔ leaf1 (both rackbgp). */
const topology: Topology = {
  title: 'lab t',
  devices: [
    { name: 'spine', role: 'spine', tier: 0, addresses: ['10.0.1.2'] },
    { name: 'leaf1', role: 'leaf', tier: 1, addresses: ['10.0.1.1', '172.20.0.1'] },
    { name: 'node1', role: 'node', tier: 2, group: 'rack1', addresses: ['172.20.0.11'] },
  ],
  sessions: [
    {
      id: 's0',
      kind: 'spine-leaf',
      family: 4,
      ends: [
        { device: 'spine', speaker: 'rackbgp', local: '10.0.1.2', remote: '10.0.1.1' },
        { device: 'leaf1', speaker: 'rackbgp', local: '10.0.1.1', remote: '10.0.1.2' },
      ],
    },
    {
      id: 's1',
      kind: 'leaf-reflector',
      family: 4,
      ends: [
        { device: 'leaf1', speaker: 'rackbgp', local: '172.20.0.1', remote: '172.20.0.11' },
        {
          device: 'node1',
          speaker: 'bird',
          local: '172.20.0.11',
          remote: '172.20.0.1',
          protocol: 'Node_172_20_0_1',
        },
      ],
    },
  ],
  links: [],
};

const up = (name: string) => ({ name, state: 'up', info: 'Established' });

describe('session health', () => {
  it('maps FSM states: Established up, the middle states connecting, Idle and gone down', () => {
    expect(endHealth('Established')).toBe('up');
    expect(endHealth('OpenConfirm')).toBe('connecting');
    expect(endHealth('Active')).toBe('connecting');
    expect(endHealth('Idle')).toBe('down');
    expect(endHealth('not running')).toBe('down');
    expect(endHealth(undefined)).toBe('unknown');
  });

  it('is the worse known end', () => {
    expect(sessionHealth(['Established', undefined])).toBe('up');
    expect(sessionHealth(['Established', 'Active'])).toBe('connecting');
    expect(sessionHealth(['Idle', 'Established'])).toBe('down');
    expect(sessionHealth([undefined, undefined])).toBe('unknown');
  });

  it("reads BIRD 1.6's protocol lines", () => {
    expect(birdEndState(up('x'))).toBe('Established');
    expect(
      birdEndState({ name: 'x', state: 'start', info: 'Active        Socket: Connection refused' }),
    ).toBe('Active');
    expect(birdEndState({ name: 'x', state: 'start', info: 'Connect' })).toBe('Connect');
    expect(birdEndState({ name: 'x', state: 'down', info: '' })).toBe('Idle');
    expect(birdEndState(undefined)).toBe('not configured');
  });
});

describe('ViewModel', () => {
  it('combines a rackbgp neighbor list and BIRD protocols into each session', () => {
    const m = new ViewModel(topology);
    expect(m.snapshot().sessions.s1.health).toBe('unknown');
    const c1 = m.neighbors('leaf1', 1, [
      ['10.0.1.2', 'Established'],
      ['172.20.0.11', 'Established'],
    ]);
    expect(c1.filter((c) => c.type === 'session').map((c) => c.type === 'session' && c.id)).toEqual([
      's0',
      's1',
    ]);
    const c2 = m.birdProtocols('node1', 'bird', 2, [up('Node_172_20_0_1'), up('Mesh_x')]);
    expect(c2).toEqual([
      { type: 'session', id: 's1', state: { health: 'up', ends: ['Established', 'Established'] } },
    ]);
    // Same input again: nothing changed, nothing to send.
    expect(m.birdProtocols('node1', 'bird', 3, [up('Node_172_20_0_1')])).toEqual([]);
    expect(m.snapshot().sessions.s0).toEqual({ health: 'up', ends: [undefined, 'Established'] });
  });

  it('turns every session of a BIRD whose control socket is gone down, and says so once on the timeline', () => {
    const m = new ViewModel(topology);
    m.neighbors('leaf1', 1, [['172.20.0.11', 'Established']]);
    m.birdProtocols('node1', 'bird', 2, [up('Node_172_20_0_1')]);
    const gone = m.birdProtocols('node1', 'bird', 3, undefined);
    expect(gone).toContainEqual({
      type: 'session',
      id: 's1',
      state: { health: 'down', ends: ['Established', 'not running'] },
    });
    const texts = gone.flatMap((c) => (c.type === 'timeline' ? [c.item] : []));
    expect(texts).toEqual([
      { t: 3, device: 'node1', kind: 'daemon', text: "bird's control socket does not answer" },
      {
        t: 3,
        device: 'node1',
        kind: 'session',
        text: 'bird Node_172_20_0_1 Established → not running',
        session: 's1',
      },
    ]);
    expect(m.birdProtocols('node1', 'bird', 4, undefined)).toEqual([]);
    const back = m.birdProtocols('node1', 'bird', 5, [
      { name: 'Node_172_20_0_1', state: 'start', info: 'Connect' },
    ]);
    expect(back.map((c) => c.type === 'timeline' && c.item.text).filter(Boolean)).toEqual([
      "bird's control socket answers again",
      'bird Node_172_20_0_1 not running → Connect',
    ]);
    expect(m.snapshot().sessions.s1.health).toBe('connecting');
  });

  it('an unanswering rackbgp takes its ends down; unknown peers count as not configured', () => {
    const m = new ViewModel(topology);
    m.neighbors('leaf1', 1, [['10.0.1.2', 'Established']]);
    expect(m.snapshot().sessions.s1.ends[0]).toBe('not configured');
    m.neighbors('leaf1', 2, null);
    expect(m.snapshot().sessions.s0).toEqual({ health: 'down', ends: [undefined, 'no answer'] });
  });

  it('follows journal events: session-state sets the end, session-down and faults reach the timeline', () => {
    const m = new ViewModel(topology);
    const c = m.journal('spine', {
      seq: 4,
      t: 1000.5,
      type: 'session-state',
      peer: '10.0.1.1',
      from: 'OpenConfirm',
      to: 'Established',
    });
    expect(c).toEqual([
      { type: 'session', id: 's0', state: { health: 'up', ends: ['Established', undefined] } },
    ]);
    const f = m.journal('leaf1', {
      seq: 9,
      t: 2000,
      type: 'fault-start',
      peer: '172.20.0.11',
      kind: 'hold',
      id: 1,
    });
    expect(f).toEqual([
      {
        type: 'timeline',
        item: {
          t: 2000,
          device: 'leaf1',
          kind: 'fault',
          text: 'fault-start 172.20.0.11 kind=hold id=1',
          session: 's1',
        },
      },
    ]);
    const d = m.journal('spine', {
      seq: 5,
      time: '2026-01-01T00:00:01.000Z',
      type: 'session-down',
      peer: '10.0.1.1',
      cause: 'hold timer',
    });
    expect(d).toEqual([
      {
        type: 'timeline',
        item: {
          t: Date.parse('2026-01-01T00:00:01.000Z'),
          device: 'spine',
          kind: 'session',
          text: 'session-down 10.0.1.1 cause=hold timer',
          session: 's0',
        },
      },
    ]);
    expect(m.journal('spine', { seq: 6, t: 3, type: 'route-announce', peer: '10.0.1.1' })).toEqual([]);
    expect(m.snapshot().timeline.map((i) => i.kind)).toEqual(['fault', 'session']);
  });

  it('reports a route count only when it changes, and keeps the timeline bounded', () => {
    const m = new ViewModel(topology, 3);
    expect(m.count('leaf1', 6)).toEqual([{ type: 'count', device: 'leaf1', routes: 6 }]);
    expect(m.count('leaf1', 6)).toEqual([]);
    for (let i = 0; i < 5; i++) m.note({ t: i, device: 'spine', kind: 'outage', text: `o${i}` });
    expect(m.snapshot().timeline.map((i) => i.text)).toEqual(['o2', 'o3', 'o4']);
    expect(m.snapshot().counts).toEqual({ leaf1: 6 });
  });

  it('writes events short: scalars only, objects (capabilities, paths) left out', () => {
    expect(
      eventText({
        seq: 1,
        t: 1,
        type: 'session-up',
        peer: '10.0.0.1',
        peerAs: 65000,
        capabilities: { families: ['x'] },
      }),
    ).toBe('session-up 10.0.0.1 peerAs=65000');
    expect(eventText({ type: 'reload', problems: 'x'.repeat(200) }).length).toBe(140);
  });
});
