import { connect } from 'node:net';
import { basename } from 'node:path';
import { PrismError } from '../../../core/src/errors.js';
import type { LbModel } from './model.js';
import { haproxyMaps } from './targets/haproxy.js';

const BACKEND = 'prism_proxies';

/** One command on HAProxy's runtime API (stats socket, level admin); resolves with its answer. */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
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
      reject(new PrismError('PRISM-LB-003', `HAProxy runtime API at ${socketPath}: ${err.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.trim());
    });
  });
}

/** Map names as HAProxy loaded them, by file name. */
async function mapNames(socketPath: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await haproxyCommand(socketPath, 'show map')).split('\n')) {
    const m = /^\d+\s+\((.+)\)\s+pattern loaded/.exec(line) ?? /^\d+\s+\((.+)\)/.exec(line);
    if (m) out.set(basename(m[1]), m[1]);
  }
  return out;
}

/** Replaces a map's whole content in one atomic step: prepare, add to the new version, commit. */
async function swapMap(socketPath: string, name: string, lines: string[][]): Promise<void> {
  const prepared = await haproxyCommand(socketPath, `prepare map ${name}`);
  const version = /New version created:\s*(\d+)/.exec(prepared)?.[1];
  if (!version) throw new PrismError('PRISM-LB-003', `prepare map ${name} answered: ${prepared}`);
  if (lines.length > 0) {
    const payload = lines.map((l) => l.join(' ')).join('\n');
    const added = await haproxyCommand(socketPath, `add map @${version} ${name} <<\n${payload}\n`);
    if (added && !/^\s*$/.test(added))
      throw new PrismError('PRISM-LB-003', `add map @${version} ${name} answered: ${added}`);
  }
  const committed = await haproxyCommand(socketPath, `commit map @${version} ${name}`);
  if (committed && !/^\s*$/.test(committed))
    throw new PrismError('PRISM-LB-003', `commit map @${version} ${name} answered: ${committed}`);
}

/**
 * Moves a running HAProxy from one model to the next without a reload: servers are added, moved or
 * put in maintenance first (so the maps never name a server HAProxy does not know), then every map
 * is swapped atomically.
 */
export async function applyHaproxy(socketPath: string, from: LbModel, to: LbModel): Promise<string[]> {
  const done: string[] = [];
  const before = new Map(from.proxies.map((p) => [p.id, p]));
  const after = new Map(to.proxies.map((p) => [p.id, p]));
  const run = async (cmd: string) => {
    const answer = await haproxyCommand(socketPath, cmd);
    done.push(cmd);
    return answer;
  };
  for (const p of to.proxies) {
    const old = before.get(p.id);
    if (!old) {
      const added = await run(
        `add server ${BACKEND}/${p.id} ${p.host}:${p.dataPort} id ${p.serverId} weight ${p.weight} check port ${p.opsPort}`,
      );
      if (!/New server registered/i.test(added) && !/already exists/i.test(added)) {
        throw new PrismError('PRISM-LB-003', `add server ${p.id} answered: ${added}`);
      }
      await run(`enable health ${BACKEND}/${p.id}`);
      // The proxy registered with the admin, so it holds the table: start it up rather than wait for rise checks.
      await run(`set server ${BACKEND}/${p.id} health up`);
      await run(`enable server ${BACKEND}/${p.id}`);
    } else {
      if (old.host !== p.host || old.dataPort !== p.dataPort)
        await run(`set server ${BACKEND}/${p.id} addr ${p.host} port ${p.dataPort}`);
      if (old.weight !== p.weight) await run(`set server ${BACKEND}/${p.id} weight ${p.weight}`);
    }
  }
  const names = await mapNames(socketPath);
  const maps = haproxyMaps(to);
  const files: [string, string[][]][] = [
    ['partitions.map', maps.partitionLines],
    ['prefix-rules.map', maps.prefixRuleLines],
    ['prefix-owners.map', maps.prefixOwnerLines],
    ['namespace-pins.map', maps.pinLines],
  ];
  for (const [file, lines] of files) {
    const name = names.get(file);
    if (!name)
      throw new PrismError('PRISM-LB-003', `HAProxy has no map loaded from ${file}; was it started from this folder?`);
    await swapMap(socketPath, name, lines);
    done.push(`swap ${file} (${lines.length} entries)`);
  }
  for (const p of from.proxies) {
    if (!after.has(p.id)) {
      await run(`set server ${BACKEND}/${p.id} state maint`);
      // Refused while connections remain; the server then just stays in maintenance.
      await run(`del server ${BACKEND}/${p.id}`);
    }
  }
  return done;
}
