/**
 * `rackbgp restart`: a graceful restart of the daemon (RFC 4724 §4.1) over the API (the same as
 * SIGUSR2): its sessions close without NOTIFICATION, the kernel routes stay, and the process exits
 * for its manager (systemd, `rackbgp lab restart`) to start it again within the restart time.
 */
import { Command } from 'commander';
import type { ActionResult } from '../../api/service.js';
import { type ApiOptions, CliError, call, target, withApi } from '../api-client.js';

export function restartCommand(): Command {
  return withApi(
    new Command('restart').description(
      'graceful restart: stop without NOTIFICATION keeping the kernel routes; the next run defers until End-of-RIB',
    ),
    true,
  ).action(async (o: ApiOptions) => {
    const r = await call<ActionResult>(target(o), 'POST', '/api/restart', {});
    if (r.status !== 200) throw new CliError(r.body.message ?? `HTTP ${r.status}`);
    process.stdout.write(o.json ? `${JSON.stringify(r.body, null, 2)}\n` : `${r.body.message}\n`);
  });
}
