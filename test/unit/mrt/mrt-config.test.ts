/** The `mrt:` and `bmp:` config keys: defaults, file:line:col errors; file-name time patterns. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { expandFileName } from '../../../src/mrt/table-dump.js';

const base = 'router-id: 10.0.0.1\nasn: 65001\n';
const problems = (yaml: string): string[] => {
  try {
    parseConfig(base + yaml, 'rack.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
};

describe('mrt: and bmp: config', () => {
  it('fills the defaults', () => {
    const c = parseConfig(
      `${base}mrt: { file: /var/tmp/u.mrt }\nbmp: [{ address: 10.0.0.9, port: 11019 }]\n`,
    );
    expect(c.mrt).toEqual({ file: '/var/tmp/u.mrt', interval: 0, rotate: 0, messages: [] });
    expect(c.bmp).toEqual([
      { address: '10.0.0.9', port: 11019, 'statistics-interval': 60, 'buffer-size': 16 << 20 },
    ]);
  });

  it('names file, line and column of each mistake', () => {
    expect(problems('mrt: { file: /x/u.mrt, rotate: 60 }\n')).toEqual([
      expect.stringMatching(/^rack\.yaml:3:32: mrt\.rotate: rotate needs a time in the file name/),
    ]);
    expect(problems('mrt: { file: /x.mrt, messages: [10.0.0.300] }\n')[0]).toMatch(
      /^rack\.yaml:3:\d+: mrt\.messages.*: must be an IPv4 or IPv6 address/,
    );
    expect(problems('bmp: [{ address: 10.0.0.9 }]\n')[0]).toMatch(
      /^rack\.yaml:3:7: bmp\[0\]: missing 'port'/,
    );
    expect(problems('bmp: [{ address: 10.0.0.9, port: 1, buffer: 5 }]\n')[0]).toMatch(/bmp\[0\].*buffer/);
  });

  it('expands %Y %m %d %H %M %S in UTC', () => {
    expect(expandFileName('/d/updates.%Y%m%d.%H%M%S.mrt', Date.UTC(2026, 0, 2, 3, 4, 5))).toBe(
      '/d/updates.20260102.030405.mrt',
    );
    expect(expandFileName('/d/100%%.mrt', 0)).toBe('/d/100%.mrt');
  });
});
