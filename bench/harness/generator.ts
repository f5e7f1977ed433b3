/**
 * The route generator, run inside its namespace with `ip netns exec node generator.js`: connects
 * to the DUT, does the OPEN/KEEPALIVE handshake (RFC 4271 §8, 4-octet AS, IPv4 unicast), and at
 * Established writes a pre-encoded UPDATE stream straight into the socket; then keeps the session
 * up with KEEPALIVEs and reads (and drops) what the DUT sends. "send FILE" on stdin writes another
 * stream. Reports JSON lines on stdout with CLOCK_MONOTONIC milliseconds (shared by all processes).
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import {
  decodeMessage,
  encodeMessage,
  Framer,
  INITIAL_CONTEXT,
  IPV4_UNICAST,
  KEEPALIVE,
  MessageType,
  makeOpen,
} from '../../src/wire/index.js';

const arg = (name: string, dflt?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`generator: --${name} is required`);
  return v;
};

const now = () => Number(process.hrtime.bigint()) / 1e6;
const report = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const asn = Number(arg('asn'));
const hold = Number(arg('hold', '240'));
const initial = readFileSync(arg('stream'));
const sock = connect({ host: arg('connect'), port: 179, localAddress: arg('local') });
sock.setNoDelay(true);

const open = makeOpen({
  asn,
  holdTime: hold,
  routerId: arg('router-id'),
  capabilities: [
    { kind: 'multiprotocol', family: IPV4_UNICAST },
    { kind: 'route-refresh' },
    { kind: 'four-octet-as', asn },
  ],
});
const keepalive = encodeMessage(KEEPALIVE, INITIAL_CONTEXT);
const framer = new Framer(65535);
let state: 'open-sent' | 'open-confirm' | 'established' = 'open-sent';
let received = 0;

/** Writes a stream; reports when the kernel has taken the last octet. */
function send(bytes: Uint8Array, what: string): void {
  const t0 = now();
  sock.write(bytes, () => report({ event: 'written', what, t0, t1: now(), octets: bytes.length }));
}

sock.on('connect', () => {
  report({ event: 'connected', t: now() });
  sock.write(encodeMessage(open, INITIAL_CONTEXT));
});

sock.on('data', (chunk: Buffer) => {
  received += chunk.length;
  framer.push(chunk);
  for (;;) {
    const frame = framer.next();
    if (frame === null) return;
    if (!(frame instanceof Uint8Array)) fail(`framing: ${frame.message}`);
    else onMessage(frame);
  }
});

function onMessage(frame: Uint8Array): void {
  const type = frame[18];
  if (type === MessageType.OPEN && state === 'open-sent') {
    const r = decodeMessage(frame, INITIAL_CONTEXT, 4096);
    if (!r.ok || r.message.type !== 'open') fail('bad OPEN from the DUT');
    // The stream was encoded for a 4-octet-AS session (RFC 6793): the DUT must offer it too.
    if (!r.message.capabilities.some((c) => c.kind === 'four-octet-as'))
      fail('the DUT did not offer 4-octet AS');
    const negotiated = Math.min(hold, r.message.holdTime);
    if (negotiated > 0) setInterval(() => sock.write(keepalive), (negotiated / 3) * 1000).unref();
    sock.write(keepalive);
    state = 'open-confirm';
  } else if (type === MessageType.KEEPALIVE && state === 'open-confirm') {
    state = 'established';
    report({ event: 'established', t: now() });
    send(initial, 'initial');
  } else if (type === MessageType.NOTIFICATION) {
    fail(`NOTIFICATION ${frame[19]}/${frame[20]} from the DUT`);
  }
}

function fail(why: string): never {
  report({ event: 'error', why, t: now() });
  process.exit(1);
}

sock.on('error', (e) => fail(`socket: ${e.message}`));
sock.on('close', () => fail(`the DUT closed the session (${received} octets received)`));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, file] = line.trim().split(/\s+/);
  if (cmd === 'send' && file && state === 'established') send(readFileSync(file), file);
  else if (cmd === 'stats') report({ event: 'stats', received, t: now() });
});
