/** The `bfd` key of neighbors, `defaults` and listen-range templates: accepted forms, file:line errors. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { bfdSettings } from '../../../src/core/bfd-link.js';
import { mergeSettings } from '../../../src/session/neighbor-config.js';
import { configErrors } from '../support/problems.js';

const HEAD = 'router-id: 10.0.0.1\nasn: 65001\n';
describe('config: bfd', () => {
  it('takes true, the timers, defaults and listen-range templates; a neighbor overrides defaults', () => {
    const c = parseConfig(
      `${HEAD}defaults: { bfd: { min-rx: 100, min-tx: 200, multiplier: 5 } }
neighbors:
  - { address: 10.0.0.2, asn: 65002 }
  - { address: 10.0.0.3, asn: 65002, bfd: false }
  - { address: 10.0.0.4, asn: 65002, bfd: { multihop: true, hold-bgp: false } }
listen-ranges:
  - { prefix: 10.1.0.0/24, asn: external, bfd: true }
`,
      'rack.yaml',
    );
    const of = (i: number) => bfdSettings(mergeSettings(c, c.neighbors[i]));
    expect(of(0)).toEqual({ minRxMs: 100, minTxMs: 200, multiplier: 5, multihop: false, holdBgp: true });
    expect(of(1)).toBeNull();
    expect(of(2)).toEqual({ minRxMs: 300, minTxMs: 300, multiplier: 3, multihop: true, holdBgp: false });
    expect(bfdSettings(mergeSettings(c, c['listen-ranges'][0]))).toMatchObject({
      minRxMs: 300,
      multiplier: 3,
    });
  });

  it('says what is wrong, where', () => {
    expect(
      configErrors(`${HEAD}defaults:
  bfd: { min-rx: 5 }
neighbors:
  - address: 10.0.0.2
    asn: 65001
    bfd: { multiplier: 0, hold: true }
  - { address: 10.0.0.3, asn: 65001, bfd: yes }
`),
    ).toEqual([
      'rack.yaml:4:18: defaults.bfd.min-rx: must be at least 10, got the number 5',
      'rack.yaml:8:24: neighbors[0].bfd.multiplier: must be at least 1, got the number 0',
      "rack.yaml:8:27: neighbors[0].bfd.hold: unknown key 'hold'",
      'rack.yaml:9:43: neighbors[1].bfd: expected true or false, or a mapping (key: value), got the string "yes"',
    ]);
  });
});
