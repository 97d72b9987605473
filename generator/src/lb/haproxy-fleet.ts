import { splitHostPort } from '../../../core/src/config/checks.js';
import { PrismError } from '../../../core/src/errors.js';
import {
  type HaproxyIdentity,
  type HaproxyLayout,
  HaproxyRuntime,
  type RuntimeAddress,
  sameIdentity,
  syncHaproxy,
} from './haproxy-runtime.js';
import type { LbModel } from './model.js';
import type { LiveContext, LiveTarget } from './target.js';

/** One HAProxy the watcher drives but did not start: its runtime API and what the watcher knows of it. */
interface Instance {
  /** As configured (a socket path or HOST:PORT): the log's and the metrics' `instance`. */
  label: string;
  api: HaproxyRuntime;
  /** The process last synced, and to which table version. */
  synced?: HaproxyIdentity;
  version?: number;
  /** The last failure reported, so a dead instance is logged when it fails, not on every retry. */
  failing?: string;
}

const describe = (err: unknown) => (err instanceof PrismError ? `${err.code}: ${err.message}` : (err as Error).message);
const summary = (changes: string[]) => (changes.length ? changes.join(', ') : 'already matched');

/**
 * The runtime APIs given on the command line: `--runtime-socket PATH[,PATH...]` (unix sockets) and
 * `--runtime-api HOST:PORT[,...]` (a `stats socket ipv4@HOST:PORT` line). PRISM-LB-009 when none.
 */
export function runtimeAddresses(sockets?: string, apis?: string): { label: string; address: RuntimeAddress }[] {
  const list = (s?: string) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const out = [
    ...list(sockets).map((path) => ({ label: path, address: path })),
    ...list(apis).map((hp) => {
      const { host, port } = splitHostPort(hp);
      return { label: hp, address: `tcp:${host}:${port}` };
    }),
  ];
  if (out.length === 0)
    throw new PrismError(
      'PRISM-LB-009',
      'lb watch --fragment drives HAProxy instances it did not start: name their runtime APIs with --runtime-socket PATH[,PATH...] or --runtime-api HOST:PORT[,...]',
    );
  return out;
}

const labelOf = (address: RuntimeAddress) => address.replace(/^tcp:/, '');

/**
 * At start: every runtime API that answers must be at `level admin` (servers and maps change only
 * there). An instance that does not answer yet is left to the watcher, which checks it again on sync.
 */
export async function requireAdminLevel(addresses: RuntimeAddress[]): Promise<void> {
  for (const address of addresses) {
    const level = await new HaproxyRuntime(address).level().catch(() => undefined);
    if (level !== undefined) assertAdmin(address, level);
  }
}

function assertAdmin(address: RuntimeAddress, level: string): void {
  if (level === 'admin' || !/^(user|operator)$/.test(level)) return;
  const line = address.startsWith('tcp:')
    ? `stats socket ipv4@${labelOf(address)} level admin`
    : `stats socket ${address} mode 660 level admin`;
  throw new PrismError(
    'PRISM-LB-010',
    `HAProxy runtime API at ${labelOf(address)} answers at level ${level}; lb watch --fragment needs level admin: make its line in the global section read \`${line}\``,
  );
}

/**
 * Many HAProxy instances the watcher did not start, each through its own runtime API, touching only
 * Prism's backend and maps (`layout`). Instances are independent: one that is down or refuses does
 * not hold back the others; it is brought to the applied table as soon as it answers again. An
 * instance whose pid or start time changed restarted from its files (which the watcher rewrote) and
 * is re-synced from what it reports, as the whole-config target does.
 */
export function haproxyFleetLive(ctx: LiveContext, layout: HaproxyLayout): LiveTarget {
  const addresses = ctx.runtimeApis ?? [];
  if (addresses.length === 0) runtimeAddresses();
  const metrics = ctx.metrics;
  const instances: Instance[] = addresses.map((address) => ({
    label: labelOf(address),
    api: new HaproxyRuntime(address),
  }));

  /** Brings one instance to `model`; undefined when it already ran it (same process, same version). */
  const converge = async (inst: Instance, model: LbModel, force: boolean) => {
    const now = await inst.api.identity();
    if (!force && inst.synced && sameIdentity(now, inst.synced) && inst.version === model.version) return undefined;
    assertAdmin(inst.api.socketPath, await inst.api.level());
    const { changes } = await syncHaproxy(inst.api, model, layout);
    const restarted = inst.synced !== undefined && !sameIdentity(now, inst.synced);
    inst.synced = now;
    inst.version = model.version;
    return { changes, pid: now.pid, restarted };
  };

  /** Every apply logs each instance it failed on; a check logs only a new failure. */
  const failed = (inst: Instance, what: string, err: unknown, always: boolean) => {
    metrics?.instanceUp.set({ instance: inst.label }, 0);
    const reason = describe(err);
    if (always || inst.failing !== reason) ctx.log(`HAProxy ${inst.label}: ${what} (${reason})`);
    inst.failing = reason;
    // A process we cannot see may restart from its files; sync it fully when it is back.
    inst.synced = undefined;
    return `${inst.label} (${reason})`;
  };

  const succeeded = (inst: Instance, version: number) => {
    metrics?.instanceUp.set({ instance: inst.label }, 1);
    metrics?.instanceAppliedVersion.set({ instance: inst.label }, version);
    inst.failing = undefined;
  };

  const behind = (version: number, failures: string[]) =>
    new PrismError(
      'PRISM-LB-011',
      `${failures.length} of ${instances.length} HAProxy instances do not run table v${version}: ${failures.join('; ')}`,
    );

  return {
    async apply({ to }) {
      const failures: string[] = [];
      await Promise.all(
        instances.map(async (inst) => {
          try {
            const done = await converge(inst, to, true);
            succeeded(inst, to.version);
            ctx.log(`HAProxy ${inst.label}: applied table v${to.version}: ${summary(done?.changes ?? [])}`);
          } catch (err) {
            failures.push(failed(inst, `not applied table v${to.version}`, err, true));
          }
        }),
      );
      if (failures.length === instances.length) throw behind(to.version, failures);
      const ok = instances.length - failures.length;
      return `${ok} of ${instances.length} HAProxy instances${failures.length ? `; behind, retried: ${failures.join('; ')}` : ''}`;
    },
    async heartbeat(applied) {
      const failures: string[] = [];
      const resynced: string[] = [];
      await Promise.all(
        instances.map(async (inst) => {
          try {
            const wasFailing = inst.failing !== undefined;
            const done = await converge(inst, applied, false);
            succeeded(inst, applied.version);
            if (!done) return;
            const why = wasFailing ? 'is reachable again' : done.restarted ? 'restarted' : 'answers';
            ctx.log(
              `HAProxy ${inst.label} ${why} (pid ${done.pid}); re-synced to table v${applied.version}: ${summary(done.changes)}`,
            );
            metrics?.instanceRestarts.inc({ instance: inst.label });
            resynced.push(inst.label);
          } catch (err) {
            failures.push(failed(inst, `check failed, table v${applied.version} not confirmed`, err, false));
          }
        }),
      );
      if (failures.length) throw behind(applied.version, failures);
      if (!resynced.length) return undefined;
      return { restarted: true, note: `re-synced to table v${applied.version}: ${resynced.join(', ')}` };
    },
    async stop() {},
  };
}
