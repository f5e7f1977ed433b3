/**
 * Next hop self on a session carrying both IP families (RFC 4760 §3): IPv6 routes over an IPv4
 * session get our IPv6 address in MP_REACH_NLRI, IPv4 routes our IPv4 address in NEXT_HOP, also
 * when both are networks with one interned attribute set (found against FRR, interop-proofs-frr).
 * And the address picked for the other family: the interface's first global one.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { globalAddressOf } from '../../../src/core/subnets.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { decodeMessage, IPV4_UNICAST, IPV6_UNICAST, Origin } from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender, turn } from './fixtures.js';

const dualStack = { ...params(65002), families: [IPV4_UNICAST, IPV6_UNICAST] };

describe('next hop self per family on an MP-BGP session', () => {
  it('sends a network of each family with its own next hop, though both share one attribute set', async () => {
    const engine = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const sent: Uint8Array[] = [];
    const info = { ...peer(2, 65002), localAddress4: '192.0.2.100', localAddress6: '2001:db8::100' };
    engine.peerUp(
      info,
      dualStack,
      sender((ms) => sent.push(...ms)),
      PLAIN,
    );
    await turn();
    const attrs = { origin: Origin.IGP, asPath: [] };
    for (const p of ['10.1.0.0/24', '2001:db8:1::/64']) {
      const k = keyFromText(p)!;
      engine.originate(k.family, k.key, attrs);
    }
    engine.flush();
    const hops: string[] = [];
    for (const m of sent) {
      const r = decodeMessage(m, dualStack, 4096);
      if (!r.ok || r.message.type !== 'update') throw new Error('not an UPDATE');
      const u = r.message;
      if (u.nlri.count) hops.push(`ipv4 via ${u.attributes?.nextHop}`);
      if (u.mpReach?.nlri.count) hops.push(`ipv6 via ${u.mpReach.nextHop}`);
    }
    expect(hops.sort()).toEqual(['ipv4 via 192.0.2.100', 'ipv6 via 2001:db8::100']);
  });
});

describe('globalAddressOf', () => {
  const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
  const list = [
    iface('10.0.0.1', 'IPv4'),
    iface('fe80::1', 'IPv6'),
    iface('fd00::1', 'IPv6'),
    iface('fd00::2', 'IPv6'),
  ];

  it('takes the first global address of the family, never a link-local one', () => {
    expect(globalAddressOf(list, 6)).toBe('fd00::1');
    expect(globalAddressOf(list, 4)).toBe('10.0.0.1');
  });

  it('has none on an interface without one, or an unknown interface', () => {
    expect(globalAddressOf([iface('fe80::1', 'IPv6')], 6)).toBeUndefined();
    expect(globalAddressOf([iface('::1', 'IPv6', true)], 6)).toBeUndefined();
    expect(globalAddressOf(undefined, 4)).toBeUndefined();
  });
});
