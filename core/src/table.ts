import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { PartitionTable } from '../../proto/gen/prism/admin/v1/partition.js';
import { normalizeRules } from './assign/rules.js';
import { strategyFromEnum } from './assign/strategy.js';
import { PrismError } from './errors.js';
import { describe, PROXY_ID_PATTERN } from './names.js';
import { PARTITION_COUNT } from './partition.js';
import { partitionTableSchema } from './table-schema.js';

const ajv = new Ajv({ allErrors: false, strict: true });
const validateShape = ajv.compile(partitionTableSchema);

/**
 * Parses and checks a table given as proto3 JSON (text or an already parsed value): shape and types
 * first (PRISM-TABLE-002), then meaning (PRISM-TABLE-003): 256 distinct partitions, owners in the
 * fleet, valid ids, rules consistent with the strategy.
 */
export function parseTable(json: unknown, source = 'input'): PartitionTable {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new PrismError('PRISM-TABLE-002', `${source} is not JSON: ${(err as Error).message}`);
    }
  }
  if (!validateShape(value)) {
    const e = validateShape.errors?.[0];
    const where = e?.instancePath ? `field ${e.instancePath}` : 'the top level';
    const extra = e?.keyword === 'additionalProperties' ? ` (${describe(e.params.additionalProperty)})` : '';
    throw new PrismError(
      'PRISM-TABLE-002',
      `${source} is not a partition table: ${where} ${e?.message ?? 'is invalid'}${extra}`,
    );
  }
  const table = PartitionTable.fromJSON(value);
  checkTable(table, source);
  return table;
}

export function readTableFile(path: string): PartitionTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PrismError(
      'PRISM-TABLE-001',
      `cannot read table file ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseTable(text, `table file ${describe(path)}`);
}

/** Semantic checks of a decoded table; throws PRISM-TABLE-003 naming the first problem. */
export function checkTable(table: PartitionTable, source = 'table'): void {
  const bad = (what: string) => new PrismError('PRISM-TABLE-003', `${source}: ${what}`);
  if (table.version < 1) throw bad('version must be 1 or more');
  const fleet = new Set<string>();
  for (const p of table.proxies) {
    if (!PROXY_ID_PATTERN.test(p.id)) throw bad(`proxy id ${describe(p.id)} is not a valid proxy id`);
    if (fleet.has(p.id)) throw bad(`proxy ${describe(p.id)} is listed twice`);
    if (p.weight > 256) throw bad(`proxy ${describe(p.id)} has weight ${p.weight}, above 256`);
    fleet.add(p.id);
  }
  if (table.assignments.length !== PARTITION_COUNT) {
    throw bad(`has ${table.assignments.length} assignments; a table has exactly ${PARTITION_COUNT}`);
  }
  const seen = new Set<number>();
  for (const a of table.assignments) {
    if (a.partition >= PARTITION_COUNT) throw bad(`partition ${a.partition} is out of range 0-255`);
    if (seen.has(a.partition)) throw bad(`partition ${a.partition} is assigned twice`);
    seen.add(a.partition);
    if (!fleet.has(a.owner))
      throw bad(`partition ${a.partition} is owned by ${describe(a.owner)}, which is not in proxies`);
  }
  if (table.rules) {
    try {
      normalizeRules(table.rules, strategyFromEnum(table.strategy), fleet);
    } catch (err) {
      throw bad(`its rules are invalid: ${(err as Error).message}`);
    }
  }
  table.assignments.sort((a, b) => a.partition - b.partition);
}

/** Partitions per proxy, and the largest count over its weighted fair share (1.0 = perfect). */
export function tableBalance(table: PartitionTable): { counts: Map<string, number>; imbalance: number } {
  const counts = new Map<string, number>(table.proxies.map((p) => [p.id, 0]));
  for (const a of table.assignments) counts.set(a.owner, (counts.get(a.owner) ?? 0) + 1);
  const totalWeight = table.proxies.reduce((s, p) => s + (p.weight || 1), 0);
  let imbalance = 0;
  for (const p of table.proxies) {
    const fair = (PARTITION_COUNT * (p.weight || 1)) / totalWeight;
    imbalance = Math.max(imbalance, (counts.get(p.id) ?? 0) / fair);
  }
  return { counts, imbalance };
}

/** Partitions whose owner differs between two tables. */
export function movedPartitions(before: PartitionTable, after: PartitionTable): number[] {
  const owners = new Map(before.assignments.map((a) => [a.partition, a.owner]));
  return after.assignments.filter((a) => owners.get(a.partition) !== a.owner).map((a) => a.partition);
}

/** Canonical proto3 JSON text of a table (2-space indent, trailing newline). */
export function tableToJson(table: PartitionTable): string {
  return `${JSON.stringify(PartitionTable.toJSON(table), null, 2)}\n`;
}

export { strategyFromEnum };
