import { join } from 'node:path';
import { PrismError } from '../../../../core/src/errors.js';
import type { LbModel } from '../model.js';
import { runCheck } from '../native-check.js';
import { MISSING_NAMESPACE_BODY, type RenderOptions, type Target, tokenGuard } from '../target.js';

/** HAProxy tokens we emit are plain words: refuse anything else rather than quote it. */
export const hq = tokenGuard(/^[A-Za-z0-9._:[\]/-]+$/, 'an HAProxy');

/** A single-quoted HAProxy string (no escapes inside single quotes, so a quote is refused). */
export function hstring(value: unknown): string {
  const s = String(value);
  if (s.includes("'") || /[\r\n]/.test(s))
    throw new PrismError('PRISM-LB-001', 'a string for HAProxy contains a quote or a newline');
  return `'${s}'`;
}

/** Map file contents: the owner of every partition, and of every partition under each prefix rule. */
export function haproxyMaps(model: LbModel) {
  const ruleId = (i: number) => `r${i + 1}`;
  return {
    partitionLines: model.owners.map((owner, p) => [String(p), owner]),
    prefixRuleLines: model.prefixRules.map((r, i) => [r.prefix, ruleId(i)]),
    prefixOwnerLines: model.prefixRules.flatMap((r, i) =>
      model.owners.map((_, p) => [`${ruleId(i)}:${p}`, r.proxies[p % r.proxies.length]]),
    ),
    pinLines: model.namespacePins.map((p) => [p.namespace, p.proxy]),
  };
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export const haproxyTarget: Target = {
  name: 'haproxy',
  files: () => [
    { path: 'haproxy.cfg', template: 'haproxy.cfg.hbs' },
    { path: 'partitions.map', template: 'partitions.map.hbs' },
    { path: 'prefix-rules.map', template: 'prefix-rules.map.hbs' },
    { path: 'prefix-owners.map', template: 'prefix-owners.map.hbs' },
    { path: 'namespace-pins.map', template: 'namespace-pins.map.hbs' },
  ],
  view: (model: LbModel, options: RenderOptions) => ({
    ...haproxyMaps(model),
    runtimeSocket: join(options.outDir, 'haproxy.sock'),
    listenAddress: hostPort(model.listenHost, model.listenPort),
    reject: model.missingNamespace === 'reject',
    rejectBody: MISSING_NAMESPACE_BODY,
    checkInterval: `${model.healthCheckIntervalMs}ms`,
    proxies: model.proxies.map((p) => ({ ...p, address: hostPort(p.host, p.dataPort) })),
  }),
  helpers: { hq, hstring },
  check: (dir) => runCheck('haproxy', ['-c', '-q', '-f', 'haproxy.cfg'], dir, 'apt-get install haproxy'),
};
