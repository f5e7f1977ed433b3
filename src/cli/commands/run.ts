/**
 * `rackbgp run -c FILE`: the daemon. Loads and validates the config (errors name file:line and
 * exit 1), binds every socket (BGP, the JSON API, /metrics) before it touches the kernel (a start
 * that fails exits 1 naming the key and address, kernel unchanged), logs with pino (JSON, pretty on a TTY),
 * reloads on SIGHUP (an invalid file is rejected and the running config stays), and on SIGTERM/SIGINT sends
 * Cease/Administrative Shutdown to every peer before exiting 0.
 */
import { Command, Option } from 'commander';
import { type Logger, pino } from 'pino';
import type { ReloadReport } from '../../api/daemon.js';
import { Speaker } from '../../api/daemon.js';
import { type ApiServer, startApi } from '../../api/http.js';
import { BgpService } from '../../api/service.js';
import { BmpFeed } from '../../bmp/feed.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { createMetrics } from '../../metrics/metrics.js';
import { type MetricsServer, startMetrics } from '../../metrics/server.js';
import { MrtRecorder } from '../../mrt/recorder.js';
import { RealClock } from '../../util/clock.js';
import { bindFailure, StartError } from '../../util/start-error.js';
import { chooseLogFormat, prettyStream } from '../log-pretty.js';
import { packageVersion } from '../version.js';

export function runCommand(): Command {
  return new Command('run')
    .description('run the BGP daemon')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .addOption(
      new Option('--log-format <format>', 'log lines as (default: pretty on a terminal, else json)').choices([
        'json',
        'pretty',
      ]),
    )
    .action(async (opts: { config: string; logLevel: string; logFormat?: 'json' | 'pretty' }) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(opts.config);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`rackbgp: invalid configuration\n${e.message}\n`);
        process.exit(1);
      }
      const options = { level: opts.logLevel, base: { pid: process.pid } };
      const format = chooseLogFormat(opts.logFormat, process.stdout.isTTY === true);
      const log = format === 'pretty' ? pino(options, prettyStream()) : pino(options);
      const speaker = new Speaker(config, { logger: log });
      let restartNow = (_why: string): void => {};
      const service = new BgpService(speaker, {
        loadConfig: () => loadConfig(opts.config),
        restart: () => restartNow('API'),
      });
      let api: ApiServer | null = null;
      let metrics: MetricsServer | null = null;
      try {
        // Every socket first (and, with fib: true, this namespace's FIB): a start that fails here has
        // changed nothing in the kernel. Only then does the speaker read and change the kernel's routes.
        await speaker.bind();
        // MRT and BMP before the sessions start, so their first messages are recorded.
        service.monitoring = startMonitoring(speaker, log);
        const apiAt = config.api;
        if (apiAt !== false) api = await bindAs('api', apiAt, () => startApi(service, apiAt));
        const metricsAt = config.metrics;
        if (metricsAt !== false)
          metrics = await bindAs('metrics', metricsAt, () =>
            startMetrics(createMetrics(service), metricsAt.address, metricsAt.port),
          );
        await speaker.start();
      } catch (e) {
        const message = (e as Error).message;
        log.error({ err: message, ...(e instanceof StartError && { key: e.key }) }, 'cannot start');
        process.stderr.write(`rackbgp: cannot start: ${message}\n`);
        await stopMonitoring(service);
        await speaker.stop('rackbgp could not start');
        await Promise.all([api?.close(), metrics?.close()]);
        process.exit(1);
      }
      log.info(
        {
          asn: config.asn,
          routerId: config['router-id'],
          neighbors: config.neighbors.length,
          api: api && `${config.api ? config.api.address : ''}:${api.port}`,
          metrics: metrics && `${config.metrics ? config.metrics.address : ''}:${metrics.port}`,
        },
        'rackbgp started',
      );
      let stopping = false;
      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        await speaker.stop('rackbgp shutting down');
        await stopMonitoring(service);
        log.info({ fibKept: speaker.config.fib && speaker.config['fib-keep-on-shutdown'] }, 'stopped');
        await Promise.all([api?.close(), metrics?.close()]);
        process.exit(0);
      };
      // RFC 4724 §4.1: `rackbgp restart` / SIGUSR2: no Cease, kernel routes kept, a marker for the next run.
      restartNow = (why: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ why }, 'graceful restart requested');
        void speaker.restartGracefully().then(
          async (marker) => {
            log.info({ marker }, 'stopped for a graceful restart: start again within the restart time');
            await Promise.all([api?.close(), metrics?.close()]);
            process.exit(0);
          },
          (e: Error) => {
            log.error({ err: e.message }, 'graceful restart failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGUSR2', () => restartNow('SIGUSR2'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGHUP', () => {
        log.info({ file: opts.config }, 'SIGHUP: reloading the configuration');
        service.reload().then(
          (r) => logReload(log, r),
          (e: Error) => log.error({ err: e.message }, 'reload failed'),
        );
      });
    });
}

/** The `mrt:` recorder (its file opened now: a StartError when it cannot be written) and BMP stations. */
function startMonitoring(speaker: Speaker, log: Logger): BgpService['monitoring'] {
  const config = speaker.config;
  let mrt: MrtRecorder | undefined;
  if (config.mrt) {
    try {
      mrt = new MrtRecorder(speaker, config.mrt, { clock: new RealClock(), log });
    } catch (e) {
      throw new StartError('mrt', (e as Error).message);
    }
    mrt.start();
    log.info(
      { file: mrt.currentFile, messages: config.mrt.messages, interval: config.mrt.interval },
      'MRT recording',
    );
  }
  if (!config.bmp.length) return { ...(mrt && { mrt }), bmp: [] };
  // An unreachable station is logged and retried with backoff; BGP starts regardless.
  const feed = new BmpFeed(speaker, config.bmp, {
    clock: new RealClock(),
    log,
    sysDescr: `rackbgp ${packageVersion()}`,
  });
  feed.start();
  log.info({ stations: config.bmp.map((b) => `${b.address}:${b.port}`) }, 'BMP monitoring');
  return { ...(mrt && { mrt }), bmp: feed.stations, stop: () => feed.stop() };
}

async function stopMonitoring(service: BgpService): Promise<void> {
  const m = service.monitoring;
  service.monitoring = { bmp: [] };
  m.mrt?.stop();
  await m.stop?.();
}

/** Runs a bind of the `api` or `metrics` server; its failure becomes a StartError naming key and address. */
async function bindAs<T>(
  key: 'api' | 'metrics',
  at: { readonly address: string; readonly port: number },
  bind: () => Promise<T>,
): Promise<T> {
  try {
    return await bind();
  } catch (e) {
    throw bindFailure(key, at.address, at.port, e);
  }
}

function logReload(log: Logger, r: ReloadReport): void {
  if (!r.ok) log.error({ errors: r.errors }, 'reload rejected; the running configuration stays');
  else
    log.info(
      { actions: r.actions.length, networks: r.networks, restartRequired: r.restartRequired },
      'configuration reloaded',
    );
}
