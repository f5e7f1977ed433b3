/**
 * The real `rackbgp` entry point (dist/src/cli/main.js, built first): `decode` on the shipped
 * sample, on hex arguments with malformed messages (exit 0, reported), on a pcap, and the usage
 * and file errors that exit 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSessionPcap } from '../../src/pcap/pcap-writer.js';
import { fromHex } from '../helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: NDJSON records
type Json = any;

const MAIN = 'dist/src/cli/main.js';
const M = 'ffffffffffffffffffffffffffffffff';
const KEEPALIVE = `${M}001304`;

function rackbgp(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ndjson = (out: string): Json[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

let dir: string;

beforeAll(() => {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'rackbgp-cli-'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rackbgp decode', () => {
  it('decodes the shipped sample from stdin, following its OPEN (4-octet AS, ADD-PATH)', () => {
    const r = rackbgp(['decode'], readFileSync('samples/bird-session.hex', 'utf8'));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const recs = ndjson(r.stdout);
    expect(recs.map((x) => x.message.type)).toEqual([
      'open',
      'keepalive',
      'update',
      'update',
      'update',
      'notification',
    ]);
    expect(recs[2].message.nlri[0]).toEqual({ prefix: '10.244.1.128/26', pathId: 3 });
    expect(recs[2].message.attributes.largeCommunities).toEqual(['64512:1:2']);
    expect(recs[3].message.endOfRib).toBe('ipv4-unicast');
    expect(recs[5].message).toMatchObject({ codeName: 'cease', subcodeName: 'administrative-shutdown' });
    expect(Object.keys(recs[0])).toEqual(['index', 'offset', 'length', 'message']);
  });

  it('reports malformed messages as records, goes on, and exits 0', () => {
    const badMarker = `00${M.slice(2)}001304`;
    const r = rackbgp(['decode', KEEPALIVE, badMarker, `${M}:00:13:04`]);
    expect(r.status).toBe(0);
    const recs = ndjson(r.stdout);
    expect(recs).toHaveLength(3);
    expect(recs[1].error).toMatchObject({ code: 1, subcode: 1, codeName: 'message-header' });
    expect(recs[2].message).toEqual({ type: 'keepalive' });
  });

  it('ignores comments and blank lines on stdin; --pretty indents', () => {
    const r = rackbgp(['decode', '--pretty'], `# a comment\n\n${KEEPALIVE}   # trailing comment\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      '{\n  "index": 0,\n  "offset": 0,\n  "length": 19,\n  "message": {\n    "type": "keepalive"\n  }\n}\n',
    );
  });

  it('--four-octet-as and --add-path fix the context of hex input', () => {
    // Withdrawals with path ids 7 and 8: 10.0.0.0/24, 10.1.0.0/16.
    const hex = `${M} 0026 02 000f 00000007 18 0a0000 00000008 10 0a01 0000`;
    const r = rackbgp(['decode', '--four-octet-as', '--add-path', 'ipv4-unicast', hex]);
    expect(r.status).toBe(0);
    expect(ndjson(r.stdout)[0].message.withdrawn).toEqual([
      { prefix: '10.0.0.0/24', pathId: 7 },
      { prefix: '10.1.0.0/16', pathId: 8 },
    ]);
  });

  it('--pcap: reassembles both directions and prints stream, direction, frame and time', () => {
    const file = join(dir, 'session.pcap');
    const open = fromHex(`${M} 001d 01 04 fde8 00b4 0a000001 00`);
    writeFileSync(
      file,
      writeSessionPcap([
        {
          client: { address: '10.0.0.1', port: 40000 },
          server: { address: '10.0.0.2', port: 179 },
          sends: [
            { from: 'client', data: open },
            { from: 'server', data: fromHex(KEEPALIVE) },
          ],
        },
      ]),
    );
    const r = rackbgp(['decode', '--pcap', file]);
    expect(r.status).toBe(0);
    expect(ndjson(r.stdout)).toEqual([
      {
        stream: 0,
        direction: '10.0.0.1:40000>10.0.0.2:179',
        frame: 4,
        time: '2024-01-01T00:00:00.003000000Z',
        index: 0,
        offset: 0,
        length: 29,
        message: {
          type: 'open',
          version: 4,
          myAs: 65000,
          holdTime: 180,
          routerId: '10.0.0.1',
          capabilities: [],
        },
      },
      expect.objectContaining({
        direction: '10.0.0.2:179>10.0.0.1:40000',
        frame: 6,
        message: { type: 'keepalive' },
      }),
    ]);
    expect(rackbgp(['decode', '--pcap', file, '--port', '8080']).stderr).toMatch(/no TCP port 8080 traffic/);
  });

  it.each([
    [['decode', 'zz'], /argument 1 is not hex/],
    [['decode', '--pcap', '/nonexistent/x.pcap'], /cannot read \/nonexistent\/x.pcap: ENOENT/],
    [['decode', '--pcap', 'package.json'], /package.json is not a pcap or pcapng file/],
    [['decode', '--pcap', 'package.json', KEEPALIVE], /either hex messages or --pcap/],
    [['decode', '--port', '70000', '--pcap', 'x'], /not a TCP port/],
    [['decode', '--add-path', 'ipv5-unicast', KEEPALIVE], /unknown family ipv5-unicast/],
    [['decode', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('usage or file error %j exits 2', (args, message) => {
    const r = rackbgp(args, '');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a non-hex line on stdin is a usage error naming the line', () => {
    const r = rackbgp(['decode'], `${KEEPALIVE}\nnot hex\n`);
    expect([r.status, r.stderr.trim()]).toEqual([2, 'rackbgp decode: stdin line 2 is not hex: "not hex"']);
  });

  it('--version prints the package version', () => {
    const r = rackbgp(['--version']);
    expect([r.status, r.stdout.trim()]).toEqual([
      0,
      JSON.parse(readFileSync('package.json', 'utf8')).version,
    ]);
  });
});
