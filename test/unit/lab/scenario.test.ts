import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS as DAEMON_FAULT_KINDS } from '../../../src/core/faults.js';
import { loadLab } from '../../../src/lab/load.js';
import {
  describeAction,
  loadScenario,
  parseDuration,
  parseScenario,
  podsOf,
  resolvePeer,
  ScenarioError,
} from '../../../src/lab/scenario.js';
import { FAULT_KINDS } from '../../../src/lab/scenario-types.js';
import { SEED } from './fixtures.js';

const lab = loadLab(SEED);
const SCENARIOS = join(import.meta.dirname, '../../../lab/scenarios');

/** The problems a scenario text gets, one line each. */
function problems(text: string): string[] {
  try {
    parseScenario(text, 'sc.yaml', lab);
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('durations', () => {
  it('reads ms, s, m and 0', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration(0)).toBe(0);
  });
  it('refuses numbers without a unit, negatives and words', () => {
    expect(parseDuration(5)).toBeUndefined();
    expect(parseDuration('-2s')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('parseScenario', () => {
  it('times steps: `at` is absolute, a step without it follows the one before, wait moves the clock', () => {
    const sc = parseScenario(
      `name: t
steps:
  - at: 2s
    restart: { device: node2, graceful: true, down: 1s }
  - wait: 3s
  - link: { device: node3, state: down, for: 5s }
  - kill: { device: node5 }
  - link: { device: node6-pod1, state: down }
  - at: 20s
    fault: { device: leaf1, peer: node1, kind: hold, for: 10s }
expect:
  - max-outage: 0ms
  - max-outage: { max: 2s, between: [node3, node4-pod1] }
  - sessions: established
    within: 1m
  - routes: { at: leaf1, prefix: 10.233.65.0/26 }
`,
      'sc.yaml',
      lab,
    );
    expect(sc.steps.map((s) => [s.atMs, s.action.type, s.line])).toEqual([
      [2000, 'restart', 3],
      [2000, 'wait', 5],
      [5000, 'link', 6],
      [5000, 'kill', 7],
      [5000, 'link', 8],
      [20_000, 'fault', 9],
    ]);
    // The fault's peer is resolved to leaf1's neighbor address for node1.
    expect(sc.steps[5].action).toEqual({
      type: 'fault',
      device: 'leaf1',
      peer: '172.20.0.11',
      peerName: 'node1',
      kind: 'hold',
      forMs: 10_000,
    });
    expect(sc.steps[2].action).toEqual({
      type: 'link',
      device: 'node3',
      interface: 'eth1',
      state: 'down',
      forMs: 5000,
    });
    // A pod's only interface is eth0.
    expect(sc.steps[4].action).toMatchObject({ device: 'node6-pod1', interface: 'eth0' });
    // Duration: the last step's end (fault at 20 s for 10 s) plus 10 s of tail.
    expect(sc.durationMs).toBe(40_000);
    expect(sc.rate).toBe(100);
    expect(sc.expect).toEqual([
      { type: 'max-outage', ms: 0, text: 'max-outage: 0ms' },
      {
        type: 'max-outage',
        ms: 2000,
        between: [['node3'], ['node4-pod1']],
        text: 'max-outage: { max: 2s, between: [node3, node4-pod1] }',
      },
      { type: 'sessions', withinMs: 60_000, text: 'sessions: established' },
      {
        type: 'routes',
        at: 'leaf1',
        prefix: '10.233.65.0/26',
        present: true,
        withinMs: 30_000,
        text: 'routes: { at: leaf1, prefix: 10.233.65.0/26 }',
      },
    ]);
    expect(sc.steps.map((s) => describeAction(s.action))).toEqual([
      'restart node2 (graceful) down 1s',
      'wait 3s',
      'link node3 eth1 down for 5s',
      'kill node5',
      'link node6-pod1 eth0 down',
      'fault hold on leaf1 toward node1 172.20.0.11 for 10s',
    ]);
  });

  it('takes a fault peer by address too', () => {
    expect(resolvePeer(lab, 'leaf1', '172.20.0.12')).toBe('172.20.0.12');
    expect(resolvePeer(lab, 'spine', 'leaf2')).toBe('10.0.2.1');
    expect(resolvePeer(lab, 'leaf1', 'spine')).toBe('10.0.1.2');
    expect(resolvePeer(lab, 'leaf1', 'node3')).toBeUndefined();
  });

  it('points at the line and column of each problem', () => {
    expect(
      problems(`name: t
steps:
  - at: 2s
    restart: { device: node9 }
  - at: 1s
    fault: { device: node1, peer: node2, kind: hold }
  - fault: { device: leaf1, peer: node3, kind: explode }
  - link: { device: leaf1, state: up, for: 2s }
  - wait: 2 seconds
  - kill: { device: node1 }
    link: { device: node1, state: down }
expect:
  - max-outage: { max: 1s, between: [node1, spine] }
  - sessions: established
    routes: { at: leaf1, prefix: 10.0.0.0/8 }
  - colour: blue
`),
    ).toEqual([
      'sc.yaml:7:48: steps[2].fault.kind: Invalid option: expected one of "drop"|"cease"|"hold"|"blackhole"|"delay-updates"|"delay-eor"|"withdraw-all"|"reannounce"|"fib-freeze"',
      "sc.yaml:9:11: steps[4].wait: '2 seconds' is no duration (write 500ms, 2s or 1m)",
      'sc.yaml:10:5: steps[5]: a step has exactly one of fault, restart, kill, link, wait (this one has 2)',
      'sc.yaml:14:5: expect[1]: an expectation has exactly one of sessions, routes, max-outage, min-outage (this one has 2)',
      "sc.yaml:16:5: expect[2].colour: unknown key 'colour'",
      'sc.yaml:16:5: expect[2]: an expectation has exactly one of sessions, routes, max-outage, min-outage (this one has 0)',
    ]);
    // Once the shape is right, the checks against the lab.
    expect(
      problems(`name: t
steps:
  - at: 2s
    restart: { device: node9 }
  - at: 1s
    fault: { device: node1, peer: node2, kind: hold }
  - fault: { device: leaf1, peer: node3, kind: hold }
  - link: { device: leaf1, state: up, for: 2s }
duration: 1s
expect:
  - max-outage: { max: 1s, between: [node1, spine] }
`),
    ).toEqual([
      "sc.yaml:4:24: steps[0].restart.device: no device 'node9' in lab seed (spine, leaf1, leaf2, node1, node1-pod1, node2, node2-pod1, node3, node3-pod1, node4, node4-pod1, node5, node5-pod1, node6, node6-pod1)",
      'sc.yaml:5:9: steps[1].at: at 1s is before the step above (2s)',
      'sc.yaml:6:22: steps[1].fault.device: node1 is a node: faults are injected by rackbgp switches',
      "sc.yaml:7:35: steps[2].fault.peer: leaf1 has no session with 'node3' (name a device it peers with, or its address)",
      "sc.yaml:8:44: steps[3].link.for: 'for' goes with state: down (the link comes back up after it)",
      'sc.yaml:9:11: duration: 1s ends before the last step does (4s)',
      'sc.yaml:11:45: expect[0].max-outage.between[1]: spine is a spine: name pods or nodes (their pods)',
    ]);
  });

  it('reports YAML syntax errors and a missing file with their place', () => {
    expect(problems('name: t\nsteps: [\n')[0]).toMatch(/^sc\.yaml:3:1: /);
    expect(() => loadScenario('/nonexistent/x.yaml')).toThrow(/\/nonexistent\/x\.yaml: ENOENT/);
  });

  it('expands a node to its pods for `between`', () => {
    expect(podsOf(lab, 'node3')).toEqual(['node3-pod1']);
    expect(podsOf(lab, 'node3-pod1')).toEqual(['node3-pod1']);
  });

  it('loads every shipped scenario against the seed lab', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const sc = loadScenario(join(SCENARIOS, f), lab);
      expect(`${sc.name}.yaml`).toBe(f);
      expect(sc.expect.length).toBeGreaterThan(0);
    }
  });
});

describe('fault kinds', () => {
  // The lab reaches switches only through their API, so it keeps its own list: it must be the daemon's.
  it('are the ones the daemon takes', () => {
    expect([...FAULT_KINDS]).toEqual([...DAEMON_FAULT_KINDS]);
  });
});
