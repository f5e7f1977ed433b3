import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { configErrors } from '../support/problems.js';

describe('config', () => {
  it('accepts the stable core and fills defaults', () => {
    const c = parseConfig(
      `router-id: 10.0.0.1
asn: 65001
listen: { address: 0.0.0.0, port: 1179 }
fib: false
api: { address: 127.0.0.1, port: 50179 }
metrics: { address: 127.0.0.1, port: 9179 }
neighbors:
  - address: 10.1.1.11
    asn: 64512
    description: node1-rr
    passive: false
    port: 179
`,
      'rack.yaml',
    );
    expect(c['router-id']).toBe('10.0.0.1');
    expect(c.listen).toEqual({ address: '0.0.0.0', port: 1179 });
    expect(c.neighbors[0]).toMatchObject({ address: '10.1.1.11', asn: 64512, description: 'node1-rr' });
    expect(c['listen-ranges']).toEqual([]);
    expect(Object.isFrozen(c.neighbors[0])).toBe(true);
  });

  it('names file, line, column and key of an unknown key', () => {
    const errs = configErrors(`router-id: 10.0.0.1
asn: 65001
neighbors:
  - address: 10.1.1.11
    asn: 64512
    pasive: true
`);
    expect(errs).toEqual([
      "rack.yaml:6:5: neighbors[0].pasive: unknown key 'pasive' (did you mean 'passive'?)",
    ]);
  });

  it('fib-method: auto by default, netlink or ip-batch, anything else named with its line', () => {
    const base = 'router-id: 10.0.0.1\nasn: 65001\nneighbors: []\n';
    expect(parseConfig(base, 'rack.yaml')['fib-method']).toBe('auto');
    expect(parseConfig(`${base}fib-method: ip-batch\n`, 'rack.yaml')['fib-method']).toBe('ip-batch');
    const errs = configErrors(`${base}fib-method: zebra\n`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^rack\.yaml:4:13: fib-method: .*auto.*netlink.*ip-batch/);
  });

  it('names the line of a bad value and of a missing key', () => {
    const errs = configErrors(`router-id: 10.0.0.300
asn: 65001
neighbors:
  - address: 10.1.1.11
`);
    expect(errs).toEqual([
      'rack.yaml:1:12: router-id: must be an IPv4 address',
      "rack.yaml:4:5: neighbors[0]: missing 'asn' (a number or one of internal, external)",
    ]);
  });

  it('rejects a hold time of 1 or 2 seconds (RFC 4271 §4.2)', () => {
    const errs = configErrors(`router-id: 10.0.0.1
asn: 65001
neighbors:
  - { address: 10.1.1.11, asn: 64512, hold-time: 2 }
`);
    expect(errs[0]).toMatch(/rack\.yaml:4:\d+: neighbors\[0\]\.hold-time: must be 0 or at least 3/);
  });

  it('reports YAML syntax errors with their position', () => {
    const errs = configErrors('router-id: 10.0.0.1\nasn: [65001\n');
    expect(errs[0]).toMatch(/^rack\.yaml:\d+:\d+: /);
  });

  it('names the use of an undefined policy', () => {
    const errs = configErrors(`router-id: 10.0.0.1
asn: 65001
policies:
  from-rack: [{ name: all, then: accept }]
neighbors:
  - address: 10.1.1.11
    asn: 64512
    import: [from-rack, from-rak]
`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^rack\.yaml:8:25: neighbors\[0\]\.import\[1\]: unknown policy 'from-rak'/);
  });
});
