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

/** The live table and the registered namespaces from the admin. */
export async function fromAdmin(client: AdminClient): Promise<LbInput> {
  const table = PartitionTable.fromJSON(await client.call('GET', '/v1/partition-table'));
  const namespaces: string[] = [];
  let token = '';
  do {
    const page = ListNamespacesResponse.fromJSON(
      await client.call('GET', `/v1/namespaces?pageSize=1000&pageToken=${token}`),
    );
    namespaces.push(...page.namespaces.map((n) => n.name));
    token = page.nextPageToken;
  } while (token);
  return { table, namespaces };
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
