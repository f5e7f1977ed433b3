import { describe, expect, it } from 'vitest';
import { chooseLogFormat, prettyLine } from '../../../src/cli/log-pretty.js';

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

  it('passes anything that is not JSON through unchanged', () => {
    expect(prettyLine('not json')).toBe('not json');
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
