import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatTable, type Io } from '../../../core/src/cli-output.js';
import { PrismError } from '../../../core/src/errors.js';
import { checkProxyId, describe } from '../../../core/src/names.js';
import { tableBalance } from '../../../core/src/table.js';
import { RebalancePlan, RebalanceRequest, Rollout } from '../../../proto/gen/prism/admin/v1/operator.js';
import { PartitionTable, Proxy as ProxyMessage } from '../../../proto/gen/prism/admin/v1/partition.js';
import type { AdminClient } from './admin-client.js';
import { type AdminOption, adminClient, withAdmin } from './admin-commands.js';

/** What `partitions plan --out` writes: the request, and the admin's answer to it. */
interface PlanFile {
  request: unknown;
  plan: unknown;
}

const percent = (n: number) => `${((n / 256) * 100).toFixed(1)}%`;

/** A summary of an admin's plan against its current table. */
function describePlan(plan: RebalancePlan, current: PartitionTable | undefined): string {
  const target = plan.table as PartitionTable;
  const before = current ? tableBalance(current).counts : new Map<string, number>();
  const after = tableBalance(target).counts;
  const ids = [...new Set([...after.keys(), ...before.keys()])].sort();
  const weight = new Map(target.proxies.map((p) => [p.id, p.weight]));
  const rows = ids.map((id) => {
    const change = (after.get(id) ?? 0) - (before.get(id) ?? 0);
    return [
      weight.has(id) ? id : `${id} (leaves)`,
      weight.get(id) ?? '-',
      after.get(id) ?? 0,
      change > 0 ? `+${change}` : String(change),
    ];
  });
  const head =
    plan.movedPartitions === 0 && plan.rounds === 0
      ? `Against v${plan.fromVersion}: nothing changes`
      : `Against v${plan.fromVersion}: ${plan.movedPartitions} of 256 partitions move (${percent(plan.movedPartitions)}) in ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} of at most ${plan.maxMovesPerRound}, leading to v${target.version}`;
  return `${head}\n\n${formatTable(['PROXY', 'WEIGHT', 'PARTITIONS', 'CHANGE'], rows)}Balance: largest share / fair share = ${plan.imbalanceRatio.toFixed(3)}\n`;
}

async function liveTable(client: AdminClient): Promise<PartitionTable | undefined> {
  try {
    return PartitionTable.fromJSON(await client.call('GET', '/v1/partition-table'));
  } catch (err) {
    if ((err as PrismError).code === 'PRISM-TABLE-004') return undefined;
    throw err;
  }
}

export interface LivePlanOptions extends AdminOption {
  weights?: string;
  strategy?: string;
  prefix?: string[];
  pin?: string[];
  pinPartition?: string[];
  out?: string;
}

/**
 * `partitions plan` without --proxies: the admin's plan for the change the flags describe, against
 * its live table; with no change flag, the change it would make now (the one awaiting approval, if
 * any). With --out, the request and the plan go to a file for `partitions apply --plan`.
 */
export async function livePlan(
  opts: LivePlanOptions,
  rules: RebalanceRequest['rules'],
  strategy: string | undefined,
  io: Io,
): Promise<void> {
  const client = adminClient(opts, io);
  const request: RebalanceRequest = {
    strategy: 0,
    rules,
    weights: opts.weights ? liveWeights(opts.weights) : {},
    expectedVersion: 0,
  };
  const body = RebalanceRequest.toJSON(request) as Record<string, unknown>;
  if (strategy) body.strategy = `STRATEGY_${strategy.toUpperCase()}`;
  const json = await client.call('POST', '/v1/partition-table:plan', body);
  const plan = RebalancePlan.fromJSON(json);
  const rollout = Rollout.fromJSON(await client.call('GET', '/v1/partition-table/rollout'));
  if (opts.out) {
    const file: PlanFile = { request: body, plan: json };
    writeFileSync(`${opts.out}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(`${opts.out}.tmp`, opts.out);
  }
  if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
  const changeFlags = Object.keys(body).length > 0;
  const notes: string[] = [];
  if (!changeFlags && rollout.awaitingApproval) {
    notes.push(
      `This change (${rollout.reason || 'automatic'}) is awaiting approval: it moves more than the admin's rebalance.approvalThreshold.`,
    );
  }
  if (rollout.inProgress) {
    notes.push(
      `A rollout is in progress (${rollout.reason}): round ${rollout.roundsDone} of ${rollout.roundsTotal}, ${rollout.remainingMoves} moves left.`,
    );
  }
  if (opts.out) notes.push(`Wrote ${opts.out}; apply it with: prismctl partitions apply --plan ${opts.out}`);
  io.out(describePlan(plan, await liveTable(client)) + notes.map((n) => `${n}\n`).join(''));
}

function liveWeights(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const item of text.split(',').map((s) => s.trim())) {
    const [id, w] = item.split('=', 2);
    const n = Number(w);
    if (!id || w === undefined || !Number.isInteger(n) || n < 1 || n > 256) {
      throw new PrismError(
        'PRISM-PLAN-001',
        `--weights ${describe(item)} is not id=weight with a weight from 1 to 256 (against a live admin, weights name their proxy)`,
      );
    }
    weights[checkProxyId(id)] = n;
  }
  return weights;
}

function readPlan(path: string): { request: Record<string, unknown>; plan: RebalancePlan } {
  let file: PlanFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PrismError(
      'PRISM-TABLE-005',
      `cannot read plan file ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (typeof file !== 'object' || file === null || typeof file.request !== 'object' || typeof file.plan !== 'object') {
    throw new PrismError('PRISM-TABLE-005', `plan file ${describe(path)} has no "request" and "plan" objects`);
  }
  const plan = RebalancePlan.fromJSON(file.plan);
  if (!plan.fromVersion) {
    throw new PrismError('PRISM-TABLE-005', `plan file ${describe(path)} names no table version it was made against`);
  }
  return { request: file.request as Record<string, unknown>, plan };
}

export function registerFleetCommands(program: Command, io: Io): void {
  const partitions = program.commands.find((c) => c.name() === 'partitions');
  const proxies = program.commands.find((c) => c.name() === 'proxies');
  if (!partitions || !proxies) throw new Error('register the partitions and proxies commands first');

  withAdmin(partitions.command('apply'))
    .description(
      'apply a plan written by `partitions plan --out FILE`; refused (PRISM-TABLE-006) when the table changed since. Applying the change awaiting approval approves it',
    )
    .requiredOption('--plan <file>', 'the plan file')
    .action(async (opts: AdminOption & { plan: string }) => {
      const { request, plan } = readPlan(opts.plan);
      const json = await adminClient(opts, io).call('POST', '/v1/partition-table:apply', {
        ...request,
        expectedVersion: plan.fromVersion,
      });
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const applied = RebalancePlan.fromJSON(json);
      io.out(
        `Applied against v${applied.fromVersion}: ${applied.movedPartitions} partitions move in ${applied.rounds} rounds; follow it with prismctl partitions rollout\n`,
      );
    });

  withAdmin(partitions.command('rollback'))
    .description('move back to the owners (and strategy, rules, weights) before the last completed change, in rounds')
    .option('--expected-version <v>', 'roll back only while the table is still at this version')
    .action(async (opts: AdminOption & { expectedVersion?: string }) => {
      const json = await adminClient(opts, io).call('POST', '/v1/partition-table:rollback', {
        expectedVersion: opts.expectedVersion ? Number(opts.expectedVersion) : 0,
      });
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const plan = RebalancePlan.fromJSON(json);
      io.out(
        `Rolling back from v${plan.fromVersion}: ${plan.movedPartitions} partitions move in ${plan.rounds} rounds; follow it with prismctl partitions rollout\n`,
      );
    });

  withAdmin(partitions.command('rollout'))
    .description('the partition moves in progress, the change awaiting approval and the cooldown')
    .action(async (opts: AdminOption) => {
      const json = await adminClient(opts, io).call('GET', '/v1/partition-table/rollout');
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const r = Rollout.fromJSON(json);
      const lines = [
        r.inProgress
          ? `in progress (${r.reason}): round ${r.roundsDone} of ${r.roundsTotal}, ${r.remainingMoves} moves left, leading to v${r.targetVersion}`
          : 'no partition moves in progress',
      ];
      if (r.awaitingApproval) {
        lines.push(
          `awaiting approval (${r.reason || 'automatic'}): ${r.awaitingApproval.movedPartitions} partitions from v${r.awaitingApproval.fromVersion}; approve with prismctl partitions plan --out FILE, then apply --plan FILE`,
        );
      }
      if (r.cooldownUntil) lines.push(`automatic moves wait until ${r.cooldownUntil.toISOString()} (cooldown)`);
      io.out(`${lines.join('\n')}\n`);
    });

  const drain = async (id: string, opts: AdminOption & { wait?: boolean; timeout?: string }, draining: boolean) => {
    checkProxyId(id);
    const client = adminClient(opts, io);
    const json = await client.call('POST', `/v1/proxies/${id}:${draining ? 'drain' : 'undrain'}`, {});
    if (opts.json && !opts.wait) return io.out(`${JSON.stringify(json, null, 2)}\n`);
    const proxy = ProxyMessage.fromJSON(json);
    io.out(`${proxy.id} ${proxy.draining ? 'draining' : 'undrained'}\n`);
    if (!draining || !opts.wait) return;
    const timeoutMs = Number(opts.timeout ?? 600) * 1000;
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    for (;;) {
      const table = await liveTable(client);
      const owned = table?.assignments.filter((a) => a.owner === id).length ?? 0;
      if (owned !== last) io.out(`${id} owns ${owned} partitions (table v${table?.version ?? 0})\n`);
      last = owned;
      if (owned === 0) return;
      if (Date.now() >= deadline) {
        throw new PrismError(
          'PRISM-FLEET-006',
          `proxy ${describe(id)} still owns ${owned} partitions after ${timeoutMs / 1000} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  withAdmin(proxies.command('drain').argument('<id>', 'proxy id'))
    .description("move the proxy's partitions to the others in rounds; it gets none until undrained")
    .option('--wait', 'wait until it owns no partition, printing its count as it falls')
    .option('--timeout <seconds>', 'give up waiting after this long (default 600)')
    .action((id: string, opts: AdminOption & { wait?: boolean; timeout?: string }) => drain(id, opts, true));

  withAdmin(proxies.command('undrain').argument('<id>', 'proxy id'))
    .description('let a drained proxy take partitions again (they move to it in rounds)')
    .action((id: string, opts: AdminOption) => drain(id, opts, false));
}
