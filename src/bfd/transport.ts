/**
 * The real BfdTransport: the koffi receive sockets and a dgram sender per session (src/bfd/udp.ts).
 * Unit tests give the manager a fake one instead.
 */
import type { BfdTransport } from './manager.js';
import { BfdReceiver, openSender } from './udp.js';

export function udpTransport(random: () => number = Math.random): BfdTransport {
  let rx: BfdReceiver | null = null;
  return {
    open(onDatagram) {
      const r = BfdReceiver.open(onDatagram);
      if (typeof r === 'string') return r;
      rx = r;
      return null;
    },
    sender: (spec) => openSender(spec.address, spec.localAddress, random),
    drain: () => rx?.drainAll(),
    close() {
      rx?.close();
      rx = null;
    },
  };
}
