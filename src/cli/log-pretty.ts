/**
 * `--log-format pretty`: pino's JSON lines made readable for a terminal without pino-pretty (which
 * would add a dozen dependencies): "HH:MM:SS.mmm LEVEL message key=value ...". Pure line formatter
 * plus a stream that applies it, and the choice of format (pretty by default on a terminal).
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

const value = (v: unknown): string =>
  typeof v === 'string' ? (/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v) : JSON.stringify(v);

/** One pino JSON line → one readable line (a line that is not JSON is returned as it is). */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const fields = Object.entries(o)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return [time, level, String(o.msg ?? ''), ...fields].filter(Boolean).join(' ');
}

/** `--log-format` when given; otherwise pretty on a terminal and JSON lines elsewhere (files, pipes). */
export function chooseLogFormat(given: 'json' | 'pretty' | undefined, isTTY: boolean): 'json' | 'pretty' {
  return given ?? (isTTY ? 'pretty' : 'json');
}

/** A destination for pino that writes pretty lines to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l) out.write(`${prettyLine(l)}\n`);
      done();
    },
  });
}
