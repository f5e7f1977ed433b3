/**
 * `rackbgp run -c FILE`: the daemon. Loads and validates the config (errors name file:line and
 * exit 1), starts the speaker and the API, logs JSON lines with pino, and on SIGTERM/SIGINT sends
 * Cease/Administrative Shutdown to every peer before exiting.
 */
import { Command } from 'commander';
import { pino } from 'pino';
import { startApi } from '../../api/http.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { Speaker } from '../../core/speaker.js';

export function runCommand(): Command {
  return new Command('run')
    .description('run the BGP daemon')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action(async (opts: { config: string; logLevel: string }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(opts.config);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`rackbgp: invalid configuration\n${e.message}\n`);
        process.exit(1);
      }
      const log = pino({ level: opts.logLevel, base: { pid: process.pid } });
      const speaker = new Speaker(config, { logger: log });
      try {
        await speaker.start();
      } catch (e) {
        log.error({ err: (e as Error).message }, 'cannot start');
        process.exit(1);
      }
      const api = config.api ? await startApi(speaker, config.api.address, config.api.port) : null;
      log.info(
        {
          asn: config.asn,
          routerId: config['router-id'],
          neighbors: config.neighbors.length,
          api: api?.port,
        },
        'rackbgp started',
      );
      let stopping = false;
      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        await speaker.stop('rackbgp shutting down');
        await api?.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
      // TODO(issue 5): reload on SIGHUP; until then the signal must not kill the daemon.
      process.on('SIGHUP', () => log.warn('SIGHUP: reload is not implemented yet; configuration unchanged'));
    });
}
