import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, prettyLine, prettyStream, useColour } from '../../../src/cli/log-pretty.js';

describe('--log-format pretty', () => {
  it('turns a pino line into time, level, message and key=value fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      pid: 7,
      peer: '10.0.0.2',
      reason: 'hold timer expired',
      code: 4,
      params: { holdTime: 9 },
      msg: 'session down',
    });
    expect(prettyLine(line)).toBe(
      '03:04:05.678 WARN  session down peer=10.0.0.2 reason="hold timer expired" code=4 params={"holdTime":9}',
    );
  });

  it('colours the level and dims the field names when asked', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const line = (level: number) => JSON.stringify({ level, time: at, peer: '10.0.0.2', msg: 'm' });
    expect(prettyLine(line(40), true)).toBe(
      '03:04:05.678 \x1b[33mWARN \x1b[0m m \x1b[2mpeer=\x1b[0m10.0.0.2',
    );
    expect(prettyLine(line(50), true)).toContain('\x1b[31mERROR\x1b[0m');
    expect(prettyLine(line(30), true)).toContain('\x1b[32mINFO \x1b[0m');
    expect(prettyLine(line(20), true)).toContain('\x1b[36mDEBUG\x1b[0m');
    expect(prettyLine(line(40))).not.toContain('\x1b');
  });

  it('passes anything that is not JSON through unchanged', () => {
    expect(prettyLine('not json')).toBe('not json');
  });
});

describe('colour', () => {
  it('on a terminal unless NO_COLOR is set (and not empty)', () => {
    expect(useColour(true, {})).toBe(true);
    expect(useColour(true, { NO_COLOR: '' })).toBe(true);
    expect(useColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(false, {})).toBe(false);
  });

  it('the stream colours only when told, and splits chunks into lines', async () => {
    const run = async (colour: boolean) => {
      const out = new PassThrough();
      const chunks: string[] = [];
      out.on('data', (d: Buffer) => chunks.push(d.toString()));
      const s = prettyStream(out, colour);
      const line = JSON.stringify({ level: 30, time: 0, msg: 'up' });
      s.write(line.slice(0, 10));
      s.write(`${line.slice(10)}\n`);
      await new Promise<void>((r) => s.end(r));
      return chunks.join('');
    };
    expect(await run(false)).toBe('00:00:00.000 INFO  up\n');
    expect(await run(true)).toBe('00:00:00.000 \x1b[32mINFO \x1b[0m up\n');
  });
});

describe('log format choice', () => {
  it('pretty on a terminal, JSON otherwise, unless --log-format says', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });
});
