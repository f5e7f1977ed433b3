/** Debian BIRD 1.6 (bird, bird6) and BIRD 2 inside a test namespace, with birdc queries. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestNet, waitFor } from './netns.js';

export const BIRD1 = { daemon: '/usr/sbin/bird', client: '/usr/sbin/birdc' };
export const BIRD6 = { daemon: '/usr/sbin/bird6', client: '/usr/sbin/birdc6' };
export const BIRD2 = { daemon: '/opt/bird2/usr/sbin/bird', client: '/opt/bird2/usr/sbin/birdc' };

export interface BirdHandle {
  readonly socket: string;
  cli(command: string): Promise<string>;
  /** `show protocols all NAME` text. */
  protocol(name: string): Promise<string>;
  waitEstablished(name: string, timeoutMs?: number): Promise<string>;
}

export async function startBird(
  net: TestNet,
  node: string,
  flavour: typeof BIRD1,
  config: string,
  tag = 'bird',
  extraArgs: string[] = [],
): Promise<BirdHandle> {
  const conf = join(net.dir, `${node}-${tag}.conf`);
  const socket = join(net.dir, `${node}-${tag}.ctl`);
  writeFileSync(conf, config);
  // -f: stay in the foreground, so the process is ours to kill.
  net.spawn(node, tag, flavour.daemon, ['-f', '-c', conf, '-s', socket, ...extraArgs]);
  const cli = async (command: string) => {
    const r = await net.exec(node, flavour.client, ['-s', socket, ...command.split(' ')]);
    if (r.code !== 0) throw new Error(`birdc ${command}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  await waitFor(
    `${tag} control socket`,
    async () => (await cli('show status')).includes('Daemon is up'),
    15_000,
  );
  const protocol = (name: string) => cli(`show protocols all ${name}`);
  return {
    socket,
    cli,
    protocol,
    waitEstablished: (name, timeoutMs = 30_000) =>
      waitFor(
        `${tag} ${name} Established`,
        async () => {
          const t = await protocol(name);
          return /BGP state:\s+Established/.test(t) ? t : undefined;
        },
        timeoutMs,
      ),
  };
}
