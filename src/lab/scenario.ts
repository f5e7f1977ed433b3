/**
 * Lab scenarios: a YAML file of timed steps (fault, restart, kill, link, wait) and expectations
 * (sessions, routes, max-outage, min-outage), loaded like lab files: YAML with line counting, zod
 * validation, then checks against the lab it runs on (devices, peers), every problem as one
 * "file:line:col: key: message" line. Pure: the runner (scenario-run.ts) carries a Scenario out.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/load.js';
import { contains, parseNet } from './addr.js';
import { FAULT_KINDS, type FaultKind } from './scenario-types.js';
import { type Lab, labNodes } from './schema.js';
import { deepest, type Path, parseYamlDoc } from './yaml-doc.js';

export { ConfigError as ScenarioError, FAULT_KINDS, type FaultKind };

/** "500ms", "2s", "1.5s", "1m", or 0 → milliseconds. */
export function parseDuration(v: string | number): number | undefined {
  if (v === 0 || v === '0') return 0;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000));
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is no duration (write 500ms, 2s or 1m)` });
    return z.NEVER;
  }
  return ms;
});

const faultStep = z.strictObject({
  device: z.string(),
  peer: z.string(),
  kind: z.enum(FAULT_KINDS),
  for: duration.optional(),
  after: duration.optional(),
  subcode: z.number().int().min(0).max(255).optional(),
  delay: duration.optional(),
});
const restartStep = z.strictObject({
  device: z.string(),
  graceful: z.boolean().default(false),
  down: duration.default(0),
});
const killStep = z.strictObject({ device: z.string() });
const linkStep = z.strictObject({
  device: z.string(),
  interface: z.string().optional(),
  state: z.enum(['down', 'up']),
  for: duration.optional(),
});
const ACTIONS = ['fault', 'restart', 'kill', 'link', 'wait'] as const;
const stepSchema = z
  .strictObject({
    at: duration.optional(),
    fault: faultStep.optional(),
    restart: restartStep.optional(),
    kill: killStep.optional(),
    link: linkStep.optional(),
    wait: duration.optional(),
  })
  .superRefine((s, ctx) => {
    const n = ACTIONS.filter((a) => s[a] !== undefined).length;
    if (n !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `a step has exactly one of ${ACTIONS.join(', ')} (this one has ${n})`,
      });
  });

/** Each side of `between`: a pod or node name, or a list of them. */
const side = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((v) => (typeof v === 'string' ? [v] : v));
const between = z.tuple([side, side]);
type Between = readonly [readonly string[], readonly string[]];
const outageBound = (key: 'max' | 'min') =>
  z.union([
    duration.transform((ms) => ({ ms, between: undefined as Between | undefined })),
    z.strictObject({ [key]: duration, between: between.optional() }).transform((o) => ({
      ms: o[key] as number,
      between: o.between as Between | undefined,
    })),
  ]);
const expectSchema = z
  .strictObject({
    sessions: z.literal('established').optional(),
    routes: z
      .strictObject({ at: z.string(), prefix: z.string(), present: z.boolean().default(true) })
      .optional(),
    'max-outage': outageBound('max').optional(),
    'min-outage': outageBound('min').optional(),
    within: duration.optional(),
  })
  .superRefine((e, ctx) => {
    const keys = (['sessions', 'routes', 'max-outage', 'min-outage'] as const).filter(
      (k) => e[k] !== undefined,
    );
    if (keys.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `an expectation has exactly one of sessions, routes, max-outage, min-outage (this one has ${keys.length})`,
      });
    else if (e.within !== undefined && (keys[0] === 'max-outage' || keys[0] === 'min-outage'))
      ctx.addIssue({ code: 'custom', message: "'within' applies to sessions and routes only" });
  });

const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string().optional(),
  lab: z.string().optional(),
  rate: z.number().int().min(1).max(1000).default(100),
  duration: duration.optional(),
  steps: z.array(stepSchema).min(1),
  expect: z.array(expectSchema).default([]),
});

export type StepAction =
  | {
      readonly type: 'fault';
      readonly device: string;
      /** The neighbor address on the switch (resolved from a device name when one was given). */
      readonly peer: string;
      readonly peerName: string;
      readonly kind: FaultKind;
      readonly forMs?: number;
      readonly afterMs?: number;
      readonly subcode?: number;
      readonly delayMs?: number;
    }
  | { readonly type: 'restart'; readonly device: string; readonly graceful: boolean; readonly downMs: number }
  | { readonly type: 'kill'; readonly device: string }
  | {
      readonly type: 'link';
      readonly device: string;
      readonly interface: string;
      readonly state: 'down' | 'up';
      readonly forMs?: number;
    }
  | { readonly type: 'wait'; readonly ms: number };

export interface Step {
  /** Planned start, ms after the probes run; steps without `at` follow the one before. */
  readonly atMs: number;
  readonly action: StepAction;
  /** Source line, for messages. */
  readonly line: number;
}

export type Expectation =
  | { readonly type: 'sessions'; readonly withinMs: number; readonly text: string }
  | {
      readonly type: 'routes';
      readonly at: string;
      readonly prefix: string;
      readonly present: boolean;
      readonly withinMs: number;
      readonly text: string;
    }
  | {
      readonly type: 'max-outage' | 'min-outage';
      readonly ms: number;
      /** Two groups of pod or node names: the flows from one group to the other, both ways. */
      readonly between?: Between;
      readonly text: string;
    };

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly lab?: string;
  readonly file: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly steps: readonly Step[];
  readonly expect: readonly Expectation[];
}

/** How long state expectations keep polling when the file does not say (`within`). */
export const DEFAULT_WITHIN_MS = 30_000;
/** Probing continues this long after the last step (and its `for`) when `duration` is not given. */
export const DEFAULT_TAIL_MS = 10_000;

export const msText = (ms: number) =>
  ms === 0 ? '0ms' : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;

/** One line per step, for reports: `restart node2 (graceful, down 2s)`. */
export function describeAction(a: StepAction): string {
  switch (a.type) {
    case 'fault':
      return `fault ${a.kind} on ${a.device} toward ${a.peerName}${a.peerName === a.peer ? '' : ` ${a.peer}`}${
        a.forMs !== undefined ? ` for ${msText(a.forMs)}` : ''
      }`;
    case 'restart':
      return `restart ${a.device}${a.graceful ? ' (graceful)' : ''}${a.downMs ? ` down ${msText(a.downMs)}` : ''}`;
    case 'kill':
      return `kill ${a.device}`;
    case 'link':
      return `link ${a.device} ${a.interface} ${a.state}${a.forMs !== undefined ? ` for ${msText(a.forMs)}` : ''}`;
    case 'wait':
      return `wait ${msText(a.ms)}`;
  }
}

/**
 * Parses and checks a scenario. With `lab`, device names, peers and pod names are checked against
 * it and fault peers resolved to addresses. Throws ScenarioError with every problem.
 */
export function parseScenario(text: string, file = '<scenario>', lab?: Lab): Scenario {
  const doc = parseYamlDoc(scenarioSchema, text, file);
  const { root, lines } = doc;
  const s = doc.data;
  const problems: string[] = [];
  const problem = (path: Path, message: string) => problems.push(doc.problem(path, message));
  const lineOf = (path: Path) => lines.linePos(deepest(root, path).node?.range?.[0] ?? 0).line;

  const devices = lab ? deviceIndex(lab) : undefined;
  const needDevice = (path: Path, name: string, roles: readonly Role[], what: string) => {
    if (!devices) return;
    const role = devices.get(name);
    if (!role) problem(path, `no device '${name}' in lab ${lab!.name} (${[...devices.keys()].join(', ')})`);
    else if (!roles.includes(role)) problem(path, `${name} is a ${role}: ${what}`);
  };

  const steps: Step[] = [];
  let cursor = 0;
  s.steps.forEach((raw, i) => {
    const path = ['steps', i];
    if (raw.at !== undefined) {
      if (raw.at < cursor)
        problem([...path, 'at'], `at ${msText(raw.at)} is before the step above (${msText(cursor)})`);
      cursor = Math.max(cursor, raw.at);
    }
    let action: StepAction;
    if (raw.fault) {
      const f = raw.fault;
      needDevice(
        [...path, 'fault', 'device'],
        f.device,
        ['spine', 'leaf'],
        'faults are injected by rackbgp switches',
      );
      const peer = lab ? resolvePeer(lab, f.device, f.peer) : f.peer;
      if (lab && peer === undefined && ['spine', 'leaf'].includes(devices?.get(f.device) ?? ''))
        problem(
          [...path, 'fault', 'peer'],
          `${f.device} has no session with '${f.peer}' (name a device it peers with, or its address)`,
        );
      action = {
        type: 'fault',
        device: f.device,
        peer: peer ?? f.peer,
        peerName: f.peer,
        kind: f.kind,
        ...(f.for !== undefined && { forMs: f.for }),
        ...(f.after !== undefined && { afterMs: f.after }),
        ...(f.subcode !== undefined && { subcode: f.subcode }),
        ...(f.delay !== undefined && { delayMs: f.delay }),
      };
    } else if (raw.restart) {
      needDevice(
        [...path, 'restart', 'device'],
        raw.restart.device,
        ['spine', 'leaf', 'node'],
        'only daemons restart',
      );
      action = {
        type: 'restart',
        device: raw.restart.device,
        graceful: raw.restart.graceful,
        downMs: raw.restart.down,
      };
    } else if (raw.kill) {
      needDevice(
        [...path, 'kill', 'device'],
        raw.kill.device,
        ['spine', 'leaf', 'node'],
        'only daemons are killed',
      );
      action = { type: 'kill', device: raw.kill.device };
    } else if (raw.link) {
      const l = raw.link;
      needDevice([...path, 'link', 'device'], l.device, ['spine', 'leaf', 'node', 'pod'], '');
      if (l.for !== undefined && l.state === 'up')
        problem([...path, 'link', 'for'], "'for' goes with state: down (the link comes back up after it)");
      action = {
        type: 'link',
        device: l.device,
        // A pod's only interface is eth0; nodes' uplink and leaves' first uplink are eth1.
        interface:
          l.interface ?? (devices?.get(l.device) === 'pod' || /-pod\d+$/.test(l.device) ? 'eth0' : 'eth1'),
        state: l.state,
        ...(l.for !== undefined && { forMs: l.for }),
      };
    } else action = { type: 'wait', ms: raw.wait! };
    steps.push({ atMs: cursor, action, line: lineOf(path) });
    if (action.type === 'wait') cursor += action.ms;
  });
  const lastEnd = Math.max(
    cursor,
    ...steps.map((st) => {
      const a = st.action;
      const extra =
        a.type === 'fault'
          ? (a.afterMs ?? 0) + (a.forMs ?? 0)
          : a.type === 'link'
            ? (a.forMs ?? 0)
            : a.type === 'restart'
              ? a.downMs
              : 0;
      return st.atMs + extra;
    }),
  );
  if (s.duration !== undefined && s.duration < lastEnd)
    problem(['duration'], `${msText(s.duration)} ends before the last step does (${msText(lastEnd)})`);

  const expect: Expectation[] = s.expect.map((e, i) => {
    const path = ['expect', i];
    const range = deepest(root, path).node?.range;
    const src = range ? text.slice(range[0], range[1]).trim().replace(/\s+/g, ' ') : `expect[${i}]`;
    const within = e.within ?? DEFAULT_WITHIN_MS;
    if (e.sessions) return { type: 'sessions', withinMs: within, text: 'sessions: established' };
    if (e.routes) {
      needDevice([...path, 'routes', 'at'], e.routes.at, ['spine', 'leaf', 'node', 'pod'], '');
      try {
        parseNet(e.routes.prefix);
      } catch {
        problem([...path, 'routes', 'prefix'], `'${e.routes.prefix}' is no prefix (10.233.64.0/26)`);
      }
      return { type: 'routes', ...e.routes, withinMs: within, text: src };
    }
    const key = e['max-outage'] ? 'max-outage' : 'min-outage';
    const b = (e['max-outage'] ?? e['min-outage'])!;
    if (b.between && lab)
      b.between.forEach((names, j) => {
        for (const d of names)
          needDevice([...path, key, 'between', j], d, ['node', 'pod'], 'name pods or nodes (their pods)');
      });
    return { type: key, ms: b.ms, ...(b.between && { between: b.between }), text: src };
  });
  if (problems.length) throw new ConfigError(problems);
  return {
    name: s.name,
    ...(s.description && { description: s.description }),
    ...(s.lab && { lab: s.lab }),
    file,
    rate: s.rate,
    durationMs: s.duration ?? lastEnd + DEFAULT_TAIL_MS,
    steps,
    expect,
  };
}

export function loadScenario(file: string, lab?: Lab): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseScenario(text, file, lab);
}

type Role = 'spine' | 'leaf' | 'node' | 'pod';

function deviceIndex(lab: Lab): Map<string, Role> {
  const m = new Map<string, Role>();
  for (const s of lab.spines) m.set(s.name, 'spine');
  for (const l of lab.leaves) m.set(l.name, 'leaf');
  for (const n of labNodes(lab)) {
    m.set(n.name, 'node');
    for (let i = 1; i <= n.pods; i++) m.set(`${n.name}-pod${i}`, 'pod');
  }
  return m;
}

/**
 * The neighbor address `device` (a switch) has for `peer`: an address given as is when the switch
 * peers with it, or the address of the named device on their shared session.
 */
export function resolvePeer(lab: Lab, device: string, peer: string): string | undefined {
  const sessions = switchNeighbors(lab, device);
  if (sessions.some((s) => s.address === peer)) return peer;
  return sessions.find((s) => s.device === peer)?.address;
}

/** Every neighbor of a switch: the lab device on the other end and its address. */
export function switchNeighbors(lab: Lab, device: string): { device: string; address: string }[] {
  const out: { device: string; address: string }[] = [];
  for (const leaf of lab.leaves)
    for (const u of leaf.uplinks) {
      if (leaf.name === device) {
        out.push({ device: u.spine, address: u.spineIp });
        if (u.spineIp6) out.push({ device: u.spine, address: u.spineIp6 });
      }
      if (u.spine === device) {
        out.push({ device: leaf.name, address: u.leafIp });
        if (u.leafIp6) out.push({ device: leaf.name, address: u.leafIp6 });
      }
    }
  for (const rack of lab.racks)
    if (rack.leaf === device)
      for (const n of rack.nodes.filter((x) => x.rrId !== undefined)) {
        out.push({ device: n.name, address: n.ip });
        if (n.ip6) out.push({ device: n.name, address: n.ip6 });
      }
  return out;
}

/** Pod names a `between` entry stands for: the pod itself, or every pod of a node. */
export function podsOf(lab: Lab, name: string): string[] {
  const node = labNodes(lab).find((n) => n.name === name);
  if (node) return Array.from({ length: node.pods }, (_, k) => `${node.name}-pod${k + 1}`);
  return [name];
}

/** True when `addr` lies in `prefix` (for matching prefix events to probe flows). */
export const covers = (prefix: string, addr: string) => {
  try {
    return contains(prefix, addr);
  } catch {
    return false;
  }
};
