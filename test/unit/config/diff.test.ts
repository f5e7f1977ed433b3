import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { parseConfig } from '../../../src/config/load.js';

const base = `
router-id: 10.0.0.1
asn: 65000
policies:
  in-a: [{ name: all, then: accept }]
  out-a: [{ name: all, then: accept }]
neighbors:
  - { address: 10.0.0.2, asn: 65001, description: a, import: [in-a], export: [out-a] }
  - { address: 10.0.0.3, asn: 65002 }
listen-ranges:
  - { prefix: 10.1.0.0/24, asn: 64512 }
networks: [10.9.0.0/24, 10.9.1.0/24]
`;

const cfg = (text: string) => parseConfig(text);
/** The base config with one line replaced (keeps every test a one-line edit of a real file). */
const edit = (from: string, to: string) => {
  if (!base.includes(from)) throw new Error(`not in base: ${from}`);
  return cfg(base.replace(from, to));
};
const diff = (next: ReturnType<typeof cfg>) => diffConfig(cfg(base), next);

describe('diffConfig', () => {
  it('is empty for the same file', () => {
    const d = diff(cfg(base));
    expect(d.empty).toBe(true);
    expect([d.added, d.removed, d.changed, d.blocking, d.restartRequired]).toEqual([[], [], [], [], []]);
  });

  it('adds and removes neighbors by address (an address change is a remove plus an add)', () => {
    const d = diff(edit('address: 10.0.0.3', 'address: 10.0.0.4'));
    expect(d.added).toEqual(['10.0.0.4']);
    expect(d.removed).toEqual(['10.0.0.3']);
    expect(d.changed).toEqual([]);
  });

  it('resets on AS, port, source address, timers and capabilities, with the keys as reasons', () => {
    expect(diff(edit('asn: 65002 }', 'asn: 65009 }')).changed[0]).toMatchObject({
      address: '10.0.0.3',
      reset: ['asn'],
    });
    const d = diff(
      edit(
        'asn: 65002 }',
        'asn: 65002, port: 1179, source-address: 10.0.0.1, hold-time: 9, add-path: both, graceful-restart: false }',
      ),
    );
    expect(d.changed[0].reset).toEqual([
      'port',
      'source-address',
      'hold-time',
      'add-path',
      'graceful-restart',
    ]);
  });

  it('keeps the session for a description or connect-retry change', () => {
    const d = diff(edit('description: a,', 'description: b, connect-retry-time: 2,'));
    expect(d.changed).toEqual([
      {
        address: '10.0.0.2',
        reset: [],
        softIn: false,
        softOut: false,
        other: ['connect-retry-time', 'description'],
      },
    ]);
  });

  it('changes in defaults reach every neighbor that does not override them', () => {
    const d = diff(cfg(`${base}defaults: { hold-time: 30 }\n`));
    expect(d.changed.map((c) => [c.address, c.reset])).toEqual([
      ['10.0.0.2', ['hold-time']],
      ['10.0.0.3', ['hold-time']],
    ]);
    expect(d.ranges.changed.map((c) => [c.address, c.reset])).toEqual([['10.1.0.0/24', ['hold-time']]]);
  });

  it('an import or export chain change is a soft refresh in that direction only', () => {
    const d = diff(edit('import: [in-a]', 'import: [in-a, out-a]'));
    expect(d.changed).toEqual([{ address: '10.0.0.2', reset: [], softIn: true, softOut: false, other: [] }]);
    const e = diff(edit('export: [out-a]', 'export: []'));
    expect(e.changed[0]).toMatchObject({ softIn: false, softOut: true, reset: [] });
  });

  it('a change inside a policy refreshes the neighbors that use it, and only them', () => {
    const d = diff(edit('out-a: [{ name: all, then: accept }]', 'out-a: [{ name: all, then: reject }]'));
    expect(d.changed).toEqual([{ address: '10.0.0.2', reset: [], softIn: false, softOut: true, other: [] }]);
  });

  it('ebgp-requires-policy refreshes every neighbor both ways', () => {
    const d = diff(cfg(`${base}ebgp-requires-policy: true\n`));
    expect(d.changed.map((c) => [c.address, c.softIn, c.softOut])).toEqual([
      ['10.0.0.2', true, true],
      ['10.0.0.3', true, true],
    ]);
  });

  it('shutdown switches are reported with the new value', () => {
    const d = diff(edit('asn: 65002 }', 'asn: 65002, shutdown: true }'));
    expect(d.changed[0]).toMatchObject({ address: '10.0.0.3', shutdown: true, reset: [] });
  });

  it('refuses a new asn or router-id, and lists keys that wait for a restart', () => {
    const d = diff(
      cfg(base.replace('asn: 65000', 'asn: 65100').replace('router-id: 10.0.0.1', 'router-id: 1.1.1.1')),
    );
    expect(d.blocking).toEqual(['asn', 'router-id']);
    const r = diff(cfg(`${base}maximum-paths: 4\nlisten: { port: 1179 }\n`));
    expect(r.blocking).toEqual([]);
    expect(r.restartRequired).toEqual(['listen', 'maximum-paths']);
  });

  it('networks: added, removed and changed by prefix', () => {
    const d = diff(
      edit(
        'networks: [10.9.0.0/24, 10.9.1.0/24]',
        'networks: [{ prefix: 10.9.0.0/24, med: 5 }, 10.9.2.0/24]',
      ),
    );
    expect(d.networks).toEqual({
      added: ['10.9.2.0/24'],
      removed: ['10.9.1.0/24'],
      changed: ['10.9.0.0/24'],
    });
  });

  it('listen ranges by prefix: a new limit is applied without reset', () => {
    const d = diff(
      edit('{ prefix: 10.1.0.0/24, asn: 64512 }', '{ prefix: 10.1.0.0/24, asn: 64512, limit: 3 }'),
    );
    expect(d.ranges.changed).toEqual([
      { address: '10.1.0.0/24', reset: [], softIn: false, softOut: false, other: ['limit'] },
    ]);
    const e = diff(edit('prefix: 10.1.0.0/24', 'prefix: 10.2.0.0/24'));
    expect([e.ranges.added, e.ranges.removed]).toEqual([['10.2.0.0/24'], ['10.1.0.0/24']]);
  });
});
