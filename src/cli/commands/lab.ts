/**
 * `rackbgp lab up|status|exec|verify|down|render|web`: the seed lab (or any lab file) on this host in
 * network namespaces, or rendered for containerlab + kind. Thin: parsing, planning, executing,
 * observing and checking live in src/lab; this file wires them to the command line.
 */

import { spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { renderContainerlab } from '../../lab/containerlab.js';
import { labBaseDir, labDown, labNames, labUp, readState, workDirOf } from '../../lab/executor.js';
import { LabError, loadLab } from '../../lab/load.js';
import { run } from '../../lab/netns.js';
import { observe } from '../../lab/observe.js';
import { dotGraph, routeTable, sessionTable, textPicture } from '../../lab/picture.js';
import { type LabPlan, plan } from '../../lab/plan.js';
import { loadScenario, ScenarioError } from '../../lab/scenario.js';
import { formatScenarioReport } from '../../lab/scenario-analysis.js';
import { runScenario, ScenarioRunError } from '../../lab/scenario-run.js';
import type { Lab } from '../../lab/schema.js';
import { observeServices } from '../../lab/services-observe.js';
import { formatReport, type VerifyReport, verify } from '../../lab/verify.js';
import { recordScenario } from '../../lab/web-scenarios.js';
import { webCommand } from './lab-web.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/commands → the repository (or installed package) root. */
const packageRoot = resolve(here, '../../../..');
const CLI = resolve(here, '../main.js');
const DEFAULT_LAB = 'lab/seed.yaml';

class LabFailure extends Error {}

function labFile(file: string | undefined): string {
  const f = file ?? DEFAULT_LAB;
  if (existsSync(f) || file) return resolve(f);
  return join(packageRoot, DEFAULT_LAB);
}

function readLab(file: string | undefined, name?: string): { lab: Lab; file: string } {
  const path = labFile(file);
  const lab = loadLab(path);
  if (name && !/^[a-z][a-z0-9]{0,11}$/.test(name))
    throw new LabFailure(`--name ${name}: 1-12 lowercase letters or digits`);
  return { lab: name ? { ...lab, name } : lab, file: path };
}

const planFor = (lab: Lab, workDir = workDirOf(lab.name)): LabPlan =>
  plan(lab, { workDir, node: process.execPath, cli: CLI });

function needRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new LabFailure(`lab ${what} needs root (network namespaces, veths): run it with sudo`);
}

/** The running lab a command is about: --name, the lab file's name, or the only lab that is up. */
function runningLab(
  file: string | undefined,
  name: string | undefined,
): { plan: LabPlan; ready: boolean; file?: string } {
  let labName = name;
  if (!labName && file) labName = loadLab(labFile(file)).name;
  if (!labName) {
    const names = labNames();
    if (names.length === 0)
      throw new LabFailure(`no lab is up (state files in ${labBaseDir()}): rackbgp lab up [FILE]`);
    if (names.length > 1)
      throw new LabFailure(`several labs are up (${names.join(', ')}): choose one with --name`);
    labName = names[0];
  }
  const state = readState(labName);
  if (!state) throw new LabFailure(`lab ${labName} is not up (no ${labBaseDir()}/${labName}.json)`);
  return {
    plan: planFor(state.lab, state.workDir),
    ready: state.ready,
    ...(state.file && { file: state.file }),
  };
}

/** BIRD (and bird6), their clients and ping must be there before anything is built. */
function needPrograms(p: LabPlan): void {
  const programs = new Set<string>(['/usr/bin/ping']);
  for (const x of p.processes) if ('socket' in x.ready) programs.add(x.argv[0]).add(x.ready.client);
  // Services: kube-proxy's rules are loaded with iptables-restore (services.ts).
  if (p.namespaces.some((n) => n.iptables)) programs.add('/usr/sbin/iptables-restore');
  const missing = [...programs].filter((f) => {
    try {
      accessSync(f, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length)
    throw new LabFailure(
      `missing ${missing.join(', ')}: install Debian's bird, iputils-ping and iptables (sudo bash .ci/install-deps.sh)`,
    );
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function upCommand(): Command {
  return new Command('up')
    .description('build the lab in network namespaces and start rackbgp and BIRD (default lab/seed.yaml)')
    .argument('[file]', 'lab file')
    .option('--name <name>', "lab name (default: the file's), to run a second copy")
    .option('--dry-run', 'print the plan (namespaces, veths, ip commands, daemons) and do nothing')
    .action(
      guard(async (file: string | undefined, opts: { name?: string; dryRun?: boolean }) => {
        const { lab, file: path } = readLab(file, opts.name);
        const p = planFor(lab);
        if (opts.dryRun) return void process.stdout.write(formatPlan(p));
        needRoot('up');
        needPrograms(p);
        const t0 = Date.now();
        try {
          const { times } = await labUp(p, { file: path, log: (l) => process.stderr.write(`${l}\n`) });
          const steps = Object.entries(times)
            .map(([k, v]) => `${k} ${v} ms`)
            .join(', ');
          process.stdout.write(
            `lab ${lab.name} is up in ${secs(Date.now() - t0)} (${steps})\n${textPicture(p)}` +
              `next: rackbgp lab verify${opts.name ? ` --name ${lab.name}` : ''} · rackbgp lab status · rackbgp lab exec node1 -- birdc show protocols · rackbgp lab down\n`,
          );
        } catch (e) {
          process.stderr.write(`lab up failed: ${(e as Error).message}\ncleaning up …\n`);
          await labDown(lab.name, { planned: p.namespaces.map((n) => n.ns), keepWorkDir: true });
          process.stderr.write(`removed; configs and logs kept in ${p.workDir}\n`);
          process.exit(1);
        }
      }),
    );
}

function formatPlan(p: LabPlan): string {
  const out = [`# lab ${p.lab.name}: ${p.namespaces.length} namespaces, ${p.links.length} veths`];
  for (const n of p.namespaces) out.push(`ip netns add ${n.ns}`);
  for (const l of p.links)
    out.push(`ip -n ${l.a.ns} link add ${l.a.dev} type veth peer name ${l.b.dev} netns ${l.b.ns}`);
  for (const n of p.namespaces) {
    out.push(`# ${n.device} (${n.role}): sysctl ${n.sysctls.join(' ')}`);
    for (const line of n.ip) out.push(`ip -n ${n.ns} ${line}`);
    if (n.linkSysctls.length) out.push(`ip netns exec ${n.ns} sysctl -w ${n.linkSysctls.join(' ')}`);
  }
  for (const f of p.files) out.push(`# file ${f.path} (${f.content.length} bytes)`);
  for (const x of p.processes) out.push(`ip netns exec ${x.ns} ${x.argv.join(' ')}`);
  return `${out.join('\n')}\n`;
}

function downCommand(): Command {
  return new Command('down')
    .description('stop every process of the lab and delete its namespaces')
    .argument('[file]', 'lab file (to name the lab)')
    .option('--name <name>', 'lab name')
    .action(
      guard(async (file: string | undefined, opts: { name?: string }) => {
        needRoot('down');
        let name = opts.name ?? (file ? loadLab(labFile(file)).name : undefined);
        if (!name) {
          const names = labNames();
          if (names.length !== 1)
            throw new LabFailure(
              names.length ? `several labs are up (${names.join(', ')}): --name` : 'no lab is up',
            );
          name = names[0];
        }
        const state = readState(name);
        const planned = state ? planFor(state.lab, state.workDir).namespaces.map((n) => n.ns) : [];
        const t0 = Date.now();
        const r = await labDown(name, { planned });
        if (r.leftovers.length) throw new LabFailure(`could not delete ${r.leftovers.join(', ')}`);
        process.stdout.write(
          `lab ${name} is down in ${secs(Date.now() - t0)}: ${r.processes} daemons stopped, ${r.namespaces} namespaces deleted\n`,
        );
      }),
    );
}

function statusCommand(): Command {
  return new Command('status')
    .description("every session's state, route counts and a topology picture")
    .argument('[file]', 'lab file (to name the lab)')
    .option('--name <name>', 'lab name')
    .option('--json', 'machine-readable output')
    .option('--svg <file>', 'write the topology as SVG (Graphviz dot)')
    .option('--png <file>', 'write the topology as PNG (Graphviz dot)')
    .action(
      guard(
        async (
          file: string | undefined,
          opts: { name?: string; json?: boolean; svg?: string; png?: string },
        ) => {
          needRoot('status');
          const { plan: p, ready } = runningLab(file, opts.name);
          const obs = await observe(p, { pings: false });
          const dot = dotGraph(p, obs);
          const images = await drawDot(
            dot,
            opts.svg ?? (opts.png ? undefined : join(p.workDir, 'topology.svg')),
            opts.png,
          );
          if (opts.json) {
            const sessions = p.sessions.map((s) => ({
              kind: s.kind,
              family: s.family,
              ends: s.ends.map((e) => ({
                device: e.device,
                address: e.local,
                speaker: e.speaker,
                protocol: e.protocol,
              })),
            }));
            process.stdout.write(
              `${JSON.stringify({ lab: p.lab.name, ready, sessions, observations: obs, images }, null, 2)}\n`,
            );
            return;
          }
          process.stdout.write(
            `lab ${p.lab.name}${ready ? '' : ' (half-built: lab up did not finish)'}\n\n${textPicture(p, obs)}\nSESSIONS\n${sessionTable(
              p,
              obs,
            )}\nROUTES\n${routeTable(obs)}${
              images.length
                ? `\nPICTURE ${images.join(' ')}\n`
                : '\n(install Graphviz for an SVG/PNG picture)\n'
            }`,
          );
        },
      ),
    );
}

async function drawDot(dot: string, svg?: string, png?: string): Promise<string[]> {
  const out: string[] = [];
  if ((await run('dot', ['-V'])).code !== 0) return out;
  for (const [fmt, file] of [
    ['svg', svg],
    ['png', png],
  ] as const) {
    if (!file) continue;
    mkdirSync(dirname(resolve(file)), { recursive: true });
    const r = await run('dot', [`-T${fmt}`, '-o', file], { input: dot });
    if (r.code === 0) out.push(file);
  }
  return out;
}

function execCommand(): Command {
  return new Command('exec')
    .description("run a command inside a lab device (birdc gets the node's control socket)")
    .argument('<device>', 'spine, leaf, node or pod name (node1, node1-pod1)')
    .argument('<command...>', 'command and arguments (after --)')
    .option('--name <name>', 'lab name')
    .action(
      guard(async (device: string, command: string[], opts: { name?: string }) => {
        needRoot('exec');
        const { plan: p } = runningLab(undefined, opts.name);
        const ns = p.namespaces.find((n) => n.device === device);
        if (!ns)
          throw new LabFailure(
            `no device ${device} in lab ${p.lab.name} (${p.namespaces.map((n) => n.device).join(', ')})`,
          );
        const argv = [...command];
        const bird = p.processes.find(
          (x) => x.device === device && x.name === (argv[0] === 'birdc6' ? 'bird6' : 'bird'),
        );
        if (/^birdc6?$/.test(argv[0]) && !argv.includes('-s') && bird && 'socket' in bird.ready)
          argv.splice(1, 0, '-s', bird.ready.socket);
        const child = spawn('ip', ['netns', 'exec', ns.ns, ...argv], { stdio: 'inherit' });
        const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
        process.exit(code);
      }),
    );
}

function verifyCommand(): Command {
  return new Command('verify')
    .description('check sessions, pod blocks, leaf FIBs and cross-rack pings; exit 1 on any failure')
    .argument('[file]', 'lab file (to name the lab)')
    .option('--name <name>', 'lab name')
    .option('--json', 'machine-readable report')
    .option('--wait <seconds>', 'retry until everything passes or this long has passed', '30')
    .option('-v, --verbose', 'list every ping')
    .action(
      guard(
        async (
          file: string | undefined,
          opts: { name?: string; json?: boolean; wait: string; verbose?: boolean },
        ) => {
          needRoot('verify');
          const { plan: p } = runningLab(file, opts.name);
          const t0 = Date.now();
          const deadline = t0 + Number(opts.wait) * 1000;
          let report: VerifyReport;
          for (;;) {
            report = verify(p, ...(await Promise.all([observe(p), observeServices(p)])));
            if (report.ok || Date.now() >= deadline) break;
            await new Promise((r) => setTimeout(r, 1000));
          }
          const elapsedMs = Date.now() - t0;
          process.stdout.write(
            opts.json
              ? `${JSON.stringify({ ...report, elapsedMs }, null, 2)}\n`
              : formatReport(report, { verbose: opts.verbose, elapsedMs }),
          );
          process.exitCode = report.ok ? 0 : 1;
        },
      ),
    );
}

function scenarioCommand(): Command {
  return new Command('scenario')
    .description(
      'run a scenario file (faults, restarts, kills, links at set times) while pods probe each other; exit 1 when an expectation fails',
    )
    .argument('<file>', 'scenario file (lab/scenarios/*.yaml)')
    .option('--name <name>', 'lab name')
    .option('--json', 'print the report as JSON')
    .option('--report <dir>', 'also write report.json, report.txt and timeline.svg there')
    .option('--settle <seconds>', 'wait this long for every session to be Established first', '60')
    .action(
      guard(
        async (file: string, opts: { name?: string; json?: boolean; report?: string; settle: string }) => {
          needRoot('scenario');
          const { plan: p } = runningLab(undefined, opts.name);
          const sc = loadScenario(file, p.lab);
          const settle = Number(opts.settle);
          if (!Number.isFinite(settle) || settle < 0)
            throw new LabFailure(`--settle ${opts.settle}: seconds, 0 or more`);
          const report = await runScenario(p, sc, {
            settleMs: settle * 1000,
            log: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`),
          });
          try {
            recordScenario(p.workDir, report); // for `lab web`'s timeline
          } catch (e) {
            process.stderr.write(`(the report is not kept for lab web: ${(e as Error).message})\n`);
          }
          const text = formatScenarioReport(report);
          if (opts.report) {
            const { timelineSvg } = await import('../../lab/timeline-svg.js');
            mkdirSync(opts.report, { recursive: true });
            writeFileSync(join(opts.report, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
            writeFileSync(join(opts.report, 'report.txt'), text);
            writeFileSync(join(opts.report, 'timeline.svg'), timelineSvg(report));
          }
          process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : text);
          if (opts.report && !opts.json)
            process.stdout.write(
              `report: ${join(opts.report, 'report.json')}, ${join(opts.report, 'timeline.svg')}\n`,
            );
          process.exitCode = report.ok ? 0 : 1;
        },
      ),
    );
}

function restartCommand(): Command {
  return new Command('restart')
    .description(
      "restart a switch's rackbgp or a node's BIRD: --graceful (default; RFC 4724: rackbgp restart, BIRD -R) or --hard (Cease first)",
    )
    .argument('<device>', 'a spine, leaf or node of the running lab')
    .option('--name <name>', 'lab name')
    .option('--graceful', 'graceful restart: no NOTIFICATION, forwarding kept (default)')
    .option('--hard', 'stop with Cease (SIGTERM) and start again: peers drop the routes')
    .option('--json', 'print the result as JSON')
    .action(
      guard(
        async (
          device: string,
          opts: { name?: string; graceful?: boolean; hard?: boolean; json?: boolean },
        ) => {
          needRoot('restart');
          if (opts.graceful && opts.hard) throw new LabFailure('--graceful and --hard exclude each other');
          const { plan: p } = runningLab(undefined, opts.name);
          const { restartDevice } = await import('../../lab/device-restart.js');
          const r = await restartDevice(p, device, {
            graceful: !opts.hard,
            log: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`),
          });
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(r, null, 2)}\n`
              : `${device} restarted ${r.graceful ? 'gracefully' : 'hard'}: ${r.daemons
                  .map((d) => `${d.name} (${d.signal}, back after ${d.downMs} ms)`)
                  .join(', ')}\n`,
          );
        },
      ),
    );
}

function renderCommand(): Command {
  return new Command('render')
    .description(
      'write the lab for containerlab + kind: topology, kind config, Calico resources, switch configs',
    )
    .argument('[file]', 'lab file (default lab/seed.yaml)')
    .option('--containerlab <dir>', 'output directory')
    .option('--out <dir>', 'output directory (same as --containerlab)')
    .option(
      '--rules <file>',
      "Prometheus rules for the lab's Prometheus (default: rackbgp's dashboards/rules.yml)",
    )
    .action(
      guard((file: string | undefined, opts: { containerlab?: string; out?: string; rules?: string }) => {
        const dir = opts.containerlab ?? opts.out;
        if (!dir) throw new LabFailure('lab render: say where, with --containerlab DIR');
        const { lab } = readLab(file);
        const rulesFile = opts.rules ?? join(packageRoot, 'dashboards/rules.yml');
        let rules: string;
        try {
          rules = readFileSync(rulesFile, 'utf8');
        } catch (e) {
          throw new LabFailure(
            `lab render: cannot read the Prometheus rules ${rulesFile} (${(e as NodeJS.ErrnoException).code}); pass --rules FILE`,
          );
        }
        const files = renderContainerlab(lab, { source: file ?? DEFAULT_LAB, rules });
        for (const f of files) {
          const path = join(dir, f.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, f.content);
          if (f.executable) chmodSync(path, 0o755);
        }
        process.stdout.write(
          `wrote ${files.length} files to ${dir}: ${files.map((f) => f.path).join(', ')}\n`,
        );
      }),
    );
}

/** Lab errors (file:line problems, missing root, no such lab) print plainly and exit 1. */
function guard<A extends unknown[]>(f: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await f(...args);
    } catch (e) {
      if (
        !(
          e instanceof LabFailure ||
          e instanceof LabError ||
          e instanceof ScenarioError ||
          e instanceof ScenarioRunError
        )
      )
        throw e;
      process.stderr.write(`rackbgp lab: ${e.message}\n`);
      process.exit(1);
    }
  };
}

export function labCommand(): Command {
  const lab = new Command('lab').description(
    'the seed lab: Calico route reflectors under a rackbgp leaf-spine fabric, in namespaces or for containerlab',
  );
  for (const c of [
    upCommand(),
    statusCommand(),
    execCommand(),
    verifyCommand(),
    downCommand(),
    scenarioCommand(),
    restartCommand(),
    renderCommand(),
    webCommand((name) => runningLab(undefined, name)),
  ]) {
    // addCommand() copies no settings: usage errors exit 2 here as everywhere in rackbgp.
    c.showHelpAfterError('(add --help for usage)').exitOverride((e) =>
      process.exit(e.exitCode === 0 ? 0 : 2),
    );
    lab.addCommand(c);
  }
  return lab;
}
