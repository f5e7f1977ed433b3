/**
 * Import finds an UPDATE's attribute set by the octets received (AttrStore.receivedKey): the same
 * octets give the same set, but only where the import rules keep the attributes as they came (an
 * eBGP peer's LOCAL_PREF is dropped, RFC 7606 §7.5); a 2-octet-AS session's keys are its own.
 */
import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { PeerInfo, RouteAttrs } from '../../../src/rib/types.js';
import {
  AsPathSegmentType,
  decodeMessage,
  IPV4_UNICAST,
  NlriList,
  Origin,
  packAnnouncements,
  type SessionParams,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender } from './fixtures.js';

const ATTRS = {
  origin: Origin.IGP,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65010] }],
  nextHop: '192.0.2.50',
  localPref: 200,
  communities: [65010 * 65536 + 1],
};

function rig() {
  const engine = new RoutingEngine({ local: LOCAL, decision: DECISION });
  const up = (info: PeerInfo, p: SessionParams = params(info.asn)) => {
    engine.peerUp(
      info,
      p,
      sender(() => {}),
      PLAIN,
    );
    return (prefix: string, attrs: RouteAttrs = ATTRS) => {
      const nlri = NlriList.from(1, [prefix]);
      const [m] = packAnnouncements(attrs, nlri, IPV4_UNICAST, p, 4096).messages;
      const r = decodeMessage(m, p, 4096);
      if (!r.ok) throw r.error;
      const u = r.message as UpdateMessage;
      expect(u.attributeOctets?.length).toBeGreaterThan(0);
      engine.receiveUpdate(info, u);
    };
  };
  const setOf = (prefix: string) => engine.rib.get(4, keyFromText(prefix)!.key)!.paths[0].attrs;
  return { engine, up, setOf };
}

describe('import by received octets', () => {
  it('the same octets from a peer find the same set; each peer keeps what its import rules allow', () => {
    const { engine, up, setOf } = rig();
    const ibgp = up(peer(2, 65000));
    const ebgp = up(peer(3, 65003));
    ibgp('10.1.0.0/24');
    ibgp('10.1.1.0/24');
    expect(setOf('10.1.1.0/24')).toBe(setOf('10.1.0.0/24'));
    expect(setOf('10.1.0.0/24').attrs.localPref).toBe(200);
    // The same octets from eBGP: LOCAL_PREF is not taken from it, so another set.
    ebgp('10.2.0.0/24');
    expect(setOf('10.2.0.0/24')).not.toBe(setOf('10.1.0.0/24'));
    expect(setOf('10.2.0.0/24').attrs.localPref).toBeUndefined();
    expect(setOf('10.2.0.0/24').attrs.communities).toEqual(ATTRS.communities);
    expect(engine.rib.store.size).toBe(2);
    // Without LOCAL_PREF the eBGP octets are kept as they came: two prefixes, one set.
    const { localPref: _, ...plain } = ATTRS;
    ebgp('10.2.1.0/24', plain);
    ebgp('10.2.2.0/24', plain);
    expect(setOf('10.2.2.0/24')).toBe(setOf('10.2.1.0/24'));
    expect(engine.rib.store.size).toBe(3);
  });

  it('a 2-octet-AS session: AS4_PATH folded in as before, its set keyed apart (RFC 6793 §4.2.3)', () => {
    const { engine, up, setOf } = rig();
    const four = up(peer(2, 65000));
    const two = up(peer(3, 65000), { ...params(65000), fourOctetAs: false });
    const asPath = [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65010, 4200000001] }];
    four('10.1.0.0/24', { ...ATTRS, asPath });
    two('10.2.0.0/24', { ...ATTRS, asPath });
    expect(setOf('10.2.0.0/24').attrs.asPath).toEqual(asPath); // AS4_PATH folded back (RFC 6793 §4.2.3)
    expect(setOf('10.1.0.0/24').attrs.asPath).toEqual(asPath);
    expect(setOf('10.2.0.0/24')).not.toBe(setOf('10.1.0.0/24'));
    expect(engine.rib.store.size).toBe(2);
  });
});
