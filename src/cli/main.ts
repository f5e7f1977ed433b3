#!/usr/bin/env node
/**
 * The `rackbgp` command: wires the subcommands to commander and maps usage errors (also a malformed
 * prefix or a view the daemon does not keep) to exit code 2 and failures of the API client (daemon
 * not reachable, unknown neighbor, action refused) to exit code 1.
 * Thin on purpose: each command lives in commands/ and works on the library or the API underneath.
 */
import { Command, type CommanderError } from 'commander';
import { CliError, UsageError } from './api-client.js';
import { clearCommand } from './commands/clear.js';
import { configCommand } from './commands/config.js';
import { decodeCommand } from './commands/decode.js';
import { eventsCommand, showHistoryCommand } from './commands/events.js';
import { faultCommand } from './commands/fault.js';
import { labCommand } from './commands/lab.js';
import { mrtCommand } from './commands/mrt.js';
import { neighborCommand, reloadCommand } from './commands/neighbor.js';
import { restartCommand } from './commands/restart.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';
import { packageVersion } from './version.js';

/** Exit status for usage and file errors (0 is success, including reported malformed messages). */
const USAGE_ERROR = 2;

const program = new Command('rackbgp')
  .description('A BGP-4 speaker for lab and top-of-rack emulation')
  .version(packageVersion(), '-V, --version')
  .addCommand(decodeCommand())
  .addCommand(runCommand())
  .addCommand(showCommand().addCommand(showHistoryCommand()))
  .addCommand(neighborCommand())
  .addCommand(reloadCommand())
  .addCommand(restartCommand())
  .addCommand(clearCommand())
  .addCommand(configCommand())
  .addCommand(labCommand())
  .addCommand(faultCommand())
  .addCommand(mrtCommand())
  .addCommand(eventsCommand());

const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
for (const cmd of all(program)) {
  cmd.showHelpAfterError('(add --help for usage)').exitOverride((e: CommanderError) => {
    // Help and --version exit 0; every other commander error is a usage error.
    process.exit(e.exitCode === 0 ? 0 : USAGE_ERROR);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CliError)) throw e;
  process.stderr.write(`rackbgp: ${e.message}\n`);
  process.exitCode = e instanceof UsageError ? USAGE_ERROR : 1;
}
