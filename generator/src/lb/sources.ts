import { readFileSync } from 'node:fs';
import { PrismError } from '../../../core/src/errors.js';
import { readTableFile } from '../../../core/src/table.js';
import { ListNamespacesResponse } from '../../../proto/gen/prism/admin/v1/operator.js';
import { PartitionTable } from '../../../proto/gen/prism/admin/v1/partition.js';
import type { AdminClient } from '../cli/admin-client.js';

export interface LbInput {
  table: PartitionTable;
  namespaces: string[];
}

async function listNamespaces(client: AdminClient, signal?: AbortSignal): Promise<string[]> {
  const namespaces: string[] = [];
  let token = '';
  do {
    const page = ListNamespacesResponse.fromJSON(
      await client.call('GET', `/v1/namespaces?pageSize=1000&pageToken=${token}`, undefined, { signal }),
    );
    namespaces.push(...page.namespaces.map((n) => n.name));
    token = page.nextPageToken;
  } while (token);
  return namespaces;
}

/** The live table and the registered namespaces from the admin. */
export async function fromAdmin(client: AdminClient): Promise<LbInput> {
  const table = PartitionTable.fromJSON(await client.call('GET', '/v1/partition-table'));
  return { table, namespaces: await listNamespaces(client) };
}

/** Where watch mode reads the table: resolves once the version differs from `after`, or after the source's own wait. */
export type LbSource = (after: number | undefined, signal: AbortSignal) => Promise<LbInput>;

export interface FollowOptions {
  /** How long the admin holds a request when nothing changed (it answers the current table then). */
  waitMs: number;
  /** Whether the rendered files depend on the namespace names (NGINX without njs); only then are they listed. */
  namespaces: boolean;
  /**
   * Who this watcher is and the version its load balancer runs, sent as X-Prism-Watcher and
   * X-Prism-Applied-Version so that the admin's status page lists it.
   */
  identity?: () => { name: string; target: string; applied: number };
}

/**
 * Follows the admin by long-poll: `GET /v1/partition-table?afterVersion=N&waitMs=M` answers at once
 * when the table is newer than N, else when it changes, else after M with the current one. The
 * namespace list (paged, the costly call) is read only for a target that renders it, on every
 * answer: the admin has no cheap change signal for namespaces yet. Failures are PRISM-LB-008.
 */
export function followAdmin(client: AdminClient, options: FollowOptions): LbSource {
  return async (after, signal) => {
    try {
      const query = after === undefined ? '' : `?afterVersion=${after}&waitMs=${options.waitMs}`;
      const who = options.identity?.();
      const headers = who
        ? { 'x-prism-watcher': `${who.name}; target=${who.target}`, 'x-prism-applied-version': String(who.applied) }
        : undefined;
      const table = PartitionTable.fromJSON(
        await client.call('GET', `/v1/partition-table${query}`, undefined, {
          timeoutMs: options.waitMs + 15_000,
          signal,
          headers,
        }),
      );
      return { table, namespaces: options.namespaces ? await listNamespaces(client, signal) : [] };
    } catch (err) {
      if (signal.aborted) throw err;
      const what = err instanceof PrismError ? `${err.code}: ${err.message}` : (err as Error).message;
      throw new PrismError('PRISM-LB-008', `cannot read the partition table: ${what}`);
    }
  };
}

/** An offline table (proto3 JSON) and, optionally, a file of namespace names (one per line, # comments). */
export function fromFiles(tableFile: string, namespacesFile?: string): LbInput {
  const table = readTableFile(tableFile);
  let namespaces: string[] = [];
  if (namespacesFile) {
    let text: string;
    try {
      text = readFileSync(namespacesFile, 'utf8');
    } catch (err) {
      throw new PrismError(
        'PRISM-LB-001',
        `cannot read the namespaces file ${JSON.stringify(namespacesFile)}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    namespaces = text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
  }
  return { table, namespaces };
}
