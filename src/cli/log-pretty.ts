/**
 * `--log-format pretty`: pino's JSON lines made readable for a terminal without pino-pretty (which
 * would add a dozen dependencies): "HH:MM:SS.mmm LEVEL message key=value ...". Pure line formatter
 * plus a stream that applies it, and the choice of format (pretty by default on a terminal).
 * Levels are coloured on a terminal unless NO_COLOR is set (https://no-color.org).
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
/** ANSI SGR colour per level: grey, cyan, green, yellow, red, red on white. */
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '31;47' };
const paint = (sgr: string, text: string) => `\x1b[${sgr}m${text}\x1b[0m`;
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

const value = (v: unknown): string =>
  typeof v === 'string' ? (/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v) : JSON.stringify(v);

/**
 * One pino JSON line → one readable line (a line that is not JSON is returned as it is); with
 * `colour`, the level in its colour and the field names dim.
 */
export function prettyLine(line: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const name = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const sgr = COLOURS[o.level as number];
  const level = colour && sgr ? paint(sgr, name) : name;
  const fields = Object.entries(o)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${colour ? paint('2', `${k}=`) : `${k}=`}${value(v)}`);
  return [time, level, String(o.msg ?? ''), ...fields].filter(Boolean).join(' ');
}

/** `--log-format` when given; otherwise pretty on a terminal and JSON lines elsewhere (files, pipes). */
export function chooseLogFormat(given: 'json' | 'pretty' | undefined, isTTY: boolean): 'json' | 'pretty' {
  return given ?? (isTTY ? 'pretty' : 'json');
}

/** Colour when writing to a terminal and NO_COLOR is unset or empty. */
export function useColour(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && !env.NO_COLOR;
}

/** A destination for pino that writes pretty lines to `out` (coloured on a terminal, see useColour). */
export function prettyStream(
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
  colour = useColour(out.isTTY === true, process.env),
): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l) out.write(`${prettyLine(l, colour)}\n`);
      done();
    },
  });
}
