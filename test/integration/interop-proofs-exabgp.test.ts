/**
 * 4-octet AS toward a real 2-octet-only speaker (RFC 6793 §4.2): ExaBGP 4.2 with `asn4 disable`
 * announces no AS4 capability and knows rackbgp (AS 4200000001) as AS_TRANS. Both directions carry
 * AS_TRANS in AS_PATH and the real ASes in AS4_PATH (tshark, per message), and each side rebuilds
 * the other's path: ExaBGP's JSON shows rackbgp's AS, rackbgp's RIB shows ExaBGP's 4-octet AS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTcpdump } from './support/capture.js';
import { EXABGP, startExabgp } from './support/exabgp.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { type PairAddresses, pairNodes } from './support/pair.js';
import { startRackbgp } from './support/rackbgp.js';
import { runTshark, summarizeTshark, values } from './tshark-json.js';

const missing = requireTools(EXABGP, '/usr/bin/tshark', '/usr/bin/tcpdump');
const skip = !isRoot() || missing.length > 0;

const LEAF_ASN4 = 4200000001;
const EXA_ASN = 65004;
const FAR_ASN4 = 4200000099;
const AS_TRANS = 23456;

/** The ASNs of AS_PATH (code 2) and AS4_PATH (code 17) of one UPDATE as tshark decoded them. */
function twoPaths(tree: unknown): { asPath?: number[]; as4Path?: number[] } {
  const out: { asPath?: number[]; as4Path?: number[] } = {};
  for (const a of values(tree, 'bgp.update.path_attribute')) {
    const code = Number(a['bgp.update.path_attribute.type_code']);
    const asns = [
      ...values(a, 'bgp.update.path_attribute.as_path_segment.as2'),
      ...values(a, 'bgp.update.path_attribute.as_path_segment.as4'),
    ].map(Number);
    if (code === 2) out.asPath = asns;
    if (code === 17) out.as4Path = asns;
  }
  return out;
}

describe.skipIf(skip)('interop proofs: ExaBGP 4.2 without AS4', () => {
  let net: TestNet;
  let addr: PairAddresses;
  beforeEach(async () => {
    net = new TestNet('pexa');
    addr = await pairNodes(net, 7);
  });
  afterEach(async () => {
    await net.destroy();
  });

  it('AS_TRANS and AS4_PATH both ways, each path rebuilt by the other side (RFC 6793 §4.2)', async () => {
    const capture = await runTcpdump(net, 'leaf', 'to-peer', 'tcp port 179');
    const exa = await startExabgp(
      net,
      'peer',
      `neighbor ${addr.leaf4} {
  router-id ${addr.peer4};
  local-address ${addr.peer4};
  local-as ${EXA_ASN};
  peer-as ${AS_TRANS};
  hold-time 30;
  family { ipv4 unicast; }
  capability { asn4 disable; }
  api { processes [ events ]; neighbor-changes; receive { parsed; open; update; } }
  api { processes [ commands ]; }
  static {
    route 10.14.1.0/24 next-hop self as-path [ ${EXA_ASN} ${FAR_ASN4} ];
  }
}
`,
      { bind: [addr.peer4] },
    );
    const leaf = await startRackbgp(
      net,
      'leaf',
      `router-id: ${addr.leaf4}
asn: ${LEAF_ASN4}
listen: { address: ["${addr.leaf4}"], port: 179 }
fib: false
networks: [10.11.1.0/24]
neighbors:
  - { address: ${addr.peer4}, asn: ${EXA_ASN}, connect-retry-time: 1 }
`,
    );
    await exa.waitUp(addr.leaf4);
    const n = await leaf.waitState(addr.peer4, 'Established');
    expect(n.negotiated?.fourOctetAs).toBe(false);

    // ExaBGP rebuilt rackbgp's 4-octet AS from AS_TRANS + AS4_PATH.
    const update = await waitFor('ExaBGP got 10.11.1.0/24', async () =>
      exa
        .events()
        .find((e) => e.type === 'update' && JSON.stringify(e.neighbor.message).includes('10.11.1.0/24')),
    );
    const attrs = (update.neighbor.message as { update?: { attribute?: Record<string, unknown> } }).update
      ?.attribute;
    expect(attrs?.['as-path']).toEqual([LEAF_ASN4]);
    // rackbgp rebuilt ExaBGP's path.
    const [route] = await waitFor('rackbgp has 10.14.1.0/24', async () => {
      const r = await leaf.routes('10.14.1.0/24');
      return r.length ? r : undefined;
    });
    expect(route.paths[0].attributes.asPath).toEqual([{ type: 'sequence', asns: [EXA_ASN, FAR_ASN4] }]);

    // On the wire, per message as tshark decodes it.
    // (Polled until both UPDATEs are in the file: tcpdump gets packets from the kernel in batches.)
    await waitFor('both UPDATEs captured', async () => {
      const nlri = runTshark(capture.file).messages.flatMap((m) => summarizeTshark(m.tree).nlri ?? []);
      return nlri.includes('10.11.1.0/24') && nlri.includes('10.14.1.0/24');
    });
    const messages = runTshark(await capture.stop()).messages;
    const opens = messages.map((m) => summarizeTshark(m.tree)).filter((s) => s.type === 'open');
    // (Both sides dial: under load both connections may get as far as OPEN before one wins.)
    expect([...new Set(opens.map((o) => o.myAs))].sort()).toEqual([AS_TRANS, EXA_ASN].sort());
    // ExaBGP's OPEN has no AS4 capability (65).
    expect(opens.find((o) => o.myAs === EXA_ASN)?.capabilities).not.toContain(65);
    const updates = messages.map((m) => ({ nlri: summarizeTshark(m.tree).nlri ?? [], ...twoPaths(m.tree) }));
    expect(updates).toContainEqual({ nlri: ['10.11.1.0/24'], asPath: [AS_TRANS], as4Path: [LEAF_ASN4] });
    expect(updates).toContainEqual({
      nlri: ['10.14.1.0/24'],
      asPath: [EXA_ASN, AS_TRANS],
      as4Path: [EXA_ASN, FAR_ASN4],
    });
  });
});
