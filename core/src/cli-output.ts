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

const NUMBER = /^([+-]?\d+(\.\d+)?|-)$/;

/** Numbers right-aligned (a column of numbers or `-` only), everything else left-aligned, as kubectl does. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => NUMBER.test(String(r[i]))));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** The views of every prismctl read: `table` (the default, at most 100 columns with realistic data), `wide` (every column), `json`. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A cell cut to `max` characters, ending in `~` when cut; the whole value is in the wide and JSON views. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}~`;
}

/**
 * A time as kubectl prints an AGE, relative to `now`: `45s`, `12m`, `5h`, `3d` for a time that is past
 * (how long ago) or to come (how long until); `-` when there is none.
 */
export function age(at: Date | undefined, now = Date.now()): string {
  if (!at) return '-';
  const s = Math.abs(Math.round((at.getTime() - now) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7_200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3_600)}h`;
  return `${Math.floor(s / 86_400)}d`;
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
