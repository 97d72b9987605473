import { type Command, Option } from 'commander';
import { strategyFromEnum } from '../../../core/src/assign/strategy.js';
import { age, clip, formatTable, type Io, OUTPUT_FORMATS, type OutputFormat } from '../../../core/src/cli-output.js';
import { loadConfig } from '../../../core/src/config/load.js';
import { checkNamespace } from '../../../core/src/names.js';
import { tableBalance, tableToJson } from '../../../core/src/table.js';
import { Namespace } from '../../../proto/gen/prism/admin/v1/namespace.js';
import {
  ListNamespacesResponse,
  ListProxiesResponse,
  ReserveNamespaceResponse,
} from '../../../proto/gen/prism/admin/v1/operator.js';
import {
  PartitionTable,
  type Proxy as ProxyMessage,
  ProxyStatus,
} from '../../../proto/gen/prism/admin/v1/partition.js';
import { AdminClient, type AdminFlags, adminValues, withAdminFlags } from './admin-client.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** GET /v1/admin/status. */
interface AdminStatus {
  adminId: string;
  role: 'leader' | 'follower';
  leaderId: string;
  leader?: { id: string; http: string; grpc: string };
  store: string;
  etcd: { endpoint: string; healthy: boolean; raftLeader?: boolean; error?: string }[];
  tableVersion: number;
}

export interface AdminOption extends AdminFlags {
  /** Set by `--json` and by `-o json` alike. */
  json?: boolean;
  output?: OutputFormat;
}

/** A client of the admin the flags and environment name, with the operator credentials they give. */
export function adminClient(opts: AdminFlags, io: Io): AdminClient {
  const config = loadConfig('prismctl', { values: adminValues(opts) });
  return AdminClient.fromConfig(config, (message) => io.err(`prismctl: warning: ${message}\n`));
}

/**
 * `-o table|wide|json` as kubectl has it, and `--json` for `-o json`. A hook sets `json` for either,
 * so that an action asks one question.
 */
export const withOutput = (cmd: Command, json = "the admin's proto3 JSON") =>
  cmd
    .addOption(
      new Option(
        '-o, --output <format>',
        `table (default: the columns that matter, within 100 characters), wide (every column) or json (${json})`,
      ).choices(OUTPUT_FORMATS),
    )
    .option('--json', 'the same as -o json')
    .hook('preAction', (_, action) => {
      if (action.opts().output === 'json') action.setOptionValue('json', true);
    });

export const withAdmin = (cmd: Command) => withOutput(withAdminFlags(cmd));

const wide = (opts: AdminOption) => opts.output === 'wide' && !opts.json;

const status = (s: ProxyStatus) => ProxyStatus[s]?.replace('PROXY_STATUS_', '').toLowerCase() ?? 'unknown';

function describeNamespace(ns: Namespace): string {
  const lease = ns.lease;
  const leaseState = leaseName(ns);
  const lines = [
    `namespace   ${ns.name}${ns.deletedAt ? `  (deleted ${ns.deletedAt.toISOString()})` : ''}`,
    `partition   ${ns.partitionId}`,
    `owner       ${ns.owner || '(no proxy yet)'}`,
    `team        ${ns.team || '-'}`,
    `backends    ${ns.backends.join(', ') || '-'}`,
    `lease       ${leaseState}, ${lease?.ttlSeconds ?? 0}s, expires ${lease?.expiresAt?.toISOString() ?? '-'}, grace until ${lease?.graceUntil?.toISOString() ?? '-'}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function registerAdminCommands(program: Command, io: Io): void {
  const ns = program.command('namespace').alias('ns').description('reserve and manage namespaces on the admin');

  const reservation = (r: ReserveNamespaceResponse, json: unknown, opts: AdminOption) => {
    if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
    io.out(r.namespace ? describeNamespace(r.namespace) : '');
    for (const w of r.warnings) io.out(`warning     ${w}\n`);
    io.out(`token       ${r.token}\n`);
  };

  withAdmin(ns.command('reserve').argument('<name>', 'namespace name'))
    .description('reserve a namespace; prints its partition, owner, lease and token')
    .option('--backend <url>', 'backend base URL http(s)://host:port, repeatable', collect)
    .option('--team <team>', 'owning team')
    .option('--ttl <seconds>', "lease TTL in seconds (default: the admin's, 86400)")
    .action(async (name: string, opts: AdminOption & { backend?: string[]; team?: string; ttl?: string }) => {
      checkNamespace(name);
      const body = {
        name,
        backends: opts.backend ?? [],
        team: opts.team,
        leaseTtlSeconds: opts.ttl ? Number(opts.ttl) : undefined,
      };
      const json = await adminClient(opts, io).call('POST', '/v1/namespaces', body);
      reservation(ReserveNamespaceResponse.fromJSON(json), json, opts);
    });

  withAdmin(ns.command('get').argument('<name>', 'namespace name'))
    .description('show a namespace')
    .action(async (name: string, opts: AdminOption) => {
      checkNamespace(name);
      const json = await adminClient(opts, io).call('GET', `/v1/namespaces/${name}`);
      io.out(opts.json ? `${JSON.stringify(json, null, 2)}\n` : describeNamespace(Namespace.fromJSON(json)));
    });

  withAdmin(ns.command('list'))
    .description('list namespaces')
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--deleted', 'include soft-deleted namespaces')
    .action(async (opts: AdminOption & { prefix?: string; deleted?: boolean }) => {
      const c = adminClient(opts, io);
      const all: Namespace[] = [];
      let token = '';
      do {
        const q = new URLSearchParams({ pageSize: '1000', pageToken: token, prefix: opts.prefix ?? '' });
        if (opts.deleted) q.set('includeDeleted', 'true');
        const page = ListNamespacesResponse.fromJSON(await c.call('GET', `/v1/namespaces?${q}`));
        all.push(...page.namespaces);
        token = page.nextPageToken;
      } while (token);
      if (opts.json) return io.out(`${JSON.stringify({ namespaces: all.map((n) => Namespace.toJSON(n)) }, null, 2)}\n`);
      const now = Date.now();
      if (wide(opts)) {
        const rows = all.map((n) => [
          n.name,
          n.partitionId,
          n.owner || '-',
          n.deletedAt ? 'deleted' : leaseName(n),
          n.lease?.expiresAt?.toISOString() ?? '-',
          n.lease?.graceUntil?.toISOString() ?? '-',
          n.team || '-',
          n.backends.join(',') || '-',
        ]);
        const header = ['NAMESPACE', 'PARTITION', 'OWNER', 'LEASE', 'EXPIRES', 'GRACE UNTIL', 'TEAM', 'BACKENDS'];
        return io.out(formatTable(header, rows));
      }
      const rows = all.map((n) => [
        n.name,
        n.partitionId,
        n.owner || '-',
        n.deletedAt ? 'deleted' : leaseName(n),
        expiresIn(n.lease?.expiresAt, now),
        clip(n.team || '-', 16),
        n.backends.length,
      ]);
      io.out(formatTable(['NAMESPACE', 'PARTITION', 'OWNER', 'LEASE', 'EXPIRES', 'TEAM', 'BACKENDS'], rows));
    });

  withAdmin(ns.command('refresh').argument('<name>', 'namespace name'))
    .description('renew the lease; prints the new token')
    .option('--ttl <seconds>', 'new TTL in seconds (default: keep the current one)')
    .action(async (name: string, opts: AdminOption & { ttl?: string }) => {
      checkNamespace(name);
      const json = await adminClient(opts, io).call('POST', `/v1/namespaces/${name}:refresh`, {
        leaseTtlSeconds: opts.ttl ? Number(opts.ttl) : undefined,
      });
      reservation(ReserveNamespaceResponse.fromJSON(json), json, opts);
    });

  withAdmin(ns.command('revoke').argument('<name>', 'namespace name'))
    .description('end the lease now and revoke its token on every proxy')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (name: string, opts: AdminOption & { reason?: string }) => {
      checkNamespace(name);
      const json = await adminClient(opts, io).call('POST', `/v1/namespaces/${name}:revoke`, {
        reason: opts.reason ?? '',
      });
      io.out(opts.json ? `${JSON.stringify(json, null, 2)}\n` : describeNamespace(Namespace.fromJSON(json)));
    });

  withAdmin(ns.command('delete').argument('<name>', 'namespace name'))
    .description('soft-delete (restorable for 7 days); refused while proxies report traffic unless --force')
    .option('--force', 'delete even while it receives traffic')
    .action(async (name: string, opts: AdminOption & { force?: boolean }) => {
      checkNamespace(name);
      const json = await adminClient(opts, io).call(
        'DELETE',
        `/v1/namespaces/${name}${opts.force ? '?force=true' : ''}`,
      );
      io.out(opts.json ? `${JSON.stringify(json, null, 2)}\n` : describeNamespace(Namespace.fromJSON(json)));
    });

  withAdmin(ns.command('restore').argument('<name>', 'namespace name'))
    .description('restore a soft-deleted namespace with a fresh lease and token')
    .action(async (name: string, opts: AdminOption) => {
      checkNamespace(name);
      const json = await adminClient(opts, io).call('POST', `/v1/namespaces/${name}:restore`, {});
      reservation(ReserveNamespaceResponse.fromJSON(json), json, opts);
    });

  // Positional: `proxies drain ID --admin URL` gives --admin to drain, not to the list.
  withAdmin(program.command('proxies').enablePositionalOptions())
    .description(
      'list the proxies the admin knows, with health (restarting: until when it keeps its partitions; draining), the table version each applied, and its config fingerprint (marked when it differs from the majority)',
    )
    .action(async (opts: AdminOption) => {
      const json = await adminClient(opts, io).call('GET', '/v1/proxies');
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const list = ListProxiesResponse.fromJSON(json);
      const now = Date.now();
      const applied = (p: ProxyMessage) =>
        p.appliedTableVersion === list.tableVersion ? `${p.appliedTableVersion}` : `${p.appliedTableVersion} (behind)`;
      const config = (p: ProxyMessage, length: number) =>
        p.configHash ? `${p.configHash.slice(0, length)}${p.configDrift ? ' (differs)' : ''}` : '-';
      const table = wide(opts)
        ? formatTable(
            ['PROXY', 'STATUS', 'GRACE UNTIL', 'ADDRESS', 'OPS', 'WEIGHT', 'APPLIED', 'LAST SEEN', 'CONFIG'],
            list.proxies.map((p) => [
              p.id,
              `${status(p.status)}${p.draining ? ' (draining)' : ''}`,
              p.graceUntil?.toISOString() ?? '-',
              `${p.address}:${p.dataPort}`,
              p.opsPort,
              p.weight,
              applied(p),
              p.lastSeen?.toISOString() ?? '-',
              config(p, p.configHash.length),
            ]),
          )
        : formatTable(
            ['PROXY', 'STATUS', 'ADDRESS', 'WEIGHT', 'APPLIED', 'SEEN', 'CONFIG'],
            list.proxies.map((p) => [
              p.id,
              `${status(p.status)}${p.graceUntil ? ` ${age(p.graceUntil, now)}` : ''}${p.draining ? ' (draining)' : ''}`,
              clip(`${p.address}:${p.dataPort}`, 28),
              p.weight,
              applied(p),
              age(p.lastSeen, now),
              config(p, 8),
            ]),
          );
      const drifting = list.proxies.filter((p) => p.configDrift).map((p) => p.id);
      io.out(
        `table version ${list.tableVersion}\n${table}${
          drifting.length
            ? `${drifting.join(', ')} run${drifting.length === 1 ? 's' : ''} with settings that differ from the other proxies' (compare: prism-proxy --print-config)\n`
            : ''
        }`,
      );
    });

  const admin = program.command('admin').description('the admins themselves');
  withAdmin(admin.command('status'))
    .description(
      "this admin's role (leader or follower), the leader, the health of each etcd endpoint and the table version",
    )
    .action(async (opts: AdminOption) => {
      const json = (await adminClient(opts, io).call('GET', '/v1/admin/status')) as AdminStatus;
      if (opts.json) return io.out(`${JSON.stringify(json, null, 2)}\n`);
      const lines = [
        `admin          ${json.adminId}`,
        `role           ${json.role}`,
        `leader         ${json.leader ? `${json.leader.id} ${json.leader.http}` : json.leaderId || '(none elected)'}`,
        `store          ${json.store}`,
        `table version  ${json.tableVersion}`,
      ];
      const rows = json.etcd.map((e) => [
        clip(e.endpoint, wide(opts) ? Number.POSITIVE_INFINITY : 32),
        e.healthy ? 'healthy' : 'unhealthy',
        e.raftLeader ? 'yes' : '-',
        wide(opts) ? (e.error ?? '') : clip(e.error ?? '', 40),
      ]);
      io.out(
        `${lines.join('\n')}\n${rows.length ? formatTable(['ETCD ENDPOINT', 'HEALTH', 'RAFT LEADER', 'ERROR'], rows) : ''}`,
      );
    });

  const partitions = program.commands.find((c) => c.name() === 'partitions');
  if (partitions) {
    withAdmin(partitions.command('show'))
      .description("show the admin's live partition table: partitions per proxy, or the table with --json")
      .action(async (opts: AdminOption) => {
        const table = PartitionTable.fromJSON(await adminClient(opts, io).call('GET', '/v1/partition-table'));
        if (opts.json) return io.out(tableToJson(table));
        const { counts, imbalance } = tableBalance(table);
        const total = table.proxies.reduce((sum, p) => sum + (p.weight || 1), 0);
        const rows = table.proxies.map((p) => [
          p.id,
          clip(`${p.address}:${p.dataPort}`, wide(opts) ? Number.POSITIVE_INFINITY : 28),
          p.weight,
          counts.get(p.id) ?? 0,
          ...(wide(opts) ? [`${p.address}:${p.opsPort}`, ((256 * (p.weight || 1)) / total).toFixed(2)] : []),
        ]);
        const header = ['PROXY', 'ADDRESS', 'WEIGHT', 'PARTITIONS', ...(wide(opts) ? ['OPS', 'FAIR SHARE'] : [])];
        io.out(
          `Partition table v${table.version}, strategy ${strategyFromEnum(table.strategy)}, ${table.proxies.length} proxies, updated ${table.updatedAt?.toISOString() ?? '-'}\n\n` +
            formatTable(header, rows) +
            `\nBalance: largest share / fair share = ${imbalance.toFixed(3)}\n`,
        );
      });
  }
}

/** When a lease ends, from now: `23h`, or `5m ago`. */
function expiresIn(at: Date | undefined, now: number): string {
  if (!at) return '-';
  return at.getTime() >= now ? age(at, now) : `${age(at, now)} ago`;
}

function leaseName(n: Namespace): string {
  return ['-', 'active', 'grace', 'expired', 'revoked'][n.lease?.state ?? 0] ?? '-';
}
