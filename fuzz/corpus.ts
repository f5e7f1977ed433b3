/**
 * The seed corpus: every UPDATE in the capture fixtures (BIRD 1/2, FRR, GoBGP, ExaBGP sessions in
 * test/fixtures/captures), split by the header length alone and parsed by build.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../src/pcap/pcap-reader.js';
import { contiguousRuns, reassemble } from '../src/pcap/tcp-streams.js';
import { concat, parseUpdate, type UpdateParts } from './build.js';

export function loadCorpus(dir: string): UpdateParts[] {
  const out: UpdateParts[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
    const { connections } = reassemble(readCapture(readFileSync(join(dir, f))).packets);
    for (const c of connections)
      for (const d of c.directions)
        for (const run of contiguousRuns(d)) {
          const stream = concat(run.chunks.map((ch) => ch.data));
          for (let off = 0; off + 19 <= stream.length; ) {
            const len = (stream[off + 16] << 8) | stream[off + 17];
            if (len < 19 || off + len > stream.length) break;
            const u = stream[off + 18] === 2 ? parseUpdate(stream.subarray(off, off + len)) : null;
            if (u && (u.nlri.length || u.attrs.length)) out.push(u);
            off += len;
          }
        }
  }
  return out;
}
