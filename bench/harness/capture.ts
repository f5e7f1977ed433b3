/**
 * Counts the UPDATE messages the sink received: tcpdump on the sink's link from before the DUT↔sink
 * session starts (so the SYN/ACK gives the stream start), then the DUT→sink TCP stream reassembled
 * with src/pcap and walked message by message (RFC 4271 §4.1 header length). BIRD has no per-message
 * counters (its "Import updates" count routes), so the wire is the one count that means the same
 * for every DUT. Empty UPDATEs (End-of-RIB) are not counted; a message counts in the window its
 * first octet arrived in.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/pcap/pcap-reader.js';
import { reassemble } from '../../src/pcap/tcp-streams.js';
import { type BenchNet, sleep, waitFor } from './netns.js';

export interface UpdateCount {
  /** Non-empty UPDATEs whose first octet arrived at or after the window start. */
  readonly updates: number;
  /** Octets of those UPDATEs. */
  readonly octets: number;
  /** Octets tcpdump missed (kernel drops): the count is then a lower bound. */
  readonly missing: number;
}

export class SinkCapture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly file: string,
    private readonly log: string,
  ) {}

  /** Starts tcpdump in `node` on `dev` for traffic from `from` (to `to`, or anyone) on port 179. */
  static async start(
    net: BenchNet,
    node: string,
    dev: string,
    from: string,
    to?: string,
  ): Promise<SinkCapture> {
    const file = join(net.dir, `${node}-${dev}.pcap`);
    const filter = `tcp port 179 and src host ${from}${to ? ` and dst host ${to}` : ''}`;
    const { child, log } = net.spawn(node, 'tcpdump', 'tcpdump', [
      '-i',
      dev,
      '-n',
      '-s',
      '0',
      '-U',
      // Without immediate mode packets wait in the ring for its block timeout and are lost on SIGINT.
      '--immediate-mode',
      '-B',
      '131072',
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
    return new SinkCapture(child, file, log);
  }

  /** Stops tcpdump and counts UPDATEs from `fromRealMs` (wall clock, as pcap timestamps are). */
  /** UPDATEs (not End-of-RIB) that began at or after `fromRealMs` (and before `toRealMs` when given). */
  async count(fromRealMs: number, toRealMs = Number.POSITIVE_INFINITY): Promise<UpdateCount> {
    await sleep(300);
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGINT');
    await exited;
    const dropped = /(\d+) packets? dropped by kernel/.exec(readFileSync(this.log, 'utf8'));
    const r = reassemble(readCapture(readFileSync(this.file)).packets);
    let updates = 0;
    let octets = 0;
    let missing = dropped && Number(dropped[1]) > 0 ? 1 : 0;
    for (const c of r.connections) {
      for (const d of c.directions) {
        missing += d.gaps.reduce((s, g) => s + g.length, 0);
        if (!d.chunks.length) continue;
        const total = d.chunks.reduce((s, ch) => s + ch.data.length, 0);
        const bytes = new Uint8Array(total);
        const starts: number[] = [];
        const times: number[] = [];
        let o = 0;
        for (const ch of d.chunks) {
          bytes.set(ch.data, o);
          starts.push(o);
          times.push(ch.time ? ch.time.sec * 1000 + ch.time.nsec / 1e6 : 0);
          o += ch.data.length;
        }
        let k = 0;
        for (let p = 0; p + 19 <= total; ) {
          const len = (bytes[p + 16] << 8) | bytes[p + 17];
          if (len < 19) break;
          while (k + 1 < starts.length && starts[k + 1] <= p) k++;
          // 23 octets: an UPDATE without withdrawn routes, attributes or NLRI (IPv4 End-of-RIB).
          if (bytes[p + 18] === 2 && len > 23 && times[k] >= fromRealMs && times[k] < toRealMs) {
            updates++;
            octets += len;
          }
          p += len;
        }
      }
    }
    return { updates, octets, missing };
  }
}

/** Wall-clock milliseconds matching a CLOCK_MONOTONIC reading of this process. */
export function monoToReal(monoMs: number): number {
  return monoMs + (Date.now() - Number(process.hrtime.bigint()) / 1e6);
}
