/**
 * `rackbgp mrt dump FILE`: the running daemon writes a TABLE_DUMP_V2 snapshot of its RIB (RFC 6396
 * §4.3) to FILE (resolved here, written by the daemon); `rackbgp mrt status` shows the `mrt:` recorder.
 * A file the daemon cannot write is a usage error (exit 2) with the reason; nothing else changes.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { type ApiOptions, CliError, call, getJson, target, UsageError, withApi } from '../api-client.js';

interface DumpAnswer {
  file: string;
  peers: number;
  prefixes: number;
  paths: number;
  bytes: number;
  error?: string;
}

export function mrtCommand(): Command {
  const mrt = new Command('mrt').description(
    'MRT (RFC 6396) RIB snapshots and the recorder of the mrt: config',
  );
  mrt.addCommand(
    withApi(
      new Command('dump').description('write a TABLE_DUMP_V2 snapshot of the RIB to FILE').argument('<file>'),
    ).action(async (file: string, o: ApiOptions & { json?: boolean }) => {
      const r = await call<DumpAnswer>(target(o), 'POST', '/api/mrt/dump', { file: resolve(file) });
      if (r.status === 400) throw new UsageError(r.body.error ?? 'refused');
      if (r.status !== 200) throw new CliError(r.body.error ?? `HTTP ${r.status}`);
      const b = r.body;
      process.stdout.write(
        o.json
          ? `${JSON.stringify(b, null, 2)}\n`
          : `${b.file}: ${b.prefixes} prefixes, ${b.paths} paths from ${b.peers} peers, ${b.bytes} octets\n`,
      );
    }),
  );
  mrt.addCommand(
    withApi(
      new Command('status').description('the mrt: recorder: current file, records, octets, errors'),
    ).action(async (o: ApiOptions & { json?: boolean }) => {
      const s = await getJson<Record<string, unknown>>(target(o), '/api/mrt');
      process.stdout.write(
        o.json
          ? `${JSON.stringify(s, null, 2)}\n`
          : `${Object.entries(s)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}\n`,
      );
    }),
  );
  return mrt;
}
