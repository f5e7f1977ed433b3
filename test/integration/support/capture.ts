/**
 * Packet captures inside a test namespace: tcpdump writing a pcap in the test dir (started and
 * stopped by PID), and tshark field extraction (`-T fields`) as an independent reading of it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TestNet, waitFor } from './netns.js';

export interface Capture {
  readonly file: string;
  /** Stops tcpdump (SIGTERM flushes the file) and returns the pcap path. */
  stop(): Promise<string>;
}

/** Starts tcpdump on `iface` in `node` and waits until it is listening. */
export async function runTcpdump(
  net: TestNet,
  node: string,
  iface: string,
  filter: string,
): Promise<Capture> {
  const file = join(net.dir, `${node}-${iface}-${Date.now()}.pcap`);
  // -U: write each packet as it comes, so the file is whole when we stop it.
  const { child, log } = net.spawn(node, `tcpdump-${iface}`, '/usr/bin/tcpdump', [
    '-n',
    '-U',
    '-s',
    '0',
    '-i',
    iface,
    '-w',
    file,
    filter,
  ]);
  await waitFor(
    'tcpdump listening',
    async () => readFileSync(log, 'utf8').includes('listening on'),
    10_000,
    50,
  );
  return {
    file,
    stop: async () => {
      await net.kill(child, 'SIGTERM');
      return file;
    },
  };
}

/** One row per BGP message tshark dissected: the requested fields, each split on ','. */
export async function tsharkFields(
  file: string,
  displayFilter: string,
  fields: string[],
): Promise<string[][][]> {
  const { stdout } = await promisify(execFile)(
    'tshark',
    [
      '-r',
      file,
      '-n',
      '-Y',
      displayFilter,
      '-T',
      'fields',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { maxBuffer: 256 << 20 },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t').map((v) => (v ? v.split(',') : [])));
}
