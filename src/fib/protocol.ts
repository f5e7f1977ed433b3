/**
 * The marker of the kernel routes rackbgp owns: its own route protocol number, which no other
 * daemon uses, so it adopts and deletes only its own routes (never FRR's `proto bgp`, 186, nor
 * BIRD's 12). Registering the name in iproute2's rt_protos.d makes `ip route show proto rackbgp` work.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * 179 (BGP's TCP port): assigned neither by the kernel (rtnetlink.h: 0-18, 42, 99, 186-192) nor by
 * iproute2's rt_protos nor by FRR (186-198 in rt_protos.d/frr.conf).
 */
export const RTPROT_RACKBGP = 179;
/** Its name once registered (`ip route show proto rackbgp`). */
export const RTPROT_RACKBGP_NAME = 'rackbgp';

/** iproute2 (>= 4.10) reads every `*.conf` here beside /etc/iproute2/rt_protos. */
export const RT_PROTOS_DIR = '/etc/iproute2/rt_protos.d';

/** The file that names our protocol for iproute2. */
export const rtProtosConf = (): string =>
  `# the protocol of the routes rackbgp installs\n${RTPROT_RACKBGP}\t${RTPROT_RACKBGP_NAME}\n`;

/**
 * Writes rackbgp.conf into `dir` unless it is there already with this content; returns the path
 * written, or null when nothing needed writing.
 */
export function registerProtocolName(dir = RT_PROTOS_DIR): string | null {
  const path = join(dir, `${RTPROT_RACKBGP_NAME}.conf`);
  const content = rtProtosConf();
  try {
    if (readFileSync(path, 'utf8') === content) return null;
  } catch {}
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, content);
  return path;
}
