/**
 * `rackbgp lab restart DEVICE [--graceful|--hard]`: restarts a switch's rackbgp or a node's BIRD in
 * a running lab, as an operator would. Graceful (RFC 4724): rackbgp gets SIGUSR2 (`rackbgp restart`:
 * no NOTIFICATION, kernel routes kept, a marker for the next run); BIRD dies without a NOTIFICATION
 * (SIGKILL, as calico-node's pod going away) and comes back with -R (graceful-restart recovery).
 * Hard: SIGTERM, so both send Cease to every peer first and their peers drop the routes.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { apiGet, labBaseDir, monotonicMs, type ProcessRecord, readState, statePath } from './executor.js';
import { alive, nsRun, poll, processStart, sleep } from './netns.js';
import type { LabPlan, ProcessPlan } from './plan.js';

export interface DeviceRestart {
  readonly device: string;
  readonly graceful: boolean;
  /** Per daemon: the signal it got and how long it took to be back (control socket or API answering). */
  readonly daemons: readonly { readonly name: string; readonly signal: string; readonly downMs: number }[];
}

/** The signal that stops a daemon for this kind of restart. */
export function stopSignal(name: ProcessPlan['name'], graceful: boolean): NodeJS.Signals {
  if (name === 'rackbgp') return graceful ? 'SIGUSR2' : 'SIGTERM';
  return graceful ? 'SIGKILL' : 'SIGTERM';
}

/** Calico's `connect delay time 2` (bird.cfg's bgp_template, lab/calico-templates). */
const BIRD_CONNECT_DELAY_S = 2;
/** A BIRD is killed before this far into a monotonic second, so its peers see the close in that second. */
const KILL_PHASE_MAX_MS = 800;
/** How far into its second a BIRD is started again (it listens a few hundred ms later). */
const START_PHASE_MS = 100;

/** When to kill a BIRD for a graceful restart (CLOCK_MONOTONIC ms): now, or just after the second ends. */
export function birdKillAt(nowMs: number): number {
  return nowMs % 1000 < KILL_PHASE_MAX_MS ? nowMs : (Math.floor(nowMs / 1000) + 1) * 1000 + 20;
}

/**
 * When to start a BIRD again (CLOCK_MONOTONIC ms) that was killed at `killedMs`, `downMs` or later.
 * BIRD 1.6's timers tick in whole monotonic seconds: peers that saw the session close in second K
 * dial again at K+2, K+4, … (refused while it is away; `connect delay time` re-armed each time), and
 * the new BIRD first dials 2 s after the second it starts in, S. With S − K even both ends dial in
 * the same second, and BIRD 1.6 (graceful restart on) drops both connections on the collision and
 * they redial in lock-step (the GR scenario once waited 81 s for its sessions). With S − K odd the
 * peers dial at S+1 into a BIRD that listens and is not due yet: one dialer per pair, as `lab up`
 * arranges (plan.ts birdStartAt).
 */
export function birdRestartAt(killedMs: number, downMs: number, delayS = BIRD_CONNECT_DELAY_S): number {
  const k = Math.floor(killedMs / 1000);
  let s = Math.ceil((killedMs + downMs - START_PHASE_MS) / 1000);
  while ((s - k) % delayS === 0) s++;
  return s * 1000 + START_PHASE_MS;
}

/** The command line of the restarted daemon: BIRD with -R after a graceful stop. */
export function restartArgv(proc: ProcessPlan, graceful: boolean): string[] {
  return graceful && proc.name !== 'rackbgp' ? [...proc.argv, '-R'] : [...proc.argv];
}

export async function restartDevice(
  p: LabPlan,
  device: string,
  opts: { graceful: boolean; base?: string; log?: (line: string) => void; readyTimeoutMs?: number },
): Promise<DeviceRestart> {
  const base = opts.base ?? labBaseDir();
  const log = opts.log ?? (() => {});
  const plans = p.processes.filter((x) => x.device === device);
  if (!plans.length) {
    const known = [...new Set(p.processes.map((x) => x.device))].join(', ');
    throw new Error(`${device} runs no daemon in lab ${p.lab.name} (devices with one: ${known})`);
  }
  const st = readState(p.lab.name, base);
  if (!st) throw new Error(`lab ${p.lab.name} has no state file: is it up?`);
  const daemons: { name: string; signal: string; downMs: number }[] = [];
  for (const proc of plans) {
    const rec = st.processes.find((r) => r.device === device && r.name === proc.name);
    const signal = stopSignal(proc.name, opts.graceful);
    const bird = opts.graceful && proc.name !== 'rackbgp';
    if (bird) await sleep(birdKillAt(monotonicMs()) - monotonicMs());
    const t0 = Date.now();
    const killed = monotonicMs();
    if (rec && alive(rec.pid, rec.start)) {
      log(`${device}: ${proc.name} (pid ${rec.pid}) ← ${signal}`);
      process.kill(rec.pid, signal);
      const gone = await poll(async () => !alive(rec.pid, rec.start), 10_000, 20);
      if (!gone) {
        log(`${device}: ${proc.name} still running after 10 s, SIGKILL`);
        process.kill(rec.pid, 'SIGKILL');
        await poll(async () => !alive(rec.pid, rec.start), 5000, 20);
      }
    }
    if (bird) await sleep(Math.max(0, birdRestartAt(killed, 0) - monotonicMs()));
    const next = startDaemon(proc, restartArgv(proc, opts.graceful));
    const i = st.processes.findIndex((r) => r.device === device && r.name === proc.name);
    if (i >= 0) st.processes[i] = next;
    else st.processes.push(next);
    writeFileSync(statePath(st.name, base), `${JSON.stringify(st, null, 2)}\n`);
    await ready(proc, next, opts.readyTimeoutMs ?? 30_000);
    const downMs = Date.now() - t0;
    log(`${device}: ${proc.name} back (pid ${next.pid}) after ${downMs} ms`);
    daemons.push({ name: proc.name, signal, downMs });
  }
  return { device, graceful: opts.graceful, daemons };
}

/**
 * Spawns one lab daemon in its namespace with `argv` (appending to its log) and returns the record
 * `lab up` keeps for it (PID and start time); the caller writes it into the state file.
 */
export function startDaemon(proc: ProcessPlan, argv: string[]): ProcessRecord {
  mkdirSync(dirname(proc.log), { recursive: true });
  const fd = openSync(proc.log, 'a');
  // `ip netns exec` execs the daemon in place: the PID is the daemon's.
  const child = spawn('ip', ['netns', 'exec', proc.ns, ...argv], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${proc.name} in ${proc.ns}`);
  const s = processStart(child.pid);
  return {
    device: proc.device,
    name: proc.name,
    ns: proc.ns,
    pid: child.pid,
    ...(s && { start: s }),
    log: proc.log,
  };
}

async function ready(proc: ProcessPlan, rec: ProcessRecord, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!alive(rec.pid))
      throw new Error(`${proc.name} on ${proc.device} exited after the restart (log: ${rec.log})`);
    const up =
      'api' in proc.ready
        ? (await apiGet(proc.ns, '/api/neighbors', proc.ready.api).catch(() => undefined)) !== undefined
        : (
            await nsRun(proc.ns, [proc.ready.client, '-s', proc.ready.socket, 'show', 'status'], 5000)
          ).stdout.includes('Daemon is up');
    if (up) return;
    if (Date.now() > end)
      throw new Error(`${proc.name} on ${proc.device} not ready ${timeoutMs} ms after the restart`);
    await sleep(100);
  }
}
