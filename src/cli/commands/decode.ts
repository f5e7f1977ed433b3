/**
 * `rackbgp decode`: BGP messages from hex (arguments or stdin lines), from a pcap/pcapng file
 * (TCP port 179 reassembled both ways) or from an MRT file (RFC 6396: BGP4MP messages, TABLE_DUMP_V2
 * RIB entries) to NDJSON records, one per message (docs/decode.md).
 * Malformed messages are records too (exit 0); unreadable input is a usage error (exit 2).
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeMrt, looksLikeMrt, mrtBytes } from '../../decode/decode-mrt.js';
import {
  DEFAULT_CONTEXT,
  type DecodeContext,
  type DecodeRecord,
  decodeCapture,
  decodeHexMessages,
  orderRecord,
} from '../../decode/decode-stream.js';
import { isCapture } from '../../pcap/pcap-reader.js';
import { fromHex } from '../../util/ip.js';
import { familyFromName, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../../wire/index.js';

interface DecodeOptions {
  pcap?: string;
  mrt?: string;
  port: number;
  fourOctetAs?: boolean;
  addPath: string[];
  extendedMessage?: boolean;
  pretty?: boolean;
}

/** Thrown for input the command cannot use; reported on stderr with exit status 2. */
class InputError extends Error {}

const USAGE_ERROR = 2;

export function decodeCommand(): Command {
  return new Command('decode')
    .description('decode BGP messages (hex arguments, hex lines on stdin, or --pcap) to NDJSON')
    .argument('[hex...]', 'one BGP message per argument, in hex (spaces and colons allowed)')
    .option('--pcap <file>', 'read TCP streams from a pcap or pcapng capture')
    .option('--mrt <file>', 'read an MRT file (RFC 6396, gzip too): BGP4MP messages and RIB dumps')
    .addOption(
      new Option('--port <n>', 'TCP port of the BGP streams in the capture').default(179).argParser(port),
    )
    .option('--four-octet-as', 'decode as a session that negotiated 4-octet AS numbers (RFC 6793)')
    .addOption(
      new Option(
        '--add-path <family>',
        'ADD-PATH path ids are present for FAMILY, e.g. ipv4-unicast (repeatable)',
      )
        .default([])
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .option('--extended-message', 'allow messages up to 65535 octets (RFC 8654)')
    .option('--pretty', 'indent each JSON object over several lines')
    .addHelpText(
      'after',
      `
Without --four-octet-as/--add-path/--extended-message, hex input follows its OPENs (the peer is
assumed to send the same OPEN) and a capture follows the OPENs of each TCP stream; the flags set
the context for messages before both OPENs of a stream were seen.`,
    )
    .action(async (hex: string[], opts: DecodeOptions) => {
      try {
        const records = await run(hex, opts);
        await print(records, opts.pretty === true);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        process.stderr.write(`rackbgp decode: ${e.message}\n`);
        process.exitCode = USAGE_ERROR;
      }
    });
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('not a TCP port (1-65535).');
  return n;
}

function fallbackContext(opts: DecodeOptions): DecodeContext | undefined {
  if (!opts.fourOctetAs && opts.addPath.length === 0 && !opts.extendedMessage) return undefined;
  let families: Set<number>;
  try {
    families = new Set(opts.addPath.map(familyFromName));
  } catch (e) {
    throw new InputError(`--add-path: ${(e as Error).message} (try ipv4-unicast or ipv6-unicast)`);
  }
  return {
    ctx: { fourOctetAs: opts.fourOctetAs === true, addPathRx: families, addPathTx: families },
    maxLength: opts.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH,
  };
}

async function run(hex: string[], opts: DecodeOptions): Promise<DecodeRecord[]> {
  const fixed = fallbackContext(opts);
  if (opts.mrt !== undefined) {
    if (hex.length || opts.pcap !== undefined)
      throw new InputError('give either hex messages, --pcap or --mrt');
    return decodeMrtFile(opts.mrt);
  }
  if (opts.pcap !== undefined) {
    if (hex.length) throw new InputError('give either hex messages or --pcap, not both');
    return decodePcap(opts.pcap, opts.port, fixed ?? DEFAULT_CONTEXT);
  }
  const inputs = hex.length ? hex.map((h, i) => parseHex(h, `argument ${i + 1}`)) : await stdinMessages();
  return decodeHexMessages(inputs, fixed ? { fixed } : {});
}

function parseHex(text: string, where: string): Uint8Array {
  try {
    return fromHex(text);
  } catch {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new InputError(`${where} is not hex: ${JSON.stringify(shown)}`);
  }
}

async function stdinMessages(): Promise<Uint8Array[]> {
  if (process.stdin.isTTY)
    process.stderr.write('rackbgp decode: reading hex messages from stdin (Ctrl-D ends)\n');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const out: Uint8Array[] = [];
  Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .forEach((line, i) => {
      // One message per line; '#' starts a comment; blank lines are ignored.
      const text = line.replace(/#.*/, '').trim();
      if (text) out.push(parseHex(text, `stdin line ${i + 1}`));
    });
  return out;
}

async function decodeMrtFile(file: string): Promise<DecodeRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = mrtBytes(await readFile(file));
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.length && !looksLikeMrt(bytes)) throw new InputError(`${file} is not an MRT file`);
  const { records, skipped } = decodeMrt(bytes);
  for (const [k, n] of skipped)
    process.stderr.write(`rackbgp decode: warning: ${n} ${k} record(s) not decoded\n`);
  return records;
}

async function decodePcap(file: string, port: number, fallback: DecodeContext): Promise<DecodeRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!isCapture(bytes)) throw new InputError(`${file} is not a pcap or pcapng file`);
  const { records, issues, connections } = decodeCapture(bytes, { port, fallback });
  for (const i of issues) process.stderr.write(`rackbgp decode: warning: ${i}\n`);
  if (connections === 0) process.stderr.write(`rackbgp decode: no TCP port ${port} traffic in ${file}\n`);
  return records;
}

async function print(records: DecodeRecord[], pretty: boolean): Promise<void> {
  const lines = records.map((r) => JSON.stringify(orderRecord(r), null, pretty ? 2 : undefined));
  const text = lines.length ? `${lines.join('\n')}\n` : '';
  // A closed pipe (rackbgp decode … | head) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (e) => {
      if (e && (e as NodeJS.ErrnoException).code !== 'EPIPE') reject(e);
      else resolve();
    });
  });
}
