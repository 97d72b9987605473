import type { Command } from 'commander';
import { type PlanResult, type ProxySpec, planTable } from '../../../core/src/assign/plan.js';
import { parseStrategy, strategyFromEnum } from '../../../core/src/assign/strategy.js';
import { formatTable, type Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { checkNamespace, describe } from '../../../core/src/names.js';
import { partitionOf } from '../../../core/src/partition.js';
import { readTableFile, tableBalance, tableToJson } from '../../../core/src/table.js';
import type { PartitionTable, TableRules } from '../../../proto/gen/prism/admin/v1/partition.js';
import { type AdminFlags, withAdminFlags } from './admin-client.js';
import { withOutput } from './admin-commands.js';
import { livePlan } from './fleet-commands.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerPartitionCommands(program: Command, io: Io): void {
  program
    .command('partition')
    .description('print the partition of each namespace: "NS PARTITION" per line (crc32(ns) mod 256)')
    .argument('<namespace...>', 'namespace names')
    .action((names: string[]) => {
      const checked = names.map(checkNamespace);
      io.out(checked.map((ns) => `${ns} ${partitionOf(ns)}\n`).join(''));
    });

  const partitions = program.command('partitions').description('plan and inspect partition tables');
  withOutput(withAdminFlags(partitions.command('plan')), 'the table offline, the plan live, as proto3 JSON')
    .description(
      "compute a partition table: offline with --proxies (a summary, or the table with --json); else the live admin's plan for the change the flags describe, in rounds (with no change flag: the change it would make now, e.g. one awaiting approval)",
    )
    .option('--proxies <ids>', 'offline: comma-separated proxy ids, e.g. proxy-a,proxy-b,proxy-c')
    .option(
      '--weights <list>',
      'weights 1-256, as id=w,... or (offline) one per proxy in --proxies order (default 1 each)',
    )
    .option('--previous <file>', 'table in force (proto3 JSON); owners are kept wherever balance allows')
    .option(
      '--strategy <name>',
      "consistent_hash | key_range | explicit (default: the previous table's, else consistent_hash)",
    )
    .option('--prefix <rule>', 'key_range rule PREFIX=PROXY[+PROXY...], repeatable', collect)
    .option('--pin <pin>', 'explicit pin NAMESPACE=PROXY, repeatable', collect)
    .option('--pin-partition <pin>', 'explicit pin PARTITION=PROXY, repeatable', collect)
    .option('--out <file>', 'live: write the request and the plan to FILE for `partitions apply --plan FILE`')
    .addHelpText(
      'after',
      `
Examples:
  prismctl partitions plan --proxies a,b,c --json > v1.json
  prismctl partitions plan --proxies a,b,c,d --previous v1.json        # 64 partitions move, all to d
  prismctl partitions plan --proxies a,b,c --strategy key_range --prefix acme-=a --prefix eu-=b+c
  prismctl partitions plan --proxies a,b,c --strategy explicit --pin orders-prod=a --pin-partition 7=b
  prismctl partitions plan --weights proxy-a=2 --out plan.json     # against the live admin
  prismctl partitions apply --plan plan.json`,
    )
    .action(async (opts: PlanOptions, cmd: Command) => {
      if (opts.proxies === undefined) {
        if (opts.previous !== undefined) cmd.error('error: --previous plans offline: give --proxies too');
        const strategy = opts.strategy === undefined ? undefined : parseStrategy(opts.strategy);
        return livePlan(opts, parseRules(opts), strategy, io);
      }
      const previous = opts.previous === undefined ? undefined : readTableFile(opts.previous);
      const proxies = parseFleet(opts.proxies, opts.weights);
      const rules = parseRules(opts);
      const result = planTable({ previous, proxies, strategy: opts.strategy, rules });
      io.out(opts.json ? tableToJson(result.table) : summarize(result, previous));
    });
}

interface PlanOptions extends AdminFlags {
  proxies?: string;
  weights?: string;
  previous?: string;
  strategy?: string;
  prefix?: string[];
  pin?: string[];
  pinPartition?: string[];
  json?: boolean;
  out?: string;
}

function parseFleet(proxiesArg: string, weightsArg: string | undefined): ProxySpec[] {
  const ids = list(proxiesArg);
  if (weightsArg === undefined) return ids.map((id) => ({ id }));
  const items = list(weightsArg);
  const weights = new Map<string, number>();
  if (items.every((i) => i.includes('='))) {
    for (const item of items) {
      const [id, w] = item.split('=', 2);
      if (!ids.includes(id)) {
        throw new PrismError('PRISM-PLAN-001', `--weights names proxy ${describe(id)}, which is not in --proxies`);
      }
      weights.set(id, toNumber(w, id));
    }
  } else {
    if (items.length !== ids.length) {
      throw new PrismError(
        'PRISM-PLAN-001',
        `--weights has ${items.length} values for ${ids.length} proxies; give one per proxy or use id=weight`,
      );
    }
    for (const [i, w] of items.entries()) weights.set(ids[i], toNumber(w, ids[i]));
  }
  return ids.map((id) => ({ id, weight: weights.get(id) ?? 1 }));
}

function toNumber(text: string, id: string): number {
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) {
    throw new PrismError('PRISM-PLAN-001', `weight ${describe(text)} of proxy ${describe(id)} is not a number`);
  }
  return n;
}

function parseRules(opts: PlanOptions): TableRules | undefined {
  if (!opts.prefix && !opts.pin && !opts.pinPartition) return undefined;
  const split = (item: string, form: string): [string, string] => {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) {
      throw new PrismError('PRISM-PLAN-006', `rule ${describe(item)} is not of the form ${form}`);
    }
    return [item.slice(0, at), item.slice(at + 1)];
  };
  return {
    prefixRules: (opts.prefix ?? []).map((item) => {
      const [prefix, proxies] = split(item, 'PREFIX=PROXY[+PROXY...]');
      return { prefix, proxies: proxies.split('+') };
    }),
    namespacePins: (opts.pin ?? []).map((item) => {
      const [namespace, proxy] = split(item, 'NAMESPACE=PROXY');
      return { namespace, proxy };
    }),
    partitionPins: (opts.pinPartition ?? []).map((item) => {
      const [partition, proxy] = split(item, 'PARTITION=PROXY');
      if (!/^\d{1,3}$/.test(partition)) {
        throw new PrismError('PRISM-PLAN-006', `partition ${describe(partition)} is not a partition number 0-255`);
      }
      return { partition: Number(partition), proxy };
    }),
  };
}

function summarize(result: PlanResult, previous: PartitionTable | undefined): string {
  const { table } = result;
  const before = previous ? tableBalance(previous).counts : new Map<string, number>();
  const ids = [...new Set([...table.proxies.map((p) => p.id), ...before.keys()])].sort();
  const weight = new Map(table.proxies.map((p) => [p.id, p.weight]));
  const rows = ids.map((id) => {
    const now = result.counts.get(id) ?? 0;
    const change = now - (before.get(id) ?? 0);
    return [
      weight.has(id) ? id : `${id} (leaves)`,
      weight.get(id) ?? '-',
      now,
      weight.has(id) ? (result.fairShares.get(id) ?? 0).toFixed(2) : '-',
      previous ? (change > 0 ? `+${change}` : String(change)) : '',
    ];
  });
  const { imbalance } = tableBalance(table);
  const lines = [
    `Partition table v${table.version}, strategy ${strategyFromEnum(table.strategy)}, ${table.proxies.length} proxies, 256 partitions`,
  ];
  if (previous) {
    lines.push(
      result.changed
        ? `Against v${previous.version}: ${result.moved} of 256 partitions move (${((result.moved / 256) * 100).toFixed(1)}%)`
        : `Same as v${previous.version}: nothing changes`,
    );
  }
  const rules = table.rules;
  const ruleCounts = [
    [rules?.prefixRules.length ?? 0, 'prefix rule'],
    [rules?.namespacePins.length ?? 0, 'namespace pin'],
    [rules?.partitionPins.length ?? 0, 'partition pin'],
  ].filter(([n]) => n) as [number, string][];
  if (ruleCounts.length)
    lines.push(`Rules: ${ruleCounts.map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`).join(', ')}`);
  lines.push('');
  return `${lines.join('\n')}\n${formatTable(
    ['PROXY', 'WEIGHT', 'PARTITIONS', 'FAIR SHARE', previous ? 'CHANGE' : ''],
    rows,
  )}\nBalance: largest share / fair share = ${imbalance.toFixed(3)}\n`;
}
