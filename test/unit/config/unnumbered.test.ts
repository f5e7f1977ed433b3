/**
 * Unnumbered and link-local neighbors in the config: `interface:` or `address: fe80::…%eth1`,
 * `asn: internal | external`, `extended-next-hop`, each mistake with its file:line:col.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { neighborKey } from '../../../src/config/schema.js';
import { configErrors } from '../support/problems.js';

const HEAD = 'router-id: 10.0.0.1\nasn: 65001\n';

describe('unnumbered neighbors', () => {
  it('accepts a neighbor by interface or by zoned link-local address, with asn external/internal', () => {
    const c = parseConfig(
      `${HEAD}neighbors:\n  - { interface: eth1, asn: external }\n  - { address: fe80::1%eth2, asn: internal, extended-next-hop: false }\n  - { address: 10.0.0.2, asn: 65002 }\n`,
      'rack.yaml',
    );
    expect(c.neighbors.map(neighborKey)).toEqual(['eth1', 'fe80::1%eth2', '10.0.0.2']);
    expect(c.neighbors[0].asn).toBe('external');
    expect(c.neighbors[1]['extended-next-hop']).toBe(false);
  });

  it('names the line of each mistake', () => {
    expect(
      configErrors(
        `${HEAD}neighbors:
  - { asn: external }
  - { interface: eth1, address: 10.0.0.2, asn: 65002 }
  - { address: fe80::1, asn: 65002 }
  - { address: 10.0.0.3%eth1, asn: 65002 }
  - { address: fe80::1%a:b, asn: 65002 }
  - { interface: eth3, asn: externall }
  - { interface: eth2, asn: external, password: secret123 }
  - { interface: eth1, asn: internal }
`,
      ),
    ).toEqual([
      'rack.yaml:4:5: neighbors[0]: give address or interface (one of them)',
      'rack.yaml:5:18: neighbors[1].interface: give address or interface (one of them)',
      'rack.yaml:6:16: neighbors[2].address: a link-local address needs its interface: write fe80::1%eth1 (your interface)',
      'rack.yaml:7:16: neighbors[3].address: only an IPv6 link-local address (fe80::/10) takes a %interface',
      "rack.yaml:8:16: neighbors[4].address: bad interface name 'a:b' after %",
      `rack.yaml:9:29: neighbors[5].asn: expected a number or one of internal, external, got the string "externall" (did you mean 'external'?)`,
      'rack.yaml:10:49: neighbors[6].password: TCP MD5 is not supported on link-local (interface) neighbors',
      'rack.yaml:11:18: neighbors[7].interface: duplicate neighbor: interface eth1 is already neighbors[1]',
    ]);
  });
});
