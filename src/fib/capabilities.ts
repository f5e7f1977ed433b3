/**
 * Whether this process may change the kernel's routes: CAP_NET_ADMIN in its effective capability
 * set (capabilities(7)), read from /proc/self/status. Without it every route change fails with
 * EPERM, so the daemon says so once at start instead of once per batch.
 */
import { readFileSync } from 'node:fs';

/** include/uapi/linux/capability.h */
export const CAP_NET_ADMIN = 12;

/** The `CapEff:` set of a /proc/PID/status text, or null when there is none. */
export function effectiveCapabilities(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(status);
  return m ? BigInt(`0x${m[1]}`) : null;
}

/** True or false when the status text lists the effective set, null when it does not. */
export function hasCapability(status: string, cap: number): boolean | null {
  const eff = effectiveCapabilities(status);
  return eff === null ? null : ((eff >> BigInt(cap)) & 1n) === 1n;
}

/** False only when /proc/self/status says CAP_NET_ADMIN is missing (unknown counts as present). */
export function mayChangeRoutes(statusPath = '/proc/self/status'): boolean {
  let text: string;
  try {
    text = readFileSync(statusPath, 'utf8');
  } catch {
    return true;
  }
  return hasCapability(text, CAP_NET_ADMIN) !== false;
}
