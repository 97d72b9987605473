import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import { partitionOf } from '../../../../core/src/partition.js';
import type { LbModel } from '../model.js';
import { runCheck } from '../native-check.js';
import { type LiveContext, type LiveTarget, MISSING_NAMESPACE_BODY, type Target, tokenGuard } from '../target.js';

/** Where Debian's libnginx-mod-http-js installs njs; the output folder runs with any prefix, so it is absolute. */
export const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';
export const NGINX_INSTALL = 'apt-get install nginx libnginx-mod-http-js';

/** NGINX tokens we emit are plain words: refuse anything else rather than quote it. */
export const nq = tokenGuard(/^[A-Za-z0-9._:[\]/-]+$/, 'an NGINX');

/** Words a `map` block reads as its own parameters; as source values they need a leading backslash. */
const MAP_WORDS = new Set(['default', 'hostnames', 'include', 'volatile']);

/** A `map` source value: a safe token, `\`-prefixed when it is a word `map` reserves (a namespace may be `default`). */
export function nkey(value: unknown): string {
  const s = nq(value);
  return MAP_WORDS.has(s) ? `\\${s}` : s;
}

/** A single-quoted NGINX string: no escapes and no variables, so quotes, backslashes, `$` and newlines are refused. */
export function nstring(value: unknown): string {
  const s = String(value);
  if (/['\\$\r\n]/.test(s))
    throw new PrismError('PRISM-LB-001', 'a string for NGINX contains a quote, a backslash, a $ or a newline');
  return `'${s}'`;
}

/** The names of everything the config declares (upstreams, variables, the njs module) start with this. */
export const NAME_PREFIX = 'prism';

/** An include path prefix: empty (relative to the main config's folder) or a safe token ending in `/`. */
export const npath = (value: unknown) => (value === '' ? '' : nq(value));

const upstreamOf = (id: string, prefix = NAME_PREFIX) => `${prefix}-${id}`;
const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The owner of a namespace as the proxies route it: pin, then the longest prefix rule, then the partition owner. */
export function nginxOwnerOf(model: LbModel, namespace: string): string {
  const pin = model.namespacePins.find((p) => p.namespace === namespace);
  if (pin) return pin.proxy;
  const partition = partitionOf(namespace);
  const rule = model.prefixRules.find((r) => namespace.startsWith(r.prefix));
  return rule ? rule.proxies[partition % rule.proxies.length] : model.owners[partition];
}

/**
 * With njs, the owner table and the rules ship as `map` includes rather than a js_preload_object JSON file:
 * every file keeps the banner and version comment (JSON has none), nginx -t parses every entry, the maps are
 * shared hashes with no per-request cost, and the njs module stays a constant table-less CRC (njs builds a
 * VM per request, so a table in module scope would slow every request ~3.5x).
 */
export function nginxMaps(model: LbModel, prefix = NAME_PREFIX) {
  const ruleId = (i: number) => `r${i + 1}`;
  const up = (id: string) => upstreamOf(id, prefix);
  if (!model.nginxNjs) {
    const names = [...new Set([...model.namespaces, ...model.namespacePins.map((p) => p.namespace)])].sort();
    return { namespaceLines: names.map((ns) => [ns, up(nginxOwnerOf(model, ns))]) };
  }
  return {
    partitionLines: model.owners.map((owner, p) => [String(p), up(owner)]),
    prefixRuleLines: model.prefixRules.map((r, i) => [r.prefix, ruleId(i)]),
    prefixOwnerLines: model.prefixRules.flatMap((r, i) =>
      model.owners.map((_, p) => [`${ruleId(i)}:${p}`, up(r.proxies[p % r.proxies.length])]),
    ),
    pinLines: model.namespacePins.map((p) => [p.namespace, up(p.proxy)]),
  };
}

/**
 * What the routing partials need (lb-templates/nginx/partials): the whole nginx.conf and the fragment
 * render the same maps and upstreams, under `prefix`, with map and njs files under `includePath`.
 */
export function nginxRoutingView(model: LbModel, prefix = NAME_PREFIX, includePath = '') {
  const maps = nginxMaps(model, prefix);
  const entries = Math.max(
    maps.namespaceLines?.length ?? 0,
    maps.pinLines?.length ?? 0,
    maps.prefixOwnerLines?.length ?? 0,
  );
  const addresses = model.proxies.map((p) => hostPort(p.host, p.dataPort));
  return {
    ...maps,
    prefix,
    includePath,
    njsModule: NJS_MODULE,
    reject: model.missingNamespace === 'reject',
    rejectBody: MISSING_NAMESPACE_BODY,
    mapHashMaxSize: Math.max(2048, 4 * entries),
    // fail_timeout takes whole seconds.
    failTimeout: `${Math.max(1, Math.ceil(model.healthCheckIntervalMs / 1000))}s`,
    proxies: model.proxies.map((p, i) => ({
      ...p,
      upstream: upstreamOf(p.id, prefix),
      address: addresses[i],
      backups: addresses.filter((_, j) => j !== i),
    })),
  };
}

/** The map and njs files beside the config, by whether njs computes the partition. */
export const nginxRoutingFiles = (model: Pick<LbModel, 'nginxNjs'>) =>
  model.nginxNjs
    ? [
        { path: 'prism.njs', template: 'prism.njs.hbs' },
        { path: 'partitions.map', template: 'partitions.map.hbs' },
        { path: 'prefix-rules.map', template: 'prefix-rules.map.hbs' },
        { path: 'prefix-owners.map', template: 'prefix-owners.map.hbs' },
        { path: 'namespace-pins.map', template: 'namespace-pins.map.hbs' },
      ]
    : [{ path: 'namespaces.map', template: 'namespaces.map.hbs' }];

export const nginxTarget: Target = {
  name: 'nginx',
  files: (model) => [{ path: 'nginx.conf', template: 'nginx.conf.hbs' }, ...nginxRoutingFiles(model)],
  view: (model) => ({
    ...nginxRoutingView(model),
    listenAddress: hostPort(model.listenHost, model.listenPort),
  }),
  helpers: { nq, nkey, nstring, npath },
  check: (dir) => runCheck('nginx', ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', 'nginx.conf'], dir, NGINX_INSTALL),
  usesNamespaces: (options) => !options.nginxNjs,
  live: (ctx) => nginxLive(ctx),
};

/** The NGINX master a pid file names, when it is alive. */
export function masterPid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return pid || undefined;
}

/** Child pids of a process, from /proc (Linux); an empty set elsewhere. */
function childrenOf(pid: number): Set<number> {
  const out = new Set<number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the parent pid is the 2nd field after it.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.add(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * NGINX has no runtime API for upstreams: a change is `nginx -t` and a graceful reload (SIGHUP to the
 * master, as `nginx -s reload`). Reloads cost: old workers close their idle keep-alive connections,
 * and a client that sends on one at that moment sees a reset. So a new table whose rendered files
 * route exactly as before (only the version in the banner differs) is not a reason to reload, and a
 * reload counts only when the master started new workers (a master that cannot load the new files
 * logs the error and keeps the old ones).
 */
function nginxLive(ctx: LiveContext): LiveTarget {
  const args = ['-e', 'stderr', '-p', ctx.outDir, '-c', 'nginx.conf'];
  return {
    async apply({ from, changed }) {
      const master = masterPid(join(ctx.outDir, 'nginx.pid'));
      if (!from && master === undefined) return 'files written; start NGINX from them';
      if (from && changed.length === 0) return 'nothing routes differently: no reload';
      if (master === undefined)
        throw new PrismError('PRISM-LB-003', `no NGINX runs from ${ctx.outDir} (no live master in nginx.pid)`);
      const check = await runCheck('nginx', ['-t', '-q', ...args], ctx.outDir, NGINX_INSTALL);
      if (!check.ok)
        throw new PrismError(
          'PRISM-LB-003',
          `nginx -t refused the written files, not reloaded: ${check.skipped ?? check.output}`,
        );
      return reloadMaster(master, changed);
    },
    async stop() {},
  };
}

/**
 * SIGHUP to an NGINX master, counted as a reload once the master started new workers (one that cannot
 * load the files logs why and keeps its old workers: PRISM-LB-006).
 */
export async function reloadMaster(master: number, changed: string[]): Promise<string> {
  const before = childrenOf(master);
  process.kill(master, 'SIGHUP');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const fresh = [...childrenOf(master)].filter((p) => !before.has(p));
    if (fresh.length > 0) return `reloaded (${changed.join(', ')} changed; new worker ${fresh[0]})`;
    if (before.size === 0 && process.platform !== 'linux') return `reloaded (${changed.join(', ')} changed; unchecked)`;
    if (Date.now() > deadline)
      throw new PrismError(
        'PRISM-LB-006',
        `NGINX (master ${master}) started no new worker within 10 s of the reload; its error log says why`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}
