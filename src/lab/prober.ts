/**
 * The scenario prober: one small Node process per pod (run with `ip netns exec`), each sending UDP
 * packets with a sequence number and the send time to every pod in another rack at a fixed rate,
 * and recording what it receives. The runner says `go` and `stop` on stdin; at `stop` each agent
 * prints what it sent and received as one JSON line and exits. Timestamps are
 * performance.timeOrigin + performance.now(): epoch milliseconds, high resolution, comparable
 * across processes on one host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LabPlan, PodPlan } from './plan.js';
import type { FlowRecord } from './scenario-types.js';

export const PROBE_PORT = 47179;

/** The agent (CommonJS, for `node -e`); argv[1] is its JSON config. */
export const PROBER_AGENT = String.raw`
const dgram = require('node:dgram');
const { performance } = require('node:perf_hooks');
const cfg = JSON.parse(process.argv[1]);
const now = () => performance.timeOrigin + performance.now();
const interval = 1000 / cfg.rate;
const rx = {};
// One socket per family: cfg.ip (and cfg.ip6 on a dual-stack lab), each to its own targets.
const socks = [{ type: 'udp4', ip: cfg.ip, targets: cfg.targets }];
if (cfg.ip6) socks.push({ type: 'udp6', ip: cfg.ip6, targets: cfg.targets6 });
const onMessage = (m, from) => {
  if (m.length < 12) return;
  const r = rx[from.address] || (rx[from.address] = { seq: [], sentAt: [] });
  r.seq.push(m.readUInt32BE(0));
  r.sentAt.push(Math.round(m.readDoubleBE(4) * 10) / 10);
};
let timer, startAt = 0, lastSentAt = 0, sent = 0;
const tick = () => {
  const due = Math.floor((now() - startAt) / interval) + 1;
  while (sent < due) {
    const b = Buffer.alloc(12);
    const t = now();
    b.writeUInt32BE(sent, 0);
    b.writeDoubleBE(t, 4);
    for (const k of socks) for (const ip of k.targets) k.sock.send(b, cfg.port, ip);
    if (sent === 0) startAt = t;
    lastSentAt = t;
    sent++;
  }
};
let bound = 0;
for (const k of socks) {
  k.sock = dgram.createSocket(k.type === 'udp6' ? { type: 'udp6', ipv6Only: true } : 'udp4');
  // Until bound, an error (no such address) ends the agent with the reason; later ones are losses.
  k.sock.on('error', (e) => bound < socks.length && (process.stdout.write('error: ' + e.message + '\n'), process.exit(1)));
  k.sock.on('message', onMessage);
  k.sock.bind(cfg.port, k.ip, () => ++bound === socks.length && process.stdout.write('ready\n'));
}
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line === 'go' && !timer) {
      startAt = now();
      tick();
      timer = setInterval(tick, 4);
    } else if (line === 'stop') {
      clearInterval(timer);
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ sent, startAt, lastSentAt, intervalMs: interval, rx }) + '\n', () => process.exit(0));
      }, 400);
    }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

/** What an agent prints at `stop`. */
export interface AgentResult {
  readonly sent: number;
  readonly startAt: number;
  readonly lastSentAt: number;
  readonly intervalMs: number;
  readonly rx: Record<string, { seq: number[]; sentAt: number[] }>;
}

/** Who probes whom: every pod sends to every pod in another rack (so each pair in both directions). */
export function probeTargets(p: LabPlan): Map<PodPlan, PodPlan[]> {
  return new Map(p.pods.map((a) => [a, p.pods.filter((b) => b.rack !== a.rack)]));
}

/** Agents' results → one record per directed flow (per family on a dual-stack lab), in pod order. */
export function flowRecords(p: LabPlan, results: ReadonlyMap<string, AgentResult>): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (const [from, targets] of probeTargets(p)) {
    const sender = results.get(from.device);
    for (const to of targets)
      for (const [src, dst] of [
        [from.ip, to.ip],
        [from.ip6, to.ip6],
      ]) {
        if (!src || !dst) continue;
        const got = results.get(to.device)?.rx[src];
        out.push({
          from: from.device,
          to: to.device,
          src,
          dst,
          sent: sender?.sent ?? 0,
          startAt: sender?.startAt ?? 0,
          lastSentAt: sender?.lastSentAt ?? 0,
          intervalMs: sender?.intervalMs ?? 0,
          received: got ? got.seq.map((seq, i) => ({ seq, sentAt: got.sentAt[i] })) : [],
        });
      }
  }
  return out;
}

interface Agent {
  readonly pod: PodPlan;
  readonly child: ChildProcess;
  readonly lines: AsyncIterator<string>;
}

/** The running agents of one scenario. */
export class Prober {
  private constructor(private readonly agents: Agent[]) {}

  /** Starts one agent per pod that has targets and waits until each has bound its socket. */
  static async start(p: LabPlan, rate: number, nodeBin = process.execPath): Promise<Prober> {
    const agents: Agent[] = [];
    const prober = new Prober(agents);
    try {
      for (const [pod, targets] of probeTargets(p)) {
        if (!targets.length) continue;
        const targets6 = targets.flatMap((t) => (t.ip6 ? [t.ip6] : []));
        const cfg = {
          ip: pod.ip,
          port: PROBE_PORT,
          rate,
          targets: targets.map((t) => t.ip),
          ...(pod.ip6 && targets6.length && { ip6: pod.ip6, targets6 }),
        };
        const child = spawn(
          'ip',
          ['netns', 'exec', pod.ns, nodeBin, '-e', PROBER_AGENT, JSON.stringify(cfg)],
          {
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
        agents.push({ pod, child, lines });
      }
      await Promise.all(
        agents.map(async (a) => {
          const first = await withTimeout(a.lines.next(), 10_000, `prober in ${a.pod.device} did not start`);
          if (first.done || first.value !== 'ready')
            throw new Error(`prober in ${a.pod.device} did not start${first.done ? '' : `: ${first.value}`}`);
        }),
      );
    } catch (e) {
      prober.kill();
      throw e;
    }
    return prober;
  }

  get pids(): number[] {
    return this.agents.flatMap((a) => (a.child.pid === undefined ? [] : [a.child.pid]));
  }

  go(): void {
    for (const a of this.agents) a.child.stdin!.write('go\n');
  }

  /** Stops sending, waits for packets in flight, and returns each agent's result by pod name. */
  async stop(): Promise<Map<string, AgentResult>> {
    for (const a of this.agents) a.child.stdin!.write('stop\n');
    const results = new Map<string, AgentResult>();
    await Promise.all(
      this.agents.map(async (a) => {
        const line = await withTimeout(a.lines.next(), 10_000, `prober in ${a.pod.device} did not answer`);
        if (!line.done) results.set(a.pod.device, JSON.parse(line.value) as AgentResult);
      }),
    );
    this.kill();
    return results;
  }

  /** Kills every agent by its PID (idempotent). */
  kill(): void {
    for (const a of this.agents)
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
