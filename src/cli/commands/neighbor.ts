/**
 * `rackbgp neighbor reset|shutdown|enable|refresh|trace ADDR` and `rackbgp reload`: POSTs on the daemon's
 * API. reset sends Cease 6/4 (`--all`: to every neighbor that is not shut down), shutdown Cease 6/2
 * (both with an optional RFC 8203 --message); refresh is soft (--in: ROUTE-REFRESH to the peer, --out:
 * our routes again; both by default); trace on|off switches packet tracing of the neighbor in the
 * daemon's log.
 */
import { Argument, Command } from 'commander';
import type { ReloadReport } from '../../api/daemon.js';
import type { ActionResult, NeighborView } from '../../api/service.js';
import { type ApiOptions, CliError, call, getJson, target, UsageError, withApi } from '../api-client.js';
import { formatAction, formatReload } from '../format/rib.js';

async function post<T>(o: ApiOptions, path: string, body: object): Promise<{ status: number; body: T }> {
  const r = await call<T>(target(o), 'POST', path, body);
  if (r.status === 404 && !(r.body as { message?: string }).message)
    throw new CliError((r.body as { error?: string }).error ?? 'not found');
  return r;
}

export type ActionName = 'reset' | 'shutdown' | 'enable' | 'refresh';

/** One action on one neighbor; prints the daemon's answer, throws CliError when it refused. */
export async function neighborAction(
  o: ApiOptions,
  address: string,
  name: ActionName,
  body: { message?: string; direction?: 'in' | 'out' | 'both' } = {},
): Promise<void> {
  const r = await post<ActionResult>(o, `/api/neighbors/${encodeURIComponent(address)}/${name}`, body);
  if (!r.body.ok) throw new CliError(r.body.message);
  process.stdout.write(formatAction(r.body));
}

/** Cease 6/4 to every neighbor not shut down (those stay down: enable them instead). */
export async function resetAll(o: ApiOptions, message?: string): Promise<void> {
  const all = await getJson<NeighborView[]>(target(o), '/api/neighbors');
  for (const n of all) {
    if (!n.enabled) process.stdout.write(`${n.address}: administratively down, not reset\n`);
    else await neighborAction(o, n.address, 'reset', message !== undefined ? { message } : {});
  }
  if (!all.length) process.stdout.write('no neighbors\n');
}

function action(name: ActionName, description: string): Command {
  const cmd = withApi(
    new Command(name).description(description).argument(name === 'reset' ? '[address]' : '<address>'),
    false,
  );
  if (name === 'reset') cmd.option('--all', 'every neighbor (but those shut down)');
  if (name === 'reset' || name === 'shutdown')
    cmd.option('--message <text>', 'RFC 8203 shutdown communication sent with the Cease');
  if (name === 'refresh')
    cmd.option('--in', 'ask the peer to send its routes again').option('--out', 'send ours again');
  return cmd.action(
    async (
      address: string | undefined,
      o: ApiOptions & { message?: string; in?: boolean; out?: boolean; all?: boolean },
    ) => {
      if (o.all && address !== undefined) throw new UsageError('give an address or --all, not both');
      if (o.all) return resetAll(o, o.message);
      if (address === undefined) throw new UsageError('give a neighbor address (or --all)');
      const direction = o.in && !o.out ? 'in' : o.out && !o.in ? 'out' : 'both';
      await neighborAction(o, address, name, {
        ...(o.message !== undefined && { message: o.message }),
        ...(name === 'refresh' && { direction }),
      });
    },
  );
}

/** `neighbor trace ADDR on|off`: packet tracing of one neighbor in the daemon's log. */
function traceCommand(): Command {
  return withApi(
    new Command('trace')
      .description('log every message sent and received (info, decoded JSON); off by default')
      .argument('<address>')
      .addArgument(new Argument('<state>').choices(['on', 'off'])),
    false,
  ).action(async (address: string, state: 'on' | 'off', o: ApiOptions) => {
    const r = await post<ActionResult>(o, `/api/neighbors/${encodeURIComponent(address)}/trace`, {
      enabled: state === 'on',
    });
    if (!r.body.ok) throw new CliError(r.body.message);
    process.stdout.write(formatAction(r.body));
  });
}

export function neighborCommand(): Command {
  return new Command('neighbor')
    .description('act on one neighbor (over the API)')
    .addCommand(action('reset', 'Cease/Administrative Reset (6/4), then connect again'))
    .addCommand(action('shutdown', 'Cease/Administrative Shutdown (6/2); stays down until enabled'))
    .addCommand(action('enable', 'start a neighbor that was shut down'))
    .addCommand(action('refresh', 'soft refresh without a reset (default: both directions)'))
    .addCommand(traceCommand());
}

export function reloadCommand(): Command {
  return withApi(
    new Command('reload').description('re-read the config file and apply the difference'),
    true,
  ).action(async (o: ApiOptions) => {
    const r = await post<ReloadReport>(o, '/api/reload', {});
    process.stdout.write(o.json ? `${JSON.stringify(r.body, null, 2)}\n` : formatReload(r.body));
    if (!r.body.ok) process.exitCode = 1;
  });
}
