/**
 * Real sessions captured between BIRD 1.6, BIRD 2, FRR, GoBGP and ExaBGP
 * (test/fixtures/captures, see its README): each decodes with no errors and no RFC 7606 issues,
 * carries the prefixes and attribute values the README says were configured, and agrees with
 * tshark message by message (types, prefixes, attribute values, capability codes).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCapture, type MessageRecord } from '../../src/decode/decode-stream.js';
import { runTshark, summarizeOurs, summarizeTshark, tsharkVersion } from './tshark-json.js';

// biome-ignore lint/suspicious/noExplicitAny: decoded JSON
type Json = any;

const DIR = 'test/fixtures/captures';
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.pcap')) : [];
const version = tsharkVersion();
const inCi = Boolean(process.env.CI);

function decodeFile(file: string) {
  return decodeCapture(readFileSync(join(DIR, file)));
}

const messages = (file: string) => decodeFile(file).records.filter((r): r is MessageRecord => 'message' in r);

const prefixOf = (p: Json) => (typeof p === 'string' ? p : p.prefix);

/** The UPDATE announcing `prefix` (classic NLRI or MP_REACH), first occurrence. */
function announcing(file: string, prefix: string): Json {
  const m = messages(file)
    .map((r) => r.message)
    .find(
      (u) =>
        u.type === 'update' &&
        (u.nlri.map(prefixOf).includes(prefix) || (u.mpReach?.nlri ?? []).map(prefixOf).includes(prefix)),
    );
  if (!m) throw new Error(`${file}: no UPDATE announces ${prefix}`);
  return m;
}

function withdrawing(file: string, prefix: string): Json[] {
  return messages(file)
    .map((r) => r.message)
    .filter(
      (u) =>
        u.type === 'update' &&
        (u.withdrawn.map(prefixOf).includes(prefix) ||
          (u.mpUnreach?.withdrawn ?? []).map(prefixOf).includes(prefix)),
    );
}

const notifications = (file: string) =>
  messages(file)
    .map((r) => r.message)
    .filter((m) => m.type === 'notification');

const opens = (file: string) =>
  messages(file)
    .map((r) => r.message)
    .filter((m) => m.type === 'open');

describe.runIf(files.length > 0)('captured sessions decode cleanly', () => {
  it.each(files)('%s: no errors, gaps or RFC 7606 issues', (file) => {
    const { records, issues, connections } = decodeFile(file);
    expect(issues).toEqual([]);
    expect(connections).toBeGreaterThan(0);
    expect(records.filter((r) => !('message' in r) || r.issues || r.action)).toEqual([]);
    const types = new Set(records.map((r) => (r as MessageRecord).message.type));
    expect([...types].sort()).toEqual(['keepalive', 'notification', 'open', 'update']);
  });
});

describe.runIf(files.includes('bird1-calico.pcap'))('bird1-calico.pcap (BIRD 1.6 Calico node ↔ RR)', () => {
  const f = 'bird1-calico.pcap';
  it('node1 announces its /26 blocks with ADD-PATH ids and the Calico export attributes', () => {
    const u = announcing(f, '10.244.1.0/26');
    expect(u.nlri.map(prefixOf)).toEqual(['10.244.1.128/26', '10.244.1.64/26', '10.244.1.0/26']);
    expect(u.nlri.every((p: Json) => Number.isInteger(p.pathId))).toBe(true);
    expect(u.attributes).toEqual({
      origin: 'igp',
      asPath: [],
      nextHop: '10.99.0.2',
      med: 50,
      localPref: 200,
      communities: ['64512:100'],
      largeCommunities: ['64512:1:2'],
    });
  });
  it('the reflector stamps ORIGINATOR_ID and CLUSTER_LIST', () => {
    const a = announcing(f, '10.244.2.0/26').attributes;
    expect([a.nextHop, a.originatorId, a.clusterList]).toEqual(['10.99.0.6', '10.99.0.6', ['10.99.0.1']]);
  });
  it('withdraws 10.244.1.128/26 and closes with Cease/Administrative Shutdown', () => {
    expect(withdrawing(f, '10.244.1.128/26')).toHaveLength(1);
    expect(notifications(f)).toEqual([expect.objectContaining({ code: 6, subcode: 2, data: '' })]);
    expect(opens(f)[0].capabilities).toContainEqual({
      kind: 'add-path',
      families: [{ family: 'ipv4-unicast', mode: 3 }],
    });
  });
});

describe.runIf(files.includes('bird1-calico-v6.pcap'))('bird1-calico-v6.pcap (bird6 1.6)', () => {
  const f = 'bird1-calico-v6.pcap';
  it('MP_REACH with a 16-octet next hop and path ids; the reflected route; the MP withdraw', () => {
    const u = announcing(f, 'fd00:244:0:1::/64');
    expect(u.mpReach.nextHop).toBe('fd99::2');
    expect(u.mpReach.linkLocalNextHop).toBeUndefined();
    expect(u.mpReach.nlri.map(prefixOf)).toEqual(['fd00:244:0:2::/64', 'fd00:244:0:1::/64']);
    expect(u.attributes).toMatchObject({ med: 50, localPref: 200, largeCommunities: ['64512:1:2'] });
    const r = announcing(f, 'fd00:244:0:10::/64');
    expect([r.mpReach.nextHop, r.attributes.originatorId]).toEqual(['fd99:0:0:1::2', '10.99.0.6']);
    expect(withdrawing(f, 'fd00:244:0:2::/64')).toHaveLength(1);
  });
});

describe.runIf(files.includes('bird2.pcap'))('bird2.pcap (BIRD 2 ↔ FRR, RFC 8950)', () => {
  const f = 'bird2.pcap';
  it('IPv4 NLRI in MP_REACH with an IPv6 global + link-local next hop', () => {
    const u = announcing(f, '10.11.1.0/24');
    expect(u.mpReach).toMatchObject({
      family: 'ipv4-unicast',
      nextHop: 'fd99::1',
      linkLocalNextHop: 'fe80::99:ff:fe00:1',
    });
    expect(u.attributes).toEqual({
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: [65001, 65001] }],
      med: 100,
      communities: ['65001:100', '65001:200', '65535:65281'],
      extendedCommunities: ['0002fde900000064', '01030a6300010007'],
      largeCommunities: ['65001:1:1', '65001:2:3'],
    });
  });
  it('FRR re-advertises with its AS prepended; bird2 shuts down with a message', () => {
    const frr = messages(f).filter(
      (r) => r.message.type === 'update' && r.message.attributes?.asPath?.[0]?.asns[0] === 65002,
    );
    expect(frr.map((r) => r.message.attributes.asPath[0].asns)).toContainEqual([65002, 65001, 65001]);
    expect(notifications(f)[0].communication).toBe('rackbgp bird2 capture done');
  });
});

describe.runIf(files.includes('frr.pcap'))('frr.pcap (FRR ↔ GoBGP, two sessions)', () => {
  const f = 'frr.pcap';
  it('route-map attributes, aggregates with AS_SET and ATOMIC_AGGREGATE', () => {
    expect(announcing(f, '10.88.1.0/24').attributes).toMatchObject({
      med: 42,
      communities: ['65010:100', '65010:200'],
      largeCommunities: ['65010:1:1', '65010:1:2'],
      extendedCommunities: ['0002fdf200000001', '0002fdf200000002', '0003fdf200000009'],
    });
    expect(announcing(f, '10.89.0.0/16').attributes).toMatchObject({
      asPath: [
        { type: 'sequence', asns: [65010] },
        { type: 'set', asns: [65020, 65100] },
      ],
      aggregator: { asn: 65010, address: '10.99.0.1' },
    });
    expect(announcing(f, '10.90.0.0/16').attributes.atomicAggregate).toBe(true);
  });
  it('IPv6 session: link-local next hop; both sessions close', () => {
    expect(announcing(f, '2001:db8:88:1::/64').mpReach.linkLocalNextHop).toBe('fe80::99:ff:fe00:1');
    expect(new Set(decodeFile(f).records.map((r) => r.stream))).toEqual(new Set([0, 1]));
    expect(notifications(f).map((n) => n.communication)).toContain('rackbgp frr capture done');
  });
});

describe.runIf(files.includes('gobgp.pcap'))('gobgp.pcap (GoBGP 4-octet AS ↔ BIRD 2)', () => {
  const f = 'gobgp.pcap';
  it('AS_TRANS in My AS, the real AS in the capability, 4-octet paths and aggregator', () => {
    expect(opens(f)[0]).toMatchObject({ myAs: 23456 });
    expect(opens(f)[0].capabilities).toContainEqual({ kind: 'four-octet-as', asn: 4200000030 });
    expect(announcing(f, '10.77.1.0/24').attributes.asPath).toEqual([
      { type: 'sequence', asns: [4200000030, 65100, 4200000100] },
    ]);
    expect(announcing(f, '10.77.2.0/24').attributes.communities).toEqual(['65000:2', '65000:3', '65535:666']);
    expect(announcing(f, '10.77.3.0/24').attributes).toMatchObject({
      aggregator: { asn: 4200000030, address: '10.99.0.1' },
      largeCommunities: ['4200000030:3:3', '4200000030:3:4'],
    });
    expect(notifications(f)[0].communication).toBe('rackbgp gobgp capture done');
  });
});

describe.runIf(files.includes('exabgp.pcap'))('exabgp.pcap (ExaBGP ↔ GoBGP)', () => {
  const f = 'exabgp.pcap';
  it('unknown optional transitive attributes pass through; AS_SET; NO_EXPORT; MP withdraw', () => {
    expect(announcing(f, '10.66.1.0/24').attributes.unknown).toEqual([
      { flags: 0xc0, code: 101, value: '0102030405' },
    ]);
    expect(announcing(f, '2001:db8:66:1::/64').attributes.unknown).toEqual([
      { flags: 0xc0, code: 100, value: 'deadbeef' },
    ]);
    expect(announcing(f, '10.66.2.0/24').attributes.asPath).toEqual([
      { type: 'sequence', asns: [65050, 65300] },
      { type: 'set', asns: [65302, 65303] },
    ]);
    expect(announcing(f, '10.66.3.0/24').attributes.communities).toEqual(['65050:3', '65535:65281']);
    expect(withdrawing(f, '2001:db8:66:2::/64')[0].attributes.asPath).toEqual([
      { type: 'sequence', asns: [65050] },
    ]);
    expect(notifications(f)[0].communication).toBe('Administrative Shutdown');
  });
});

describe.runIf(files.length > 0 && (version !== null || inCi))(
  `captures vs tshark ${version ?? '(not installed: skipped locally, fails with CI set)'}`,
  () => {
    it.each(files)('%s: same messages, prefixes and attribute values as tshark', (file) => {
      if (!version) throw new Error('tshark is not installed; CI requires it');
      const theirs = runTshark(join(DIR, file));
      expect(theirs.problems).toEqual([]);
      const ours = messages(file);
      expect(ours.map((r) => [r.frame, r.message.type])).toEqual(
        theirs.messages.map((m) => [m.frame, summarizeTshark(m.tree).type]),
      );
      ours.forEach((r, i) => {
        expect(summarizeTshark(theirs.messages[i].tree), `${file} message ${i} (frame ${r.frame})`).toEqual(
          summarizeOurs(r.message),
        );
      });
    });
  },
);
