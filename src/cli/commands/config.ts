/** `rackbgp config check FILE`: validates a config file; exit 0, or 1 with "file:line:col: key: message" lines. */
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.js';

export function configCommand(): Command {
  return new Command('config').description('configuration files').addCommand(
    new Command('check')
      .description('validate a config file (exit 0, or 1 with file:line:col errors)')
      .argument('<file>')
      .action((file: string) => {
        try {
          const c = loadConfig(file);
          const policies = Object.keys(c.policies).length;
          process.stdout.write(
            `${file}: OK (AS ${c.asn}, router-id ${c['router-id']}, ${c.neighbors.length} neighbors, ` +
              `${c['listen-ranges'].length} listen ranges, ${policies} policies)\n`,
          );
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          process.stderr.write(`${e.message}\n`);
          process.exitCode = 1;
        }
      }),
  );
}
