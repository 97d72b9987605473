import { connect } from 'node:net';
import { basename } from 'node:path';
import { PrismError } from '../../../core/src/errors.js';
import type { LbModel } from './model.js';

export const HAPROXY_BACKEND = 'prism_proxies';

/**
 * Where a runtime API listens: a unix socket path, or `tcp:HOST:PORT` for a `stats socket
 * ipv4@HOST:PORT` line (the operator's HAProxy may expose either).
 */
export type RuntimeAddress = string;

const TCP_ADDRESS = /^tcp:(.+):(\d{1,5})$/;

function connectRuntime(address: RuntimeAddress) {
  const tcp = TCP_ADDRESS.exec(address);
  return tcp ? connect({ host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]) }) : connect(address);
}

/** One command on HAProxy's runtime API (stats socket, level admin); resolves with its answer. */
export function haproxyCommand(socketPath: RuntimeAddress, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectRuntime(socketPath);
    let answer = '';
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer to "${command.split('\n')[0]}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new PrismError('PRISM-LB-004', `HAProxy runtime API at ${socketPath}: ${err.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.trim());
    });
  });
}

/** One server slot as HAProxy holds it (`show servers state`). */
export interface ServerSlot {
  name: string;
  id: number;
  addr: string;
  port: number;
  checkPort: number;
  /** SRV_ADMF_* bits: 0x01 forced maintenance, 0x08 forced drain; 0 is ready. */
  adminState: number;
  /** CHK_ST_* bits: 0x04 set while health checks run. */
  checkState: number;
  weight: number;
}

/** Which HAProxy process answers: a different pid or start time means it restarted and holds only its files. */
export interface HaproxyIdentity {
  pid: number;
  startedAt: number;
}

const sameIdentity = (a: HaproxyIdentity, b: HaproxyIdentity) => a.pid === b.pid && a.startedAt === b.startedAt;

/** The runtime API of one HAProxy: every answer is checked, an unexpected one is PRISM-LB-005. */
export class HaproxyRuntime {
  /** Every change command sent, in order (tests and the watcher's log read it). */
  readonly journal: string[] = [];

  constructor(readonly socketPath: string) {}

  private unexpected(command: string, answer: string): PrismError {
    return new PrismError(
      'PRISM-LB-005',
      `HAProxy answered "${command.split('\n')[0]}" with ${JSON.stringify(answer.slice(0, 300))}`,
    );
  }

  /** Sends a change; its answer must match `expected` (most change commands answer nothing). */
  async change(command: string, expected: RegExp = /^$/): Promise<string> {
    this.journal.push(command.split('\n')[0]);
    const answer = await haproxyCommand(this.socketPath, command);
    if (!expected.test(answer)) throw this.unexpected(command, answer);
    return answer;
  }

  async identity(): Promise<HaproxyIdentity> {
    const info = await haproxyCommand(this.socketPath, 'show info');
    const pid = Number(/^Pid:\s*(\d+)$/m.exec(info)?.[1]);
    const startedAt = Number(/^Start_time_sec:\s*(\d+)$/m.exec(info)?.[1] ?? 0);
    if (!pid) throw this.unexpected('show info', info);
    return { pid, startedAt };
  }

  /** The session's CLI level (`user`, `operator` or `admin`): the watcher's changes need `admin`. */
  async level(): Promise<string> {
    return haproxyCommand(this.socketPath, 'show cli level');
  }

  async servers(backend = HAPROXY_BACKEND): Promise<Map<string, ServerSlot>> {
    const command = `show servers state ${backend}`;
    const answer = await haproxyCommand(this.socketPath, command);
    const lines = answer.split('\n');
    const header = lines.find((l) => l.startsWith('# be_id'));
    if (lines[0] !== '1' || !header) throw this.unexpected(command, answer);
    const columns = header.slice(2).split(' ');
    const col = (fields: string[], name: string) => fields[columns.indexOf(name)];
    const out = new Map<string, ServerSlot>();
    for (const line of lines.slice(1)) {
      if (!line || line.startsWith('#')) continue;
      const f = line.split(' ');
      out.set(col(f, 'srv_name'), {
        name: col(f, 'srv_name'),
        id: Number(col(f, 'srv_id')),
        addr: col(f, 'srv_addr'),
        port: Number(col(f, 'srv_port')),
        checkPort: Number(col(f, 'srv_check_port')),
        adminState: Number(col(f, 'srv_admin_state')),
        checkState: Number(col(f, 'srv_check_state')),
        weight: Number(col(f, 'srv_uweight')),
      });
    }
    return out;
  }

  /** Map names as HAProxy loaded them, by file name. */
  async mapNames(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const line of (await haproxyCommand(this.socketPath, 'show map')).split('\n')) {
      const m = /^-?\d+\s+\((.+?)\)/.exec(line);
      if (m) out.set(basename(m[1]), m[1]);
    }
    return out;
  }

  /** A map's entries in order, as "key value" lines. */
  async mapEntries(name: string): Promise<string[]> {
    const answer = await haproxyCommand(this.socketPath, `show map ${name}`);
    return answer
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(1).join(' '));
  }

  /** Replaces a map's whole content in one atomic step: prepare, add to the new version, commit. */
  async swapMap(name: string, lines: string[][]): Promise<void> {
    const prepared = await this.change(`prepare map ${name}`, /^New version created:\s*\d+$/);
    const version = /(\d+)$/.exec(prepared)?.[1];
    if (lines.length > 0) {
      const payload = lines.map((l) => l.join(' ')).join('\n');
      await this.change(`add map @${version} ${name} <<\n${payload}\n`);
    }
    await this.change(`commit map @${version} ${name}`);
  }
}

/**
 * Names in the running HAProxy that belong to Prism: the backend, its servers, its map files. The
 * whole config (haproxy.cfg) owns the process and uses plain names; a fragment loaded beside an
 * operator's config prefixes them so that nothing clashes with the operator's own.
 */
export interface HaproxyLayout {
  backend: string;
  /** Server name of a proxy (the maps' values, `use-server` picks it). */
  server: (proxyId: string) => string;
  /** Map file names: partitions, prefix rules, prefix owners, namespace pins. */
  maps: { partitions: string; prefixRules: string; prefixOwners: string; pins: string };
}

export const WHOLE_CONFIG_LAYOUT: HaproxyLayout = {
  backend: HAPROXY_BACKEND,
  server: (id) => id,
  maps: {
    partitions: 'partitions.map',
    prefixRules: 'prefix-rules.map',
    prefixOwners: 'prefix-owners.map',
    pins: 'namespace-pins.map',
  },
};

/** Map file contents: the owner of every partition, and of every partition under each prefix rule. */
export function haproxyMaps(model: LbModel, server: (proxyId: string) => string = (id) => id) {
  const ruleId = (i: number) => `r${i + 1}`;
  return {
    partitionLines: model.owners.map((owner, p) => [String(p), server(owner)]),
    prefixRuleLines: model.prefixRules.map((r, i) => [r.prefix, ruleId(i)]),
    prefixOwnerLines: model.prefixRules.flatMap((r, i) =>
      model.owners.map((_, p) => [`${ruleId(i)}:${p}`, server(r.proxies[p % r.proxies.length])]),
    ),
    pinLines: model.namespacePins.map((p) => [p.namespace, server(p.proxy)]),
  };
}

export interface SyncResult {
  /** What changed, for the log ("p4 added", "p2 maint", "partitions.map swapped"); empty when HAProxy already matched. */
  changes: string[];
}

/**
 * Brings a running HAProxy to `to` from what it holds now (`show servers state`, `show map`), never
 * from what the watcher believes it applied, so a restarted HAProxy is made exact the same way as a
 * live one. Server slots live as long as the process: HAProxy 2.6 aborted with heap corruption after
 * `del server` under load (issue #12), so a proxy that leaves is drained, then put in maintenance,
 * and a proxy that comes back gets its slot again (`set server addr`, `ready`). Only an id HAProxy
 * never saw is added, with its health-check settings spelled out: a dynamic server inherits nothing
 * from `default-server` and starts in maintenance with checks off. Servers are readied before the
 * maps name them and put in maintenance only after the maps stopped naming them.
 */
export async function syncHaproxy(
  api: HaproxyRuntime,
  to: LbModel,
  layout: HaproxyLayout = WHOLE_CONFIG_LAYOUT,
): Promise<SyncResult> {
  const changes: string[] = [];
  const slots = await api.servers(layout.backend);
  const usedIds = new Set([...slots.values()].map((s) => s.id));
  const server = (name: string) => `${layout.backend}/${name}`;
  const check = `inter ${to.healthCheckIntervalMs}ms fall 2 rise 2`;
  const wanted = new Set(to.proxies.map((p) => layout.server(p.id)));
  for (const proxy of to.proxies) {
    const p = { ...proxy, id: layout.server(proxy.id) };
    const slot = slots.get(p.id);
    if (!slot) {
      // A crc32 collision with a slot kept for a departed proxy: let HAProxy pick the id.
      const id = usedIds.has(p.serverId) ? '' : ` id ${p.serverId}`;
      await api.change(
        `add server ${server(p.id)} ${p.host}:${p.dataPort}${id} weight ${p.weight} check port ${p.opsPort} ${check}`,
        /^New server registered\.$/,
      );
      await api.change(`enable health ${server(p.id)}`);
      await api.change(`set server ${server(p.id)} state ready`);
      // The proxy registered with the admin, so it holds the table: up now rather than after `rise` checks.
      await api.change(`set server ${server(p.id)} health up`);
      changes.push(`${p.id} added`);
      continue;
    }
    if (slot.addr !== p.host || slot.port !== p.dataPort) {
      await api.change(
        `set server ${server(p.id)} addr ${p.host} port ${p.dataPort}`,
        /(changed from|no need to change).*(changed from|no need to change)/,
      );
      changes.push(`${p.id} moved to ${p.host}:${p.dataPort}`);
    }
    if ((slot.checkState & 0x04) === 0) await api.change(`enable health ${server(p.id)}`);
    if (slot.checkPort !== p.opsPort) {
      await api.change(`set server ${server(p.id)} check-port ${p.opsPort}`, /^(|.*changed.*)$/);
      changes.push(`${p.id} checks on port ${p.opsPort}`);
    }
    if (slot.weight !== p.weight) {
      await api.change(`set server ${server(p.id)} weight ${p.weight}`);
      changes.push(`${p.id} weight ${p.weight}`);
    }
    if (slot.adminState !== 0) {
      await api.change(`set server ${server(p.id)} state ready`);
      await api.change(`set server ${server(p.id)} health up`);
      changes.push(`${p.id} ready`);
    }
  }
  const leaving = [...slots.values()].filter((s) => !wanted.has(s.name) && (s.adminState & 0x01) === 0);
  for (const s of leaving) {
    if ((s.adminState & 0x08) === 0) await api.change(`set server ${server(s.name)} state drain`);
  }

  const names = await api.mapNames();
  const maps = haproxyMaps(to, layout.server);
  const files: [string, string[][]][] = [
    [layout.maps.partitions, maps.partitionLines],
    [layout.maps.prefixRules, maps.prefixRuleLines],
    [layout.maps.prefixOwners, maps.prefixOwnerLines],
    [layout.maps.pins, maps.pinLines],
  ];
  for (const [file, lines] of files) {
    const name = names.get(file);
    if (!name)
      throw new PrismError(
        'PRISM-LB-005',
        `HAProxy has no map loaded from ${file}; was it started from the generated files (the watched folder, or -f the fragment)?`,
      );
    const current = await api.mapEntries(name);
    const desired = lines.map((l) => l.join(' '));
    if (current.length === desired.length && current.every((l, i) => l === desired[i])) continue;
    await api.swapMap(name, lines);
    changes.push(`${file} swapped (${lines.length} entries)`);
  }

  for (const s of leaving) {
    await api.change(`set server ${server(s.name)} state maint`);
    changes.push(`${s.name} maint`);
  }
  return { changes };
}

export { sameIdentity };
