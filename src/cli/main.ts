#!/usr/bin/env node
/**
 * The `rackbgp` command: wires the subcommands to commander and maps usage errors to exit code 2.
 * Thin on purpose: each command lives in commands/ and works on the library underneath.
 */
import { Command, type CommanderError } from 'commander';
import { decodeCommand } from './commands/decode.js';
import { runCommand } from './commands/run.js';
import { packageVersion } from './version.js';

/** Exit status for usage and file errors (0 is success, including reported malformed messages). */
const USAGE_ERROR = 2;

const program = new Command('rackbgp')
  .description('A BGP-4 speaker for lab and top-of-rack emulation')
  .version(packageVersion(), '-V, --version')
  .addCommand(decodeCommand())
  .addCommand(runCommand());

for (const cmd of [program, ...program.commands]) {
  cmd.showHelpAfterError('(add --help for usage)').exitOverride((e: CommanderError) => {
    // Help and --version exit 0; every other commander error is a usage error.
    process.exit(e.exitCode === 0 ? 0 : USAGE_ERROR);
  });
}

await program.parseAsync(process.argv);
