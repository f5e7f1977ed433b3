/**
 * `rackbgp lab web [--name LAB] [--port 8179] [--address 127.0.0.1]`: serves the live view of a
 * running lab (src/lab/web-lab.ts, page in src/web/static) until interrupted. An unknown lab, a port
 * in use or an address it cannot bind exits 2 with the reason, before anything is started.
 */
import http from 'node:http';
import { Command } from 'commander';
import type { LabPlan } from '../../lab/plan.js';
import { LabView } from '../../lab/web-lab.js';
import { listenHttp } from '../../util/http-listen.js';
import { handleView, loadStatic } from '../../web/serve.js';

export const DEFAULT_WEB_PORT = 8179;

const fail = (message: string): never => {
  process.stderr.write(`rackbgp lab web: ${message}\n`);
  process.exit(2);
};

/** Why a bind failed, in words. */
export function listenProblem(e: NodeJS.ErrnoException, address: string, port: number): string {
  if (e.code === 'EADDRINUSE')
    return `port ${port} on ${address} is in use (another rackbgp lab web?): choose another with --port`;
  if (e.code === 'EADDRNOTAVAIL') return `address ${address} is not an address of this host`;
  if (e.code === 'EACCES') return `no permission to listen on ${address} port ${port}`;
  return `cannot listen on ${address} port ${port}: ${e.message}`;
}

export function webCommand(runningLab: (name: string | undefined) => { plan: LabPlan }): Command {
  return new Command('web')
    .description('serve a live web view of a running lab: topology, sessions, routes, timeline, lookups')
    .option('--name <name>', 'lab name (default: the only lab that is up)')
    .option('--port <port>', 'TCP port (0: any free one)', String(DEFAULT_WEB_PORT))
    .option('--address <address>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { name?: string; port: string; address: string }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535)
        fail(`--port ${opts.port}: a port number from 0 to 65535`);
      if (process.getuid?.() !== 0) fail('lab web needs root (it reads the namespaces): run it with sudo');
      let plan: LabPlan;
      try {
        plan = runningLab(opts.name).plan;
      } catch (e) {
        return fail((e as Error).message);
      }
      const files = loadStatic();
      const view = new LabView(plan);
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://lab');
        if (handleView(() => view, files, req, res, url)) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ error: `no route ${req.method} ${url.pathname}` })}\n`);
      });
      const listening = await listenHttp(server, opts.address, port).catch((e: NodeJS.ErrnoException) =>
        fail(listenProblem(e, opts.address, port)),
      );
      view.start();
      const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
      process.stdout.write(
        `lab ${plan.lab.name}: live view on http://${host}:${listening.port}/ (Ctrl-C stops)\n`,
      );
      const stop = () => {
        view.stop();
        void listening.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
