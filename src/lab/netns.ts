/**
 * The few host operations the lab needs, over iproute2: run a program (optionally inside a
 * namespace), list and delete namespaces, the PIDs inside one, and a process's identity (its start
 * time, so a recycled PID is never signalled). Nothing here touches the root namespace's links.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<RunResult>((resolve) => {
    const child = execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs and throws with the command and its stderr on failure. */
export async function must(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await run(cmd, args, { input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export const nsRun = (ns: string, argv: readonly string[], timeoutMs?: number) =>
  run('ip', ['netns', 'exec', ns, ...argv], { timeoutMs });

export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** Field 22 of /proc/PID/stat (start time in clock ticks); undefined once the process is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A process is ours when its PID still has the start time we recorded (and it is not a zombie). */
export function alive(pid: number, start?: string): boolean {
  const now = processStart(pid);
  if (now === undefined || (start !== undefined && now !== start)) return false;
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes (then undefined). */
export async function poll<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs);
  }
}
