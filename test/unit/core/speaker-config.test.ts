/** The Speaker takes validated configs only, and says so instead of failing deep inside with a TypeError. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { Speaker } from '../../../src/core/speaker.js';

const raw = { 'router-id': '10.0.0.1', asn: 65001, fib: false };

describe('Speaker construction', () => {
  it('refuses a raw object with a message naming the way in', () => {
    expect(() => new Speaker(raw as unknown as Config)).toThrow(
      'new Speaker() takes a validated config: use Speaker.fromConfig(object) or loadConfig(file)',
    );
  });

  it('refuses a copy of a validated config (it may have been edited)', () => {
    const c = parseConfig('router-id: 10.0.0.1\nasn: 65001\nfib: false\n');
    expect(() => new Speaker({ ...c, asn: 65002 })).toThrow(/new Speaker\(\) takes a validated config/);
    expect(() => Speaker.fromConfig(raw).reconfigure({ ...c })).toThrow(
      /reconfigure\(\) takes a validated config/,
    );
  });

  it('accepts what parseConfig and fromConfig return; fromConfig reports problems as a ConfigError', () => {
    expect(new Speaker(parseConfig('router-id: 10.0.0.1\nasn: 65001\nfib: false\n')).config.asn).toBe(65001);
    expect(Speaker.fromConfig(raw).config.listen).toEqual({ address: '0.0.0.0', port: 179 });
    expect(() => Speaker.fromConfig({ ...raw, asn: '65001' } as never)).toThrow(ConfigError);
    expect(() => Speaker.fromConfig({ ...raw, asn: '65001' } as never)).toThrow(
      'asn: expected a number, got the string "65001"',
    );
  });
});
