/**
 * `npm run soak -- [--flaps N] [--routes N] [--concurrency C] [--check-every K] [--no-fib] [--json]`:
 * the flap soak (flap.ts). `npm run soak -- --keepalive [--routes N] [--hold S] [--cpu-prof]`: the
 * keepalive-under-load run (keepalive.ts). Needs root (network namespaces) and a build.
 * Exit status 1 when a check fails: leftovers of dead sessions, handles not back to the baseline,
 * heap growth over the tolerance, a keepalive gap over a third of the hold time.
 */
import { BenchNet, numberArg } from '../harness/netns.js';
import { flapReport, flapSoak, heapToleranceMiB } from './flap.js';
import { keepaliveReport, keepaliveRun } from './keepalive.js';

const argv = process.argv.slice(2);
const has = (name: string) => argv.includes(`--${name}`);
const num = (name: string, dflt: number) => numberArg(argv, name, dflt);
const log = (line: string) => process.stderr.write(`${line}\n`);

BenchNet.destroyAllOnSignal();

async function main(): Promise<number> {
  if (has('keepalive')) {
    const r = await keepaliveRun({
      routes: num('routes', 1_000_000),
      hold: num('hold', 3),
      cpuProf: has('cpu-prof'),
      log,
    });
    console.log(has('json') ? JSON.stringify(r) : keepaliveReport(r).join('\n'));
    return r.ok ? 0 : 1;
  }
  const r = await flapSoak({
    flaps: num('flaps', 10_000),
    routes: num('routes', 1000),
    concurrency: num('concurrency', 8),
    checkEvery: num('check-every', 10),
    fib: !has('no-fib'),
    log,
  });
  console.log(has('json') ? JSON.stringify(r) : flapReport(r).join('\n'));
  const l = r.leftover;
  const failures = [
    ...(r.totals.failures.length
      ? [`${r.totals.failures.length} flaps failed: ${r.totals.failures[0]}`]
      : []),
    ...(l.neighbors + l.ribPaths + l.fibInstalled + l.kernelRoutes ? [`leftovers ${JSON.stringify(l)}`] : []),
    ...(r.after.activeHandles > r.before.activeHandles ? ['active handles above the baseline'] : []),
    ...(r.after.openFds > r.before.openFds ? ['open fds above the baseline'] : []),
    ...(r.after.heapUsedMiB - r.before.heapUsedMiB > heapToleranceMiB(r.before)
      ? [`heap grew more than ${heapToleranceMiB(r.before).toFixed(1)} MiB`]
      : []),
  ];
  for (const f of failures) log(`FAIL ${f}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`soak: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
