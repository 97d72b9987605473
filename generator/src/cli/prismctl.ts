import { Command, CommanderError } from 'commander';
import { type Io, processIo, reportError } from '../../../core/src/cli-output.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerAuthCommands } from './auth-commands.js';
import { registerCertsCommands } from './certs.js';
import { registerCompletionCommand } from './completion.js';
import { registerFleetCommands } from './fleet-commands.js';
import { registerLbCommands } from './lb.js';
import { registerPartitionCommands } from './partitions.js';
import { registerTransferCommands } from './transfer-commands.js';

export const VERSION = '0.1.0';

const HELP_AFTER = `
Reads print a table within 100 columns; -o wide shows every column, -o json (or --json) the admin's JSON.
The admin is --admin, else $PRISM_ADMIN; the token --token-file, else $PRISM_TOKEN, else
prism-local/operator.token (npm start writes it); the CA --ca, else $PRISM_CA, else prism-local/ca.crt.

Exit status:
  0   done
  1   error: a coded error (PRISM-...) on stderr, such as the admin refusing the call or not answering
  2   usage: unknown command or option, missing argument, a value outside its choices
  70  internal error: a bug in prismctl; please report it with what it printed
`;

export function buildPrismctl(io: Io = processIo): Command {
  const program = new Command('prismctl')
    .description(
      'Prism Edge operator CLI: partitions, namespaces, proxies, load-balancer configs and fleet certificates',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Lets `proxies` keep its own flags apart from those of `proxies drain` (commander needs it here too).
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText('after', HELP_AFTER);
  registerPartitionCommands(program, io);
  registerAdminCommands(program, io);
  registerFleetCommands(program, io);
  registerAuthCommands(program, io);
  registerTransferCommands(program, io);
  registerLbCommands(program, io);
  registerCertsCommands(program, io);
  // Last: it reads the tree the others built.
  registerCompletionCommand(program, io);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const sub of all(program)) sub.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

/** Runs prismctl; returns the exit status (0 ok, 1 coded error, 2 usage error, 70 internal error: HELP_AFTER). */
export async function runPrismctl(argv: string[], io: Io = processIo): Promise<number> {
  try {
    await buildPrismctl(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(io, 'prismctl', err);
  }
}
