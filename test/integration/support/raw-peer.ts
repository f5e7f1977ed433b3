/**
 * A scripted raw TCP "peer" run with `ip netns exec` from a configured (or unknown) address: it
 * connects, sends hand-written bytes, can wait for a number of BGP messages first, and reports
 * every byte it received until the other end closed. The test decodes those bytes with src/wire.
 */
import {
  type BgpError,
  decodeMessage,
  Framer,
  INITIAL_CONTEXT,
  type Message,
  type UpdateContext,
} from '../../../src/wire/index.js';
import type { TestNet } from './netns.js';

export type RawStep =
  | { readonly send: string }
  /** Waits until this many BGP messages (in total) have arrived. */
  | { readonly awaitMessages: number };

export interface RawResult {
  readonly received: Buffer;
  /** The other end closed (FIN or RST) before the deadline. */
  readonly closed: boolean;
  readonly error?: string;
  /** Milliseconds from connect to close (or to the deadline). */
  readonly elapsedMs: number;
}

// Runs in the namespace under `node -e`; CommonJS, no imports from the project.
const CLIENT = `
const net = require('node:net');
const [host, port, localAddress, stepsJson, deadlineMs] = process.argv.slice(1);
const steps = JSON.parse(stepsJson);
let buf = Buffer.alloc(0), closed = false, error, t0 = Date.now(), waiting = null;
const messages = () => { let n = 0, o = 0;
  while (buf.length - o >= 19) { const l = buf.readUInt16BE(o + 16); if (l < 19 || buf.length - o < l) break; o += l; n++; }
  return n; };
const done = () => { process.stdout.write(JSON.stringify({ received: buf.toString('hex'), closed, error, elapsedMs: Date.now() - t0 })); process.exit(0); };
const sock = net.connect({ host, port: Number(port), localAddress: localAddress || undefined });
sock.on('data', (d) => { buf = Buffer.concat([buf, d]); if (waiting && messages() >= waiting.n) { const w = waiting; waiting = null; w.resolve(); } });
sock.on('error', (e) => { error = e.message; });
sock.on('close', () => { closed = true; done(); });
setTimeout(done, Number(deadlineMs));
sock.on('connect', async () => {
  t0 = Date.now();
  for (const s of steps) {
    if (s.send !== undefined) sock.write(Buffer.from(s.send, 'hex'));
    else if (messages() < s.awaitMessages) await new Promise((resolve) => { waiting = { n: s.awaitMessages, resolve }; });
  }
});
`;

/** Hex with spaces, newlines and `#` comments (annotated fixtures) → plain hex. */
export const hex = (annotated: string) => annotated.replace(/#.*$/gm, '').replace(/\s/g, '');

export async function rawPeer(
  net: TestNet,
  node: string,
  target: { host: string; port?: number; localAddress?: string },
  steps: readonly RawStep[],
  deadlineMs = 10_000,
): Promise<RawResult> {
  const wire = steps.map((s) => ('send' in s ? { send: hex(s.send) } : s));
  const r = await net.exec(
    node,
    process.execPath,
    [
      '-e',
      CLIENT,
      target.host,
      String(target.port ?? 179),
      target.localAddress ?? '',
      JSON.stringify(wire),
      String(deadlineMs),
    ],
    deadlineMs + 10_000,
  );
  if (r.code !== 0) throw new Error(`raw peer failed: ${r.stderr || r.stdout}`);
  const out = JSON.parse(r.stdout) as {
    received: string;
    closed: boolean;
    error?: string;
    elapsedMs: number;
  };
  return { ...out, received: Buffer.from(out.received, 'hex') };
}

/** Splits and decodes what a raw peer received (our OPEN's context: no 4-octet AS or ADD-PATH yet). */
export function decodeReceived(bytes: Uint8Array, ctx: UpdateContext = INITIAL_CONTEXT): Message[] {
  const framer = new Framer(65535);
  framer.push(bytes);
  const out: Message[] = [];
  for (;;) {
    const frame = framer.next();
    if (frame === null) break;
    if (!(frame instanceof Uint8Array))
      throw new Error(`bad framing from rackbgp: ${(frame as BgpError).message}`);
    const r = decodeMessage(frame, ctx, 65535);
    if (!r.ok) throw new Error(`rackbgp sent an undecodable message: ${r.error.message}`);
    out.push(r.message);
  }
  if (framer.buffered) throw new Error(`${framer.buffered} trailing octets after the last message`);
  return out;
}
