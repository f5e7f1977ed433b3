/**
 * What a DUT cost, read from /proc: CPU seconds as utime + stime + cutime + cstime of
 * /proc/PID/stat (fields 14-17, clock ticks; all threads, and children once reaped) and peak RSS as
 * VmHWM of /proc/PID/status. A DUT is its processes (FRR's zebra + bgpd) and their descendants
 * (rackbgp's `ip -batch` helper for the FIB), summed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks = 0;
const clockTicks = (): number => {
  if (!ticks) ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticks;
};

/** Fields of /proc/PID/stat from field 3 (state) on; the name (field 2) may hold spaces and ')'. */
const statFields = (pid: number): string[] => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** CPU seconds (user + system, own and of reaped children) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
}

/** The processes and all their living descendants. */
export function tree(pids: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(statFields(Number(e))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {}
  }
  const out = new Set<number>();
  const visit = (p: number) => {
    if (out.has(p)) return;
    out.add(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  for (const p of pids) visit(p);
  return [...out];
}

/** Peak resident set size in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(m[1]) / 1024;
}

const orZero = (f: () => number): number => {
  try {
    return f();
  } catch {
    return 0; // a descendant that exited between listing and reading
  }
};

/** CPU seconds of the processes and their descendants. */
export const sumCpu = (pids: readonly number[]) =>
  tree(pids).reduce((s, p) => s + orZero(() => cpuSeconds(p)), 0);
/** Peak RSS of the processes and their living descendants, summed. */
export const sumPeakRss = (pids: readonly number[]) =>
  tree(pids).reduce((s, p) => s + orZero(() => peakRssMiB(p)), 0);

/** Fails when a process is gone (a crashed DUT must not be measured as fast). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(state);
  } catch {
    return false;
  }
}

/** A TcpExt counter (e.g. ListenOverflows) of the network namespace `pid` lives in. */
export function tcpExt(pid: number, name: string): number {
  const lines = readFileSync(`/proc/${pid}/net/netstat`, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const keys = lines[i].split(/\s+/);
  const values = lines[i + 1].split(/\s+/);
  const k = keys.indexOf(name);
  return k < 0 ? 0 : Number(values[k]);
}
