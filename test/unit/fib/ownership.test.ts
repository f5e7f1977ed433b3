import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CAP_NET_ADMIN, effectiveCapabilities, hasCapability } from '../../../src/fib/capabilities.js';
import { NoopFib } from '../../../src/fib/noop.js';
import { RTPROT_RACKBGP, registerProtocolName, rtProtosConf } from '../../../src/fib/protocol.js';
import { ReadOnlyFib } from '../../../src/fib/read-only.js';
import type { FibRoute } from '../../../src/fib/types.js';
import { bindFailure, hostPort, StartError } from '../../../src/util/start-error.js';

/** The lines of a /proc/PID/status that matter here, as Linux 6.1 prints them. */
const status = (capEff: string) =>
  `Name:\tnode\nUmask:\t0022\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\n`;

describe('CAP_NET_ADMIN from /proc/self/status', () => {
  it('reads the effective set', () => {
    expect(effectiveCapabilities(status('000001ffffffffff'))).toBe(0x1ffffffffffn);
    expect(effectiveCapabilities('Name:\tnode\n')).toBeNull();
  });

  it('finds bit 12 set in root’s set and cleared by setpriv --bounding-set=-net_admin', () => {
    expect(CAP_NET_ADMIN).toBe(12);
    expect(hasCapability(status('000001ffffffffff'), CAP_NET_ADMIN)).toBe(true);
    // 0x1ffffffffff with bit 12 (0x1000) cleared.
    expect(hasCapability(status('000001ffffffefff'), CAP_NET_ADMIN)).toBe(false);
    // Docker's default set: chown dac_override fowner fsetid kill setgid setuid setpcap
    // net_bind_service net_raw sys_chroot mknod audit_write setfcap.
    expect(hasCapability(status('00000000a80425fb'), CAP_NET_ADMIN)).toBe(false);
    expect(hasCapability(status('0000000000001000'), CAP_NET_ADMIN)).toBe(true);
    expect(hasCapability('', CAP_NET_ADMIN)).toBeNull();
  });
});

describe('the protocol marker', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a number no kernel header, iproute2 or FRR file assigns', () => {
    const kernel = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 42, 99, 186, 187, 188, 189, 192];
    const frr = Array.from({ length: 13 }, (_, i) => 186 + i);
    expect(kernel).not.toContain(RTPROT_RACKBGP);
    expect(frr).not.toContain(RTPROT_RACKBGP);
    expect(RTPROT_RACKBGP).toBeLessThan(256);
  });

  it('is named in an rt_protos.d file written once', () => {
    dir = mkdtempSync(join(tmpdir(), 'rt-protos-'));
    const sub = join(dir, 'rt_protos.d');
    expect(registerProtocolName(sub)).toBe(join(sub, 'rackbgp.conf'));
    expect(readFileSync(join(sub, 'rackbgp.conf'), 'utf8')).toBe(rtProtosConf());
    expect(rtProtosConf()).toMatch(/^179\trackbgp$/m);
    expect(registerProtocolName(sub)).toBeNull();
    writeFileSync(join(sub, 'rackbgp.conf'), '179 old\n');
    expect(registerProtocolName(sub)).toBe(join(sub, 'rackbgp.conf'));
  });
});

describe('ReadOnlyFib', () => {
  it('reads through and refuses every change with the reason, changing nothing', async () => {
    const left: FibRoute = { family: 4, prefix: '10.1.0.0/24', nextHops: [{ via: '10.0.0.2' }] };
    const inner = new NoopFib([left]);
    const fib = new ReadOnlyFib(inner, 'no CAP_NET_ADMIN');
    expect(await fib.dump()).toEqual([left]);
    const changes = [
      { op: 'add' as const, route: { ...left, prefix: '10.2.0.0/24' } },
      { op: 'delete' as const, family: 4 as const, prefix: '10.1.0.0/24' },
    ];
    expect(await fib.apply(changes)).toEqual({
      failed: changes.map((change) => ({ change, error: 'no CAP_NET_ADMIN' })),
    });
    expect(inner.batches).toEqual([]);
    await fib.close();
    expect(inner.closed).toBe(true);
  });
});

describe('start errors name the key and the address', () => {
  const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), {
    code: 'EADDRINUSE',
    address: '127.0.0.1',
    port: 8080,
  });

  it('says what is wrong in words, with the errno code', () => {
    expect(bindFailure('api', '127.0.0.1', 8080, inUse).message).toBe(
      'api: 127.0.0.1:8080 is in use (EADDRINUSE)',
    );
    expect(bindFailure('listen', '::1', 179, { code: 'EADDRNOTAVAIL' }).message).toBe(
      'listen: [::1]:179 is not an address of this host (EADDRNOTAVAIL)',
    );
    expect(bindFailure('metrics', '0.0.0.0', 80, { code: 'EACCES' }).message).toMatch(
      /^metrics: 0\.0\.0\.0:80 is not allowed .*CAP_NET_BIND_SERVICE.* \(EACCES\)$/,
    );
    expect(bindFailure('metrics', '0.0.0.0', 9179, new Error('boom')).message).toBe(
      'metrics: 0.0.0.0:9179 cannot be bound: boom',
    );
  });

  it('keeps the key for the caller', () => {
    const e = bindFailure('listen', '0.0.0.0', 179, inUse);
    expect(e).toBeInstanceOf(StartError);
    expect(e.key).toBe('listen');
    // The error's own address wins: with several listen addresses it names the one that failed.
    expect(e.message).toBe('listen: 127.0.0.1:8080 is in use (EADDRINUSE)');
    expect(hostPort('fd00::1', 179)).toBe('[fd00::1]:179');
  });
});
