import { type Command, CommanderError } from 'commander';
import { isPrismError } from './errors.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Prints a coded error the way every Prism CLI does; anything uncoded is a bug and says so. */
export function reportError(io: Io, program: string, err: unknown): number {
  if (isPrismError(err)) {
    io.err(`${program}: error ${err.code}: ${err.message}\n  fix: ${err.action}\n`);
    return 1;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.err(`${program}: internal error (please report it with the lines below)\n${text}\n`);
  return 70;
}

/** Left-aligned first column, right-aligned others. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function formatConfig(config: unknown): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The common shape of a server main: parse flags, load and validate the configuration, then either
 * print it (--print-config) or start. Returns the exit status; never throws.
 */
export async function runServerMain<
  F extends { config?: string; printConfig?: boolean },
  C extends { profile: string },
>(
  name: string,
  command: Command,
  argv: string[],
  io: Io,
  load: (flags: F) => C,
  /** `reload` loads the configuration again from the same file and flags (SIGHUP). */
  start: (config: C, reload: () => C) => Promise<number>,
): Promise<number> {
  command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    command.parse(argv, { from: 'user' });
    const flags = command.opts<F>();
    const config = load(flags);
    if (flags.printConfig) {
      io.out(formatConfig(config));
      return 0;
    }
    return await start(config, () => load(flags));
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(io, name, err);
  }
}
