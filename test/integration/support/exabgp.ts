/**
 * ExaBGP 4.2 inside a test namespace, in the foreground (env settings as capture.sh uses them).
 * Its view of the sessions comes from its API: a helper process gets ExaBGP's JSON events
 * (neighbor state changes, the OPENs received, NOTIFICATIONs) on stdin and appends them to a file;
 * a second helper feeds API commands from a file (`announce route ...`).
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestNet, waitFor } from './netns.js';

export const EXABGP = '/usr/sbin/exabgp';

/** One line of ExaBGP's JSON encoder (state, open, notification, update...). */
export interface ExabgpEvent {
  type: string;
  neighbor: {
    address: { local: string; peer: string };
    state?: string;
    direction?: string;
    message?: Record<string, unknown>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ExabgpHandle {
  readonly daemon: ChildProcess;
  readonly log: string;
  events(): ExabgpEvent[];
  /** Sends an API command (e.g. `neighbor 10.0.0.1 teardown 2`). */
  command(line: string): void;
  /** Waits for the last state event of a neighbor to be `up`. */
  waitUp(peer: string, timeoutMs?: number): Promise<ExabgpEvent>;
}

/**
 * `neighbors` is the body of the config after the `process` blocks: neighbor blocks whose `api`
 * section names the processes `events` (JSON events in) and `commands` (API commands out).
 */
export async function startExabgp(
  net: TestNet,
  node: string,
  neighbors: string,
  opts: { bind: string[]; tag?: string },
): Promise<ExabgpHandle> {
  const tag = opts.tag ?? 'exabgp';
  const base = join(net.dir, `${node}-${tag}`);
  const eventsFile = `${base}-events.jsonl`;
  const commandsFile = `${base}-commands.txt`;
  writeFileSync(eventsFile, '');
  writeFileSync(commandsFile, '');
  // ExaBGP writes events to the stdin of `events` and reads commands from the stdout of `commands`;
  // both helpers end with their parent. No `exec` for cat: ExaBGP takes a closed stdout for a
  // dead helper, so the shell keeps it open.
  writeFileSync(`${base}-events.sh`, `#!/bin/sh\ncat >> "${eventsFile}"\n`);
  writeFileSync(
    `${base}-commands.sh`,
    `#!/bin/sh\nexec tail -n +1 -F --pid=$PPID "${commandsFile}" 2>/dev/null\n`,
  );
  chmodSync(`${base}-events.sh`, 0o755);
  chmodSync(`${base}-commands.sh`, 0o755);
  writeFileSync(
    `${base}.conf`,
    `process events {\n  run ${base}-events.sh;\n  encoder json;\n}\n\nprocess commands {\n  run ${base}-commands.sh;\n  encoder text;\n}\n\n${neighbors}`,
  );
  const { child: daemon, log } = net.spawn(node, tag, 'env', [
    'exabgp.daemon.user=root',
    'exabgp.daemon.daemonize=false',
    `exabgp.daemon.pid=${base}.pid`,
    'exabgp.log.destination=stdout',
    'exabgp.log.level=INFO',
    'exabgp.api.cli=false',
    'exabgp.api.ack=false',
    `exabgp.tcp.bind=${opts.bind.join(' ')}`,
    'exabgp.tcp.port=179',
    EXABGP,
    `${base}.conf`,
  ]);
  const events = (): ExabgpEvent[] =>
    existsSync(eventsFile)
      ? readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as ExabgpEvent)
      : [];
  await waitFor(
    'ExaBGP started',
    async () => readFileSync(log, 'utf8').includes('loaded new configuration'),
    15_000,
    200,
  );
  return {
    daemon,
    log,
    events,
    command: (line) => appendFileSync(commandsFile, `${line}\n`),
    waitUp: (peer, timeoutMs = 30_000) =>
      waitFor(
        `ExaBGP ${peer} up`,
        async () => {
          const states = events().filter((e) => e.type === 'state' && e.neighbor.address.peer === peer);
          const last = states.at(-1);
          return last?.neighbor.state === 'up' ? last : undefined;
        },
        timeoutMs,
      ),
  };
}
