import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ImportReport } from '../../../admin/src/transfer.js';
import type { Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { describe } from '../../../core/src/names.js';
import { type AdminOption, adminClient, withAdmin } from './admin-commands.js';

const fileError = (what: string, path: string, err: unknown) =>
  new PrismError(
    'PRISM-CONFIG-008',
    `cannot ${what} ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
  );

/** Writes the export readable by its owner only, complete or not at all. */
function writeSecret(path: string, text: string): void {
  const partial = `${path}.${process.pid}.tmp`;
  try {
    rmSync(partial, { force: true });
    writeFileSync(partial, text, { mode: 0o600, flag: 'wx' });
    chmodSync(partial, 0o600);
    renameSync(partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    throw fileError('write', path, err);
  }
}

export function registerTransferCommands(program: Command, io: Io): void {
  withAdmin(program.command('export'))
    .description(
      "everything the admin stores, as one JSON document for `prismctl import` (it holds the namespace signing keys' private parts: keep it like a key file)",
    )
    .option('--out <file>', 'write to this file, mode 0600, instead of stdout')
    .action(async (opts: AdminOption & { out?: string }) => {
      const json = await adminClient(opts, io).call('GET', '/v1/export');
      const text = `${JSON.stringify(json, null, 2)}\n`;
      const doc = json as { namespaces?: unknown[]; signingKeys?: unknown[] };
      const summary = `${doc.namespaces?.length ?? 0} namespaces, ${doc.signingKeys?.length ?? 0} signing keys with their private keys`;
      if (!opts.out) {
        io.out(text);
        io.err(`prismctl: exported ${summary}: keep the output as secret as a key file (--out FILE writes it 0600)\n`);
        return;
      }
      writeSecret(opts.out, text);
      io.err(`prismctl: exported ${summary} to ${opts.out} (mode 0600)\n`);
    });

  withAdmin(program.command('import').argument('<file>', 'a document `prismctl export` wrote'))
    .description('load an export into the admin: only into an empty admin unless --force')
    .option('--force', 'merge into an admin that holds data: records in the file replace those with the same name')
    .action(async (file: string, opts: AdminOption & { force?: boolean }) => {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw fileError('read the export', file, err);
      }
      const json = await adminClient(opts, io).call('POST', `/v1/import${opts.force ? '?force=true' : ''}`, doc);
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const r = json as ImportReport;
      io.out(
        `imported ${r.namespaces} namespaces, ${r.revocations} revocations, ${r.signingKeys} signing keys, ${r.settings} settings, ${r.proxies} proxies, ${r.audit} audit entries; partition table v${r.tableVersion}\n`,
      );
      for (const w of r.warnings) io.out(`warning  ${w}\n`);
    });
}
