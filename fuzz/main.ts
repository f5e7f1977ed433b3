/**
 * `npm run fuzz:live -- [--messages 1000000] [--workers 8] [--bird-routes 1000] [--seed N] [--json]`:
 * the live fuzz run (live.ts). Needs root (network namespaces), BIRD 2 and a build. Exit status 1
 * when rackbgp died, any answer differs from the oracle, or the BIRD session was disturbed.
 */
import { BenchNet, numberArg } from '../bench/harness/netns.js';
import { fuzzLive, liveReport } from './live.js';

const argv = process.argv.slice(2);
const num = (name: string, dflt: number) => numberArg(argv, name, dflt);
const log = (line: string) => process.stderr.write(`${line}\n`);

BenchNet.destroyAllOnSignal();

fuzzLive({
  messages: num('messages', 1_000_000),
  workers: num('workers', 8),
  birdRoutes: num('bird-routes', 1000),
  seed: num('seed', Date.now() % 1_000_000),
  log,
}).then(
  (r) => {
    console.log(argv.includes('--json') ? JSON.stringify(r) : liveReport(r).join('\n'));
    process.exit(r.ok ? 0 : 1);
  },
  (e) => {
    log(`fuzz: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
