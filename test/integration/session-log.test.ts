/**
 * What `rackbgp run --log-level debug` logs while a session comes up, read from two real daemons in
 * namespaces: every FSM transition once, at debug; End-of-RIB once per family, by name; on a
 * terminal (a pty from script(1)) the levels are coloured, in a file they are JSON lines.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { CLI, type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const missing = requireTools('/usr/bin/script', '/usr/bin/env');

const A = `router-id: 10.96.1.1
asn: 65001
fib: false
networks: [10.244.1.0/26]
neighbors: [{ address: 10.96.1.2, asn: 65002, families: [ipv4-unicast, ipv6-unicast] }]
`;
const B = `router-id: 10.96.1.2
asn: 65002
fib: false
api: false
metrics: false
neighbors: [{ address: 10.96.1.1, asn: 65001, passive: true, families: [ipv4-unicast, ipv6-unicast] }]
`;

type Line = { level: number; msg: string; peer?: string; from?: string; to?: string; family?: string };
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

describe.skipIf(!isRoot() || missing.length > 0)('the log of a session coming up', () => {
  let net: TestNet;
  let a: RackbgpHandle;
  let bLog: string;
  beforeEach(async () => {
    net = new TestNet('slog');
    for (const n of ['a', 'b']) await net.addNode(n);
    await net.link('a', 'b', { a: ['10.96.1.1/24'], b: ['10.96.1.2/24'] });
    // B on a terminal: script(1) gives it a pty, so its log is the pretty, coloured one.
    const cfg = join(net.dir, 'b.yaml');
    writeFileSync(cfg, B);
    const command = `${process.execPath} ${CLI} run -c ${cfg} --log-level debug`;
    bLog = net.spawn('b', 'rackbgp', '/usr/bin/env', [
      '-u',
      'NO_COLOR',
      '/usr/bin/script',
      '-qfec',
      command,
      '/dev/null',
    ]).log;
    await waitFor(
      'B listening',
      async () => readFileSync(bLog, 'utf8').includes('rackbgp started'),
      15_000,
      50,
    );
    a = await startRackbgp(net, 'a', A);
    const eors = (text: string) => text.split('\n').filter((l) => l.includes('End-of-RIB received')).length;
    await waitFor(
      'End-of-RIB both ways, both families',
      async () => eors(readFileSync(a.log, 'utf8')) >= 2 && eors(readFileSync(bLog, 'utf8')) >= 2,
    );
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('JSON lines in a file: each transition once at debug, End-of-RIB once per family, families by name', async () => {
    // Anything logged twice would show up by now (both copies are written in the same turn).
    await new Promise((r) => setTimeout(r, 300));
    const lines = readFileSync(a.log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
    const transitions = lines.filter((l) => l.msg === 'FSM transition');
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'Idle>Connect',
      'Connect>OpenSent',
      'OpenSent>OpenConfirm',
      'OpenConfirm>Established',
    ]);
    expect(new Set(transitions.map((t) => [t.level, t.peer].join(' ')))).toEqual(new Set(['20 10.96.1.2']));
    const eor = lines.filter((l) => l.msg === 'End-of-RIB received');
    expect(eor.map((l) => [l.level, l.peer, l.family])).toEqual([
      [30, '10.96.1.2', 'ipv4-unicast'],
      [30, '10.96.1.2', 'ipv6-unicast'],
    ]);
    const up = lines.filter((l) => l.msg === 'session established') as (Line & {
      params: { families: unknown };
    })[];
    expect(up.map((l) => l.params.families)).toEqual([['ipv4-unicast', 'ipv6-unicast']]);
    expect(lines.filter((l) => l.msg === 'state')).toEqual([]);
  });

  it('pretty lines on a terminal: levels coloured, the same transitions once each', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const text = readFileSync(bLog, 'utf8');
    expect(text).toContain('\x1b[36mDEBUG\x1b[0m FSM transition');
    expect(text).toContain('\x1b[32mINFO \x1b[0m End-of-RIB received');
    const plain = text.replace(ANSI, '').split(/\r?\n/);
    const transitions = plain
      .filter((l) => / DEBUG FSM transition /.test(l))
      .map((l) => /from=(\S+) to=(\S+)/.exec(l)?.slice(1).join('>'));
    expect(transitions).toEqual([
      'Idle>Active',
      'Active>OpenSent',
      'OpenSent>OpenConfirm',
      'OpenConfirm>Established',
    ]);
    expect(
      plain.filter((l) => / INFO {2}End-of-RIB received /.test(l)).map((l) => /family=(\S+)/.exec(l)?.[1]),
    ).toEqual(['ipv4-unicast', 'ipv6-unicast']);
  });
});
