/**
 * Runs a scenario against a running lab: watchers on every switch (journal, neighbors) and every
 * BIRD (control socket), the prober in every pod, then the steps at their times (faults through
 * the switch's API, daemons restarted or killed by their recorded PIDs, links set down and up),
 * then the expectations. Everything it starts it stops by PID, whatever happens.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { birdKillAt, birdRestartAt, restartArgv, startDaemon } from './device-restart.js';
import { labBaseDir, monotonicMs, readState, statePath } from './executor.js';
import { alive, poll, run, sleep } from './netns.js';
import { observe } from './observe.js';
import { API_PORT } from './peerings.js';
import type { LabPlan } from './plan.js';
import { flowRecords, Prober } from './prober.js';
import { describeAction, type Expectation, msText, podsOf, type Scenario, type Step } from './scenario.js';
import { checkOutage, flowReport, LEAD_MS, sessionRows, toReportEvent } from './scenario-analysis.js';
import type {
  ExpectationResult,
  ScenarioReport,
  SessionSample,
  StepReport,
  TimedEvent,
} from './scenario-types.js';
import { BirdControl, journalToTimed, parseBirdLog, SwitchWatcher } from './scenario-watch.js';
import { verify } from './verify.js';

export interface RunOptions {
  /** Where the lab's state file is (default: labBaseDir()). */
  readonly base?: string;
  readonly log?: (line: string) => void;
  /** How long to wait for every session to be Established before starting (default 60 s). */
  readonly settleMs?: number;
  /** How often BIRD's protocols are read. */
  readonly birdPollMs?: number;
}

export class ScenarioRunError extends Error {}

const now = () => performance.timeOrigin + performance.now();

export const sessionLabel = (p: LabPlan, i: number) => {
  const s = p.sessions[i];
  const fam = p.lab.calico.pool6 ? ` IPv${s.family}` : '';
  return `${s.ends[0].device} ↔ ${s.ends[1].device} (${s.kind}${fam})`;
};

export async function runScenario(p: LabPlan, sc: Scenario, opts: RunOptions = {}): Promise<ScenarioReport> {
  const log = opts.log ?? (() => {});
  const base = opts.base ?? labBaseDir();
  const events: TimedEvent[] = [];
  const samples: SessionSample[] = [];
  const notes: string[] = [];
  const endState = new Map<string, boolean>();
  const endText = new Map<string, string>();
  const sample = (t: number, session: number, device: string, up: boolean, text: string) => {
    const key = `${session}/${device}`;
    if (endState.get(key) === up && (up || endText.get(key) === text)) return;
    endState.set(key, up);
    endText.set(key, text);
    samples.push({ t, session, device, up, text });
  };
  const sessionOf = (device: string, peer: string) => {
    const i = p.sessions.findIndex((s) => s.ends.some((e) => e.device === device && e.remote === peer));
    return i < 0 ? undefined : i;
  };
  const sessionsAt = (device: string) =>
    p.sessions.flatMap((s, i) => (s.ends.some((e) => e.device === device) ? [i] : []));

  // Switches: an agent each in its namespace.
  const switches = p.processes.filter((x) => x.name === 'rackbgp');
  const watchers = switches.map((sw) => {
    const lastState = new Map<string, string>();
    const w: SwitchWatcher = new SwitchWatcher(sw.device, sw.ns, API_PORT, {
      neighbors: (t, list, error) => {
        if (!list) {
          for (const i of sessionsAt(sw.device))
            sample(t, i, sw.device, false, `rackbgp API unreachable (${error})`);
          lastState.clear();
          events.push({
            t,
            source: sw.device,
            origin: 'switch',
            type: 'api-down',
            text: `rackbgp's API does not answer (${error})`,
          });
          return;
        }
        for (const [addr, state] of list) {
          const i = sessionOf(sw.device, addr);
          if (i === undefined || lastState.get(addr) === state) continue;
          const before = lastState.get(addr);
          lastState.set(addr, state);
          sample(t, i, sw.device, state === 'Established', state);
          if (!w.journal && before !== undefined)
            events.push({
              t,
              source: sw.device,
              origin: 'switch',
              type: 'session-state',
              peer: addr,
              text: `${addr} ${before} → ${state}`,
              session: i,
            });
        }
      },
      events: (list) => {
        for (const e of list) {
          const te = journalToTimed(sw.device, e, sessionOf);
          if (te) events.push(te);
        }
      },
    });
    return w;
  });

  // BIRDs: their control sockets, polled.
  const birds = p.processes.flatMap((x) =>
    'socket' in x.ready ? [{ device: x.device, name: x.name, ctl: new BirdControl(x.ready.socket) }] : [],
  );
  const birdLast = new Map<string, string>();
  let polling = true;
  const birdPoll = (async () => {
    while (polling) {
      const t0 = now();
      await Promise.all(
        birds.map(async (b) => {
          const protos = await b.ctl.protocols();
          const t = now();
          if (!protos) {
            const key = `${b.device}/${b.name}`;
            if (birdLast.get(key) !== 'down') {
              birdLast.set(key, 'down');
              events.push({
                t,
                source: b.device,
                origin: 'bird',
                type: 'bird-down',
                text: `${b.name} not running (control socket closed)`,
              });
            }
            for (const i of sessionsAt(b.device)) {
              const end = p.sessions[i].ends.find((e) => e.device === b.device)!;
              if (end.speaker === b.name) {
                sample(t, i, b.device, false, `${b.name} not running`);
                birdLast.delete(`${b.device}/${end.protocol}`);
              }
            }
            return;
          }
          birdLast.set(`${b.device}/${b.name}`, 'up');
          for (const proto of protos) {
            if (proto.proto !== 'BGP') continue;
            const i = p.sessions.findIndex((s) =>
              s.ends.some((e) => e.device === b.device && e.speaker === b.name && e.protocol === proto.name),
            );
            if (i < 0) continue;
            const up = proto.state === 'up' && proto.info.startsWith('Established');
            const text = up ? 'Established' : `${proto.state} ${proto.info}`.replace(/\s+/g, ' ').trim();
            const key = `${b.device}/${proto.name}`;
            const before = birdLast.get(key);
            if (before === text) continue;
            birdLast.set(key, text);
            sample(t, i, b.device, up, text);
            if (before !== undefined)
              events.push({
                t,
                source: b.device,
                origin: 'bird',
                type: 'bird-state',
                peer: p.sessions[i].ends.find((e) => e.device === b.device)!.remote,
                text: `${proto.name} ${before} → ${text}`,
                session: i,
              });
          }
        }),
      );
      await sleep(Math.max(0, (opts.birdPollMs ?? 250) - (now() - t0)));
    }
  })();

  // BIRD's own log lines, when its config logs to a file or stderr (the lab's process log).
  const birdLogs = p.processes
    .filter((x) => x.name !== 'rackbgp')
    .map((x) => ({ proc: x, from: fileSize(x.log) }));
  let prober: Prober | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    // Everything Established at both ends before the clock starts.
    const settled = await poll(
      async () => {
        const downs = p.sessions.flatMap((_, i) =>
          p.sessions[i].ends.filter((e) => endState.get(`${i}/${e.device}`) !== true).map(() => i),
        );
        return downs.length === 0;
      },
      opts.settleMs ?? 60_000,
      200,
    );
    if (!settled) {
      const down = p.sessions
        .map((_, i) => i)
        .filter((i) => p.sessions[i].ends.some((e) => endState.get(`${i}/${e.device}`) !== true))
        .map((i) => sessionLabel(p, i));
      throw new ScenarioRunError(
        `lab ${p.lab.name} is not converged after ${msText(opts.settleMs ?? 60_000)}: not Established: ${down.join('; ')} (rackbgp lab verify)`,
      );
    }
    prober = await Prober.start(p, sc.rate).catch((e: Error) => {
      throw new ScenarioRunError(e.message);
    });
    await sleep(300);
    prober.go();
    const t0 = now();
    const startedAt = new Date(t0).toISOString();
    log(
      `scenario ${sc.name}: probing ${p.pods.length} pods at ${sc.rate}/s per flow for ${msText(sc.durationMs)}`,
    );
    const stepReports: StepReport[] = sc.steps.map((s) => ({
      atMs: s.atMs,
      text: describeAction(s.action),
      ok: true,
    }));
    const done: Promise<void>[] = [];
    sc.steps.forEach((step, i) => {
      done.push(
        new Promise<void>((resolve) => {
          timers.push(
            setTimeout(
              async () => {
                const t = now();
                stepReports[i] = { ...stepReports[i], atMs: Math.round(t - t0) };
                events.push({
                  t,
                  source: 'scenario',
                  origin: 'step',
                  type: 'step',
                  text: describeAction(step.action),
                });
                log(`${((t - t0) / 1000).toFixed(2)} s  ${describeAction(step.action)}`);
                try {
                  await perform(step, { p, base, watchers, events, timers, t0 });
                } catch (e) {
                  stepReports[i] = { ...stepReports[i], ok: false, error: (e as Error).message };
                  log(`  failed: ${(e as Error).message}`);
                }
                resolve();
              },
              Math.max(0, t0 + step.atMs - now()),
            ),
          );
        }),
      );
    });
    await sleep(Math.max(0, t0 + sc.durationMs - now()));
    const end = now();
    const results = await prober.stop();
    await Promise.all(done);
    polling = false;
    await birdPoll;
    // Let the switch agents deliver the journal up to the end.
    await sleep(400);

    for (const { proc, from } of birdLogs)
      for (const line of parseBirdLog(readTail(proc.log, from))) {
        const name = /^(\S+):/.exec(line.text)?.[1];
        const i = p.sessions.findIndex((s) =>
          s.ends.some((e) => e.device === proc.device && e.protocol === name),
        );
        events.push({
          t: line.t,
          source: proc.device,
          origin: 'bird',
          type: 'bird-log',
          text: `${line.level} ${line.text}`,
          ...(i >= 0 && { session: i }),
        });
      }
    const window = events.filter((e) => e.t >= t0 - LEAD_MS && e.t <= end).sort((a, b) => a.t - b.t);
    const flows = flowRecords(p, results).map((f) => flowReport(f, window, t0));
    const labels = p.sessions.map((_, i) => sessionLabel(p, i));
    const sessions = sessionRows(labels, samples, t0, end);
    if (watchers.some((w) => !w.journal))
      notes.push(
        `no journal (GET /api/events) on ${watchers
          .filter((w) => !w.journal)
          .map((w) => w.device)
          .join(', ')}: switch events are neighbor state changes seen by polling every 200 ms`,
      );
    notes.push('BIRD events are protocol state changes seen on its control socket every 250 ms');
    const expectations: ExpectationResult[] = [];
    for (const e of sc.expect) expectations.push(await check(e, p, flows));
    const steps = stepReports;
    return {
      scenario: sc.name,
      ...(sc.description && { description: sc.description }),
      file: sc.file,
      lab: p.lab.name,
      startedAt,
      durationMs: Math.round(end - t0),
      rate: sc.rate,
      ok: expectations.every((x) => x.ok) && steps.every((s) => s.ok),
      steps,
      flows,
      sessions,
      events: window.map((e) => toReportEvent(e, t0)),
      expectations,
      notes,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    polling = false;
    prober?.kill();
    for (const w of watchers) w.stop();
    for (const b of birds) b.ctl.close();
  }

  async function check(
    e: Expectation,
    plan: LabPlan,
    flows: ScenarioReport['flows'],
  ): Promise<ExpectationResult> {
    if (e.type === 'max-outage' || e.type === 'min-outage')
      return checkOutage(e, flows, (name) => podsOf(plan.lab, name));
    const t0 = Date.now();
    if (e.type === 'sessions') {
      let failures: readonly string[] = [];
      const ok = await poll(
        async () => {
          const c = verify(plan, await observe(plan, { pings: false })).checks.find(
            (x) => x.id === 'sessions',
          )!;
          failures = c.failures;
          return c.ok;
        },
        e.withinMs,
        1000,
      );
      return {
        text: e.text,
        ok: !!ok,
        detail: ok
          ? `${plan.sessions.length}/${plan.sessions.length} Established ${Date.now() - t0 < 1500 ? 'at the end' : `${((Date.now() - t0) / 1000).toFixed(1)} s after the end`}`
          : `after ${msText(e.withinMs)}: ${failures.join('; ')}`,
      };
    }
    const r0 = e as Extract<Expectation, { type: 'routes' }>;
    const ns = plan.namespaces.find((n) => n.device === r0.at)!.ns;
    let seen = '';
    const ok = await poll(
      async () => {
        const r = await run('ip', [
          '-n',
          ns,
          '-j',
          r0.prefix.includes(':') ? '-6' : '-4',
          'route',
          'show',
          'exact',
          r0.prefix,
        ]);
        const routes = JSON.parse(r.stdout || '[]') as {
          type?: string;
          gateway?: string;
          nexthops?: { gateway?: string }[];
          dev?: string;
          protocol?: string;
        }[];
        seen = routes.length
          ? routes
              .map(
                (x) =>
                  `${x.type && x.type !== 'unicast' ? `${x.type} ` : ''}${x.gateway ? `via ${x.gateway}` : x.nexthops ? `via ${x.nexthops.map((n) => n.gateway).join(' + ')}` : `dev ${x.dev ?? '?'}`} proto ${x.protocol ?? '?'}`,
              )
              .join('; ')
          : 'no route';
        return routes.length > 0 === r0.present;
      },
      r0.withinMs,
      500,
    );
    return { text: r0.text, ok: !!ok, detail: `${r0.at} ${r0.prefix}: ${seen}` };
  }
}

interface Context {
  readonly p: LabPlan;
  readonly base: string;
  readonly watchers: readonly SwitchWatcher[];
  readonly events: TimedEvent[];
  readonly timers: NodeJS.Timeout[];
  readonly t0: number;
}

async function perform(step: Step, c: Context): Promise<void> {
  const a = step.action;
  const ns = (device: string) => c.p.namespaces.find((n) => n.device === device)!.ns;
  switch (a.type) {
    case 'wait':
      return;
    case 'fault': {
      const w = c.watchers.find((x) => x.device === a.device)!;
      const body = {
        kind: a.kind,
        ...(a.forMs !== undefined && { for: a.forMs }),
        ...(a.afterMs !== undefined && { after: a.afterMs }),
        ...(a.subcode !== undefined && { subcode: a.subcode }),
        ...(a.delayMs !== undefined && { delay: a.delayMs }),
      };
      const r = await w.request('POST', `/api/neighbors/${encodeURIComponent(a.peer)}/faults`, body);
      if (r.status !== 201)
        throw new Error(
          r.status === 404 && !r.body.includes('neighbor')
            ? `${a.device}'s rackbgp has no fault API (POST /api/neighbors/ADDR/faults answered 404)`
            : `${a.device} answered ${r.status}: ${r.body.trim()}`,
        );
      return;
    }
    case 'link': {
      const set = async (state: 'up' | 'down') => {
        const r = await run('ip', ['-n', ns(a.device), 'link', 'set', a.interface, state]);
        if (r.code !== 0)
          throw new Error(`ip link set ${a.interface} ${state} in ${a.device}: ${r.stderr.trim()}`);
      };
      await set(a.state);
      if (a.forMs !== undefined)
        c.timers.push(
          setTimeout(() => {
            c.events.push({
              t: now(),
              source: 'scenario',
              origin: 'step',
              type: 'step',
              text: `link ${a.device} ${a.interface} up (after ${msText(a.forMs!)})`,
            });
            set('up').catch((e) =>
              c.events.push({
                t: now(),
                source: 'scenario',
                origin: 'step',
                type: 'step-error',
                text: (e as Error).message,
              }),
            );
          }, a.forMs),
        );
      return;
    }
    case 'kill':
      await stopDaemons(c, a.device, 'SIGKILL');
      return;
    case 'restart': {
      // Graceful: no NOTIFICATION (SIGKILL), so peers keep the routes as GR helpers (RFC 4724 §4.2),
      // and BIRD comes back with -R. Otherwise SIGTERM: BIRD and rackbgp send Cease to every peer.
      // A BIRD is killed and started again at set points of BIRD's whole-second clock, so its peers
      // and it do not dial each other in the same second (device-restart.ts birdRestartAt).
      const bird = a.graceful && c.p.processes.some((x) => x.device === a.device && x.name !== 'rackbgp');
      if (bird) await sleep(birdKillAt(monotonicMs()) - monotonicMs());
      const killed = monotonicMs();
      await stopDaemons(c, a.device, a.graceful ? 'SIGKILL' : 'SIGTERM', true);
      if (bird) await sleep(Math.max(0, birdRestartAt(killed, a.downMs ?? 0) - monotonicMs()));
      else if (a.downMs) await sleep(a.downMs);
      startDaemons(c, a.device, a.graceful);
      return;
    }
  }
}

/** Signals the device's running daemons and waits until they are gone (a restart may find none: killed before). */
async function stopDaemons(c: Context, device: string, sig: NodeJS.Signals, noneOk = false): Promise<void> {
  const st = readState(c.p.lab.name, c.base);
  if (!st) throw new Error(`lab ${c.p.lab.name} has no state file`);
  const procs = st.processes.filter((r) => r.device === device && alive(r.pid, r.start));
  if (!procs.length && !noneOk) throw new Error(`no daemon of ${device} is running`);
  for (const r of procs) process.kill(r.pid, sig);
  const gone = await poll(async () => procs.every((r) => !alive(r.pid, r.start)), 5000, 20);
  if (!gone) for (const r of procs) if (alive(r.pid, r.start)) process.kill(r.pid, 'SIGKILL');
}

/** Starts the device's daemons as `lab up` does (BIRD with -R for a graceful restart); records their PIDs. */
function startDaemons(c: Context, device: string, graceful: boolean): void {
  const st = readState(c.p.lab.name, c.base);
  if (!st) throw new Error(`lab ${c.p.lab.name} has no state file`);
  for (const proc of c.p.processes.filter((x) => x.device === device)) {
    const rec = startDaemon(proc, restartArgv(proc, graceful));
    const i = st.processes.findIndex((r) => r.device === device && r.name === proc.name);
    if (i >= 0) st.processes[i] = rec;
    else st.processes.push(rec);
  }
  writeFileSync(statePath(st.name, c.base), `${JSON.stringify(st, null, 2)}\n`);
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** What was appended to a log since `from` (a restarted daemon appends to the same file). */
function readTail(file: string, from: number): string {
  try {
    return readFileSync(file).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}
