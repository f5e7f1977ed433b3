/**
 * The flap client of the soak, run in the peers' namespace (`ip netns exec NS node flapper.js …`):
 * one worker per source address, each in a loop connecting to the speaker, reaching Established,
 * announcing its pre-encoded /24s (distinct per worker), and dropping the session, alternately with
 * Cease 6/2 + FIN and with a TCP reset. Every `--check-every`th flap of a worker waits until the
 * speaker's API shows all its prefixes received first. A connection the speaker refuses or closes
 * before Established (the old session of that address is not gone yet) is retried and counted.
 * Prints JSON lines on stdout: `{"progress": flaps, "rate": flaps/s}` every 1,000 flaps, then the
 * totals (exit status 0 also after a fatal error: the totals list it under `failures`).
 */
import { encodeWire, now, RawSession, type Wire } from './peer.js';

const arg = (name: string, dflt?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`flapper: --${name} is required`);
  return v;
};

const target = arg('target');
const sources = arg('sources').split(',');
const flaps = Number(arg('flaps'));
const routes = Number(arg('routes'));
const checkEvery = Number(arg('check-every', '10'));
const api = arg('api');
const stepTimeoutMs = Number(arg('step-timeout', '30000'));

export interface FlapTotals {
  flaps: number;
  clean: number;
  reset: number;
  verified: number;
  retries: number;
  failures: string[];
  seconds: number;
}

const totals: FlapTotals = {
  flaps: 0,
  clean: 0,
  reset: 0,
  verified: 0,
  retries: 0,
  failures: [],
  seconds: 0,
};
let started = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the speaker's API until the neighbor `address` has `n` prefixes. */
async function prefixesReceived(address: string, n: number): Promise<void> {
  const end = Date.now() + stepTimeoutMs;
  for (;;) {
    const r = await fetch(`${api}/api/neighbors/${address}`);
    if (r.ok && ((await r.json()) as { prefixesReceived: number }).prefixesReceived === n) return;
    if (Date.now() > end)
      throw new Error(`${address}: ${n} prefixes not received within ${stepTimeoutMs} ms`);
    await sleep(5);
  }
}

/** One session: Established, UPDATEs written, optionally verified, then dropped; false if refused. */
function flap(wire: Wire, source: string, index: number, verify: boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let up = false;
    const timer = setTimeout(() => {
      s.socket.destroy();
      reject(new Error(`${source}: flap ${index} timed out in ${s.state}`));
    }, stepTimeoutMs);
    const s = new RawSession(
      wire,
      { host: target, port: 179, localAddress: source },
      {
        established: () => {
          up = true;
          s.socket.write(wire.updates, () => {
            const drop = () => (index % 2 === 0 ? s.cease() : s.reset());
            if (!verify) return drop();
            prefixesReceived(source, routes).then(
              () => {
                totals.verified++;
                drop();
              },
              (e) => {
                s.socket.destroy();
                reject(e);
              },
            );
          });
        },
        closed: (why) => {
          clearTimeout(timer);
          if (!up) return resolve(false);
          if (!/^we (sent Cease|reset)/.test(why)) return reject(new Error(`${source}: ${why}`));
          if (index % 2 === 0) totals.clean++;
          else totals.reset++;
          resolve(true);
        },
      },
      0,
    );
  });
}

async function worker(w: number): Promise<void> {
  const source = sources[w];
  const wire = encodeWire({
    asn: 65100 + w,
    routerId: source,
    hold: 0,
    nextHop: source,
    routes,
    firstOctet: 20 + w,
  });
  let mine = 0;
  while (started < flaps) {
    const index = started++;
    mine++;
    // Every checkEvery-th flap and each worker's last one wait for the speaker to count the routes.
    const verify = mine % checkEvery === 0 || started >= flaps;
    for (let attempt = 0; ; attempt++) {
      try {
        if (await flap(wire, source, index, verify)) break;
      } catch (e) {
        totals.failures.push((e as Error).message);
        if (totals.failures.length > 20) throw e;
      }
      totals.retries++;
      await sleep(Math.min(50 * (attempt + 1), 500));
    }
    totals.flaps++;
    if (totals.flaps % 1000 === 0)
      process.stdout.write(
        `${JSON.stringify({ progress: totals.flaps, rate: totals.flaps / ((now() - t0) / 1000) })}\n`,
      );
  }
}

const t0 = now();
Promise.all(sources.map((_, w) => worker(w))).then(
  () => {
    totals.seconds = (now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  },
  (e) => {
    totals.seconds = (now() - t0) / 1000;
    totals.failures.push(`fatal: ${(e as Error).message}`);
    process.stdout.write(`${JSON.stringify(totals)}\n`);
    process.exit(0);
  },
);
