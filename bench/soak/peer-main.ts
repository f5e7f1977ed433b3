/**
 * A raw peer process for the keepalive run, in the peers' namespace: `--mode sink` counts the
 * prefixes announced to it and reports when `--expect` is reached; `--mode probe` reports the
 * arrival time of every KEEPALIVE. JSON lines on stdout, CLOCK_MONOTONIC milliseconds (`t`), shared
 * with the driver: established, first-update, done {prefixes}, keepalive, closed {why}.
 */
import { MessageType } from '../../src/wire/index.js';
import { announcedPrefixes, encodeWire, now, RawSession } from './peer.js';

const arg = (name: string, dflt?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`peer: --${name} is required`);
  return v;
};
const report = (o: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...o, t: now() })}\n`);

const mode = arg('mode');
const source = arg('source');
const hold = Number(arg('hold', '90'));
const expect = Number(arg('expect', '0'));
let prefixes = 0;

const wire = encodeWire({
  asn: Number(arg('asn')),
  routerId: source,
  hold,
  nextHop: source,
  routes: 0,
  firstOctet: 0,
});
new RawSession(
  wire,
  { host: arg('target'), port: 179, localAddress: source },
  {
    established: () => report({ event: 'established' }),
    message: (type, frame) => {
      if (mode === 'probe' && type === MessageType.KEEPALIVE) report({ event: 'keepalive' });
      if (mode === 'sink' && type === MessageType.UPDATE) {
        if (prefixes === 0) report({ event: 'first-update' });
        const before = prefixes;
        prefixes += announcedPrefixes(frame);
        if (before < expect && prefixes >= expect) report({ event: 'done', prefixes });
      }
    },
    closed: (why) => {
      report({ event: 'closed', why, prefixes });
      process.exit(0);
    },
  },
  hold,
);
process.on('SIGTERM', () => {
  report({ event: 'stopped', prefixes });
  process.exit(0);
});
