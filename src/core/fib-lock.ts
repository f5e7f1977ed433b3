/**
 * The one-rackbgp-per-namespace rule for fib: true: a lock on an abstract socket of the network
 * namespace (src/util/netns-lock.ts), or a StartError naming the rackbgp that holds it. It does not
 * touch the kernel's routes.
 */
import { NamespaceLock, NamespaceLockHeld } from '../util/netns-lock.js';
import { StartError } from '../util/start-error.js';

/** The abstract socket name of the lock (per network namespace, see src/util/netns-lock.ts). */
const FIB_LOCK = 'rackbgp/fib';

/** The namespace's FIB for this process, or a StartError naming the rackbgp that holds it. */
export async function claimNamespaceFib(routerId: string): Promise<NamespaceLock> {
  try {
    return await NamespaceLock.acquire(FIB_LOCK, { routerId });
  } catch (e) {
    if (!(e instanceof NamespaceLockHeld)) throw e;
    const h = e.holder;
    const who = h
      ? `another rackbgp (pid ${h.pid}${typeof h.routerId === 'string' ? `, router-id ${h.routerId}` : ''})`
      : 'another rackbgp';
    throw new StartError(
      'fib',
      `${who} already runs with fib: true in this network namespace, and only one may own its routes; ` +
        'stop it first, or run this one with fib: false',
    );
  }
}
