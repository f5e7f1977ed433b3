/**
 * MRT against bgpdump: a live rackbgp with a BIRD 2 peer (IPv4 and IPv6, ADD-PATH) records every
 * message of both sessions (`mrt: messages: all`) and writes a RIB snapshot (`rackbgp mrt dump`).
 * Debian's bgpdump reads both files and agrees with `rackbgp decode --mrt` on every prefix, path
 * and message, and the snapshot holds what rackbgp's API shows. Unwritable paths: clear errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMrt } from '../../src/decode/decode-mrt.js';
import { fromBgpdump, fromRecords } from '../unit/mrt/bgpdump-lines.js';
import { BIRD2, type BirdHandle, startBird } from './support/bird.js';
import { isRoot, requireTools, TestNet, waitFor } from './support/netns.js';
import { bird2PairConfig, LEAF_ASN, type PairAddresses, pairNodes } from './support/pair.js';
import { CLI, type RackbgpHandle, startRackbgp } from './support/rackbgp.js';

const BGPDUMP = '/usr/bin/bgpdump';
const missing = requireTools(BIRD2.daemon, BIRD2.client, BGPDUMP);
const skip = !isRoot() || missing.length > 0;
const PEER_ASN = 65002;

const birdConfig = (a: PairAddresses) =>
  bird2PairConfig(a, PEER_ASN, {
    v4: 'route 10.11.1.0/24 blackhole; route 10.11.2.0/24 blackhole; route 10.11.3.0/24 blackhole;',
    v6: 'route 2001:db8:11:1::/64 blackhole; route 2001:db8:11:2::/64 blackhole;',
  });

const leafYaml = (a: PairAddresses, dir: string) => `router-id: ${a.leaf4}
asn: ${LEAF_ASN}
listen: { address: ["${a.leaf4}", "${a.leaf6}"], port: 179 }
fib: false
networks: [10.77.0.0/24, "2001:db8:77::/48"]
defaults: { add-path: both, connect-retry-time: 1 }
neighbors:
  - { address: ${a.peer4}, asn: ${PEER_ASN} }
  - { address: "${a.peer6}", asn: ${PEER_ASN} }
mrt: { file: ${dir}/updates.%Y%m%d.mrt, messages: all }
`;

describe.skipIf(skip)('MRT: bgpdump reads what rackbgp writes', () => {
  let net: TestNet;
  let addr: PairAddresses;
  let leaf: RackbgpHandle;
  let bird: BirdHandle;
  const bgpdump = async (file: string) => {
    const r = await net.exec('leaf', BGPDUMP, ['-q', '-m', file]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    net = new TestNet('mrt');
    addr = await pairNodes(net, 61);
    bird = await startBird(net, 'peer', BIRD2, birdConfig(addr), 'bird2');
    leaf = await startRackbgp(net, 'leaf', leafYaml(addr, net.dir));
    await leaf.waitState(addr.peer4, 'Established');
    await leaf.waitState(addr.peer6, 'Established');
    await waitFor('BIRD routes at rackbgp', async () => (await leaf.routes()).length === 7);
    // rackbgp's own prefixes reached BIRD, so the sent UPDATEs are in the file too.
    await waitFor('rackbgp routes at BIRD', async () =>
      (await bird.cli('show route 10.77.0.0/24')).includes('10.77.0.0/24'),
    );
  }, 60_000);
  afterAll(async () => {
    await net?.destroy();
  });

  it('rackbgp mrt dump: TABLE_DUMP_V2 (ADD-PATH) agrees with bgpdump and with the API', async () => {
    const file = join(net.dir, 'rib.mrt');
    const r = await leaf.cli(['mrt', 'dump', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/7 prefixes, 7 paths from 3 peers/);
    const theirs = fromBgpdump(await bgpdump(file));
    const ours = fromRecords(decodeMrt(readFileSync(file)).records);
    expect(ours.sort()).toEqual(theirs.sort());
    // BIRD's paths carry ADD-PATH ids: bgpdump saw the RFC 8050 subtypes.
    expect(await bgpdump(file)).toMatch(
      /^TABLE_DUMP2_AP\|.*\|B\|10\.99\.61\.2\|65002\|10\.11\.1\.0\/24\|\d+\|65002\|/m,
    );
    // Every route of the API is in the dump with its AS path.
    const routes = await leaf.routes();
    for (const route of routes) {
      const path = route.paths[0];
      const segments = (path.attributes.asPath ?? []) as { asns: number[] }[];
      const asns = segments.flatMap((s) => s.asns).join(' ');
      expect(theirs.some((l) => l.split('|')[3] === route.prefix && l.endsWith(`|${asns}`))).toBe(true);
    }
  });

  it('messages: every UPDATE received and sent, and the state changes, as bgpdump reads them', async () => {
    // A withdrawal from BIRD is recorded too.
    await bird.cli('disable static4');
    await waitFor('withdrawn', async () => (await leaf.routes()).length === 4);
    const status = await leaf.cli(['mrt', 'status', '--json']);
    const file = JSON.parse(status.stdout).file as string;
    const text = await bgpdump(file);
    const theirs = fromBgpdump(text);
    const ours = fromRecords(decodeMrt(readFileSync(file)).records);
    expect(ours.sort()).toEqual(theirs.sort());
    // ADD-PATH (BGP4MP_MESSAGE_AS4_ADDPATH): BIRD's path id before the AS path.
    expect(
      theirs.some(
        (l) => l.startsWith(`A|${addr.peer4}|${PEER_ASN}|10.11.1.0/24|`) && /\|\d+\|65002$/.test(l),
      ),
    ).toBe(true);
    expect(theirs.filter((l) => l.startsWith(`W|${addr.peer4}|`)).length).toBe(3);
    expect(theirs).toContain(`STATE|${addr.peer6}|${PEER_ASN}|OpenConfirm|Established`);
    // Sent UPDATEs (BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH): rackbgp's prefixes, AS path 65001.
    expect(text).toMatch(
      new RegExp(`\\|A\\|${addr.leaf4.replace(/\./g, '\\.')}\\|${LEAF_ASN}\\|10\\.77\\.0\\.0/24\\|`),
    );
    // decode --mrt prints the same file as NDJSON with OPENs and KEEPALIVEs both ways.
    const d = await net.exec('leaf', process.execPath, [CLI, 'decode', '--mrt', file]);
    const types = d.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message?.type);
    // Two per session, more when both sides dialled at once (RFC 4271 §6.8 collision).
    expect(types.filter((t) => t === 'open').length).toBeGreaterThanOrEqual(4);
  });

  it('an unwritable file: mrt dump exits 2 naming it, a daemon with it does not start', async () => {
    const r = await leaf.cli(['mrt', 'dump', '/nonexistent-dir/rib.mrt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write \/nonexistent-dir\/rib\.mrt: no such directory \(ENOENT\)/);
    const cfg = join(net.dir, 'bad.yaml');
    const yaml = `router-id: 10.0.0.9\nasn: 65009\nfib: false\napi: false\nmetrics: false\nlisten: { address: 127.0.0.1, port: 1790 }\nmrt: { file: /nonexistent-dir/u.mrt }\n`;
    await net.sh('leaf', `cat > ${cfg} <<'EOF'\n${yaml}EOF`);
    const run = await net.exec('leaf', process.execPath, [CLI, 'run', '-c', cfg]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot start: mrt: cannot write \/nonexistent-dir\/u\.mrt: no such directory/,
    );
    expect((await leaf.neighbors()).every((n) => n.state === 'Established')).toBe(true);
  });
});
