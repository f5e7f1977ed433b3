/**
 * `npm run bench -- --scenario NAME [--dut rackbgp,bird2,bird1,frr,openbgpd,gobgp] [--routes N] [--peers N]`:
 * runs a scenario (transit, transit-community, calico-rr, churn, fib; a comma list or `all`) for
 * each DUT in namespaces of its own, one DUT after the other, and writes JSON and a Markdown table
 * (stdout and --out DIR). Needs root. See bench/README.md for what is measured and how.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_RACKBGP, DUTS, type DutName, installed } from './harness/duts.js';
import { BenchNet } from './harness/netns.js';
import { type DutResult, machine, markdown, type ScenarioResult } from './harness/report.js';
import type { Options, Scenario } from './harness/scenario.js';
import { calicoRr } from './scenarios/calico-rr.js';
import { churn } from './scenarios/churn.js';
import { fib } from './scenarios/fib.js';
import { transit, transitCommunity } from './scenarios/transit.js';

const SCENARIOS: readonly Scenario[] = [transit, transitCommunity, calicoRr, churn, fib];

const USAGE = `usage: npm run bench -- --scenario NAME[,NAME…]|all [options]
  --dut LIST        DUTs, comma-separated (default ${DUTS.join(',')})
  --routes N        routes (transit, churn, fib) or blocks per client (calico-rr)
  --peers N         reflector clients (calico-rr)
  --churn N         routes withdrawn and re-announced (churn)
  --quick           small defaults: 10k routes, 20 clients, 1k churned
  --cpu-prof        profile rackbgp (node --cpu-prof) and report its three hottest functions
  --reps N          runs per DUT; the run with the median time is reported (default 1)
  --timeout S       seconds one DUT may take (default 900)
  --out DIR         where the JSON and Markdown go (default ${join(tmpdir(), 'rackbgp-bench')})
  --rackbgp FILE    rackbgp's built CLI (default dist/src/cli/main.js)
  --keep            keep configs, logs and captures of each run
  --journal N       rackbgp's event journal size (0: off; default: rackbgp's default, 100000)
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;

function parse(argv: string[]) {
  const flags = new Set(['quick', 'cpu-prof', 'keep', 'help']);
  const v: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const k = a.slice(2);
    if (flags.has(k)) v[k] = 'true';
    else if (i + 1 < argv.length) v[k] = argv[++i];
    else throw new Error(`--${k} needs a value`);
  }
  return v;
}

const int = (s: string | undefined, what: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${what} must be a positive integer`);
  return n;
};

function rackbgpVersion(cli: string): string {
  const root = resolve(dirname(cli), '../../..');
  const pkg = join(root, 'package.json');
  const version = existsSync(pkg)
    ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
    : '?';
  try {
    const rev = execFileSync('git', ['-C', root, 'describe', '--always', '--dirty'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return `${version} (${rev.toString().trim()})`;
  } catch {
    return `${version} (${root})`;
  }
}

/** The run with the median time (failed runs are listed in its notes); the failure if none passed. */
function median(runs: DutResult[]): DutResult {
  if (runs.length === 1) return runs[0];
  const ok = runs.filter((r) => r.ok).sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0));
  if (!ok.length) return runs[0];
  const m = ok[(ok.length - 1) >> 1];
  const all = runs.map((r) => (r.ok ? (r.seconds ?? 0).toFixed(2) : `failed (${r.error})`)).join(', ');
  return { ...m, notes: [`median of ${runs.length} runs: ${all} s`, ...(m.notes ?? [])] };
}

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  if (a.help || !a.scenario) {
    process.stdout.write(`${USAGE}\n`);
    return a.help ? 0 : 2;
  }
  if (process.getuid?.() !== 0) throw new Error('the benchmarks need root (network namespaces)');
  const names = a.scenario === 'all' ? SCENARIOS.map((s) => s.name) : a.scenario.split(',');
  const scenarios = names.map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown scenario ${n} (${SCENARIOS.map((x) => x.name).join(', ')})`);
    return s;
  });
  const duts = (a.dut ? a.dut.split(',') : [...DUTS]) as DutName[];
  for (const d of duts) if (!DUTS.includes(d)) throw new Error(`unknown DUT ${d} (${DUTS.join(', ')})`);
  const rackbgp = resolve(a.rackbgp ?? DEFAULT_RACKBGP);
  if (duts.includes('rackbgp') && !existsSync(rackbgp)) throw new Error(`${rackbgp} missing: npm run build`);
  const reps = int(a.reps, 'reps') ?? 1;
  const out = resolve(a.out ?? join(tmpdir(), 'rackbgp-bench'));
  mkdirSync(out, { recursive: true });
  const o: Options = {
    routes: int(a.routes, 'routes'),
    peers: int(a.peers, 'peers'),
    churn: int(a.churn, 'churn'),
    quick: !!a.quick,
    cpuProf: !!a['cpu-prof'],
    rackbgp,
    keep: !!a.keep,
    ...(a.journal !== undefined && { journal: journalSize(a.journal) }),
    timeoutS: int(a.timeout, 'timeout') ?? 900,
    log: (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  };
  const all: ScenarioResult[] = [];
  let failed = 0;
  for (const s of scenarios) {
    const m = machine(rackbgpVersion(rackbgp));
    const results: DutResult[] = [];
    for (const d of duts) {
      if (!installed(d)) {
        results.push({ dut: d, ok: false, error: 'not installed (.ci/install-deps.sh)' });
        continue;
      }
      const runs: DutResult[] = [];
      for (let rep = 1; rep <= reps; rep++) {
        o.log(`${s.name}: ${d}${reps > 1 ? ` (run ${rep} of ${reps})` : ''}`);
        const r = await s.run(d, o);
        o.log(r.ok ? `${s.name}: ${d}: ${r.seconds?.toFixed(2)} s` : `${s.name}: ${d}: FAILED ${r.error}`);
        runs.push(r);
      }
      const r = median(runs);
      if (!r.ok) failed++;
      results.push(r);
    }
    const result: ScenarioResult = {
      scenario: s.name,
      description: s.describe(o),
      reference: s.reference,
      params: { ...s.params(o), ...(reps > 1 && { reps }) },
      machine: m,
      results,
    };
    all.push(result);
    writeFileSync(join(out, `${s.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(out, `${s.name}.md`), markdown(result));
    process.stdout.write(`${markdown(result)}\n`);
  }
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(all, null, 2)}\n`);
  writeFileSync(join(out, 'results.md'), all.map(markdown).join('\n'));
  o.log(`results in ${out}/ (results.json, results.md)`);
  return failed ? 1 : 0;
}

const cleanup = async (code: number) => {
  await Promise.all([...BenchNet.live].map((n) => n.destroy()));
  process.exit(code);
};
process.on('SIGINT', () => void cleanup(130));
process.on('SIGTERM', () => void cleanup(143));

main().then(
  (code) => process.exit(code),
  async (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    await cleanup(2);
  },
);

function journalSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error('--journal must be a whole number (0: off)');
  return n;
}
