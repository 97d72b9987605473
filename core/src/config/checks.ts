import { BlockList } from 'node:net';
import { addCidr, isCidr } from '../backend-policy.js';
import { PrismError } from '../errors.js';
import type { AdminConfig } from './admin-schema.js';
import type { PrismctlConfig } from './prismctl-schema.js';
import type { ProxyConfig } from './proxy-schema.js';

/** Contradictions between options that each pass the schema. Each names both options and the fix. */

const conflict = (message: string, action: string) => new PrismError('PRISM-CONFIG-002', message, { action });

export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

function checkPorts(options: Record<string, string>): void {
  const used = new Map<string, string>();
  for (const [option, address] of Object.entries(options)) {
    const { host, port } = splitHostPort(address);
    if (port > 65_535) {
      throw new PrismError('PRISM-CONFIG-001', `option ${option} = "${address}" has port ${port}, above 65535`, {
        action: `Set ${option} to HOST:PORT with a port from 0 to 65535 (0 picks a free port).`,
      });
    }
    if (port === 0) continue;
    const key = `${host}:${port}`;
    const other = used.get(key);
    if (other) {
      throw conflict(`options ${other} and ${option} both bind ${address}`, `Give ${option} a different port.`);
    }
    used.set(key, option);
  }
}

const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

export function checkAdminConfig(c: AdminConfig): void {
  checkPorts({ grpcListen: c.grpcListen, httpListen: c.httpListen });
  const e = c.etcd;
  if (!e.cert !== !e.key) {
    throw conflict(
      `etcd.${e.cert ? 'cert' : 'key'} is set without etcd.${e.cert ? 'key' : 'cert'}`,
      'Give both the client certificate (--etcd-cert) and its private key (--etcd-key), or neither.',
    );
  }
  if (!e.user !== !e.passwordFile) {
    throw conflict(
      `etcd.${e.user ? 'user' : 'passwordFile'} is set without etcd.${e.user ? 'passwordFile' : 'user'}`,
      'Give both --etcd-user and --etcd-password-file, or neither.',
    );
  }
  if (c.insecure && c.profile === 'production') {
    throw conflict(
      'insecure = true (--insecure) contradicts profile production: the operator API would accept anyone, and the gRPC port any proxy',
      'Drop --insecure and give operators tokens (prismctl auth token create) or certificates; --insecure is for throwaway experiments under profile development or staging.',
    );
  }
  if (c.auth.defaultTokenTtlSeconds > c.auth.maxTokenTtlSeconds) {
    throw conflict(
      `auth.defaultTokenTtlSeconds = ${c.auth.defaultTokenTtlSeconds} is above auth.maxTokenTtlSeconds = ${c.auth.maxTokenTtlSeconds}`,
      'Lower auth.defaultTokenTtlSeconds or raise auth.maxTokenTtlSeconds.',
    );
  }
  const l = c.leases;
  if (l.minTtlSeconds > l.maxTtlSeconds) {
    throw conflict(
      `leases.minTtlSeconds = ${l.minTtlSeconds} is above leases.maxTtlSeconds = ${l.maxTtlSeconds}`,
      'Lower leases.minTtlSeconds or raise leases.maxTtlSeconds.',
    );
  }
  if (l.defaultTtlSeconds < l.minTtlSeconds || l.defaultTtlSeconds > l.maxTtlSeconds) {
    throw conflict(
      `leases.defaultTtlSeconds = ${l.defaultTtlSeconds} is outside leases.minTtlSeconds..maxTtlSeconds (${l.minTtlSeconds}..${l.maxTtlSeconds})`,
      'Set leases.defaultTtlSeconds between the minimum and the maximum.',
    );
  }
  if (l.graceSeconds > 0 && l.cleanupIntervalSeconds > l.graceSeconds) {
    throw conflict(
      `leases.cleanupIntervalSeconds = ${l.cleanupIntervalSeconds} is longer than leases.graceSeconds = ${l.graceSeconds}: expired leases would outlive their grace period`,
      'Lower leases.cleanupIntervalSeconds to at most leases.graceSeconds.',
    );
  }
  if (l.cleanupRetryInitialMs > l.cleanupRetryMaxMs) {
    throw conflict(
      `leases.cleanupRetryInitialMs = ${l.cleanupRetryInitialMs} is above leases.cleanupRetryMaxMs = ${l.cleanupRetryMaxMs}`,
      'Lower leases.cleanupRetryInitialMs or raise leases.cleanupRetryMaxMs.',
    );
  }
  if (c.proxies.disconnectedAfterMissed <= c.proxies.staleAfterMissed) {
    throw conflict(
      `proxies.disconnectedAfterMissed = ${c.proxies.disconnectedAfterMissed} must be above proxies.staleAfterMissed = ${c.proxies.staleAfterMissed}`,
      'Raise proxies.disconnectedAfterMissed: a proxy turns stale before it is disconnected.',
    );
  }
  const tls = [c.tls.caFile, c.tls.certFile, c.tls.keyFile];
  if (tls.some((f) => f !== '') && tls.some((f) => f === '')) {
    throw conflict(
      'tls.caFile, tls.certFile and tls.keyFile must be given together',
      "Set all three (mTLS on the gRPC control plane: the CA proxies are checked against, and this admin's certificate and key), or none.",
    );
  }
  if (c.limits.headersTimeoutMs > c.limits.requestTimeoutMs) {
    throw conflict(
      `limits.headersTimeoutMs = ${c.limits.headersTimeoutMs} is above limits.requestTimeoutMs = ${c.limits.requestTimeoutMs}: the whole request includes its headers`,
      'Lower limits.headersTimeoutMs or raise limits.requestTimeoutMs.',
    );
  }
  if (c.tokens.keyOverlapDays * 86_400 < l.maxTtlSeconds) {
    throw conflict(
      `tokens.keyOverlapDays = ${c.tokens.keyOverlapDays} is shorter than leases.maxTtlSeconds = ${l.maxTtlSeconds}: tokens signed just before a key rotation would stop verifying while their lease is live`,
      `Set tokens.keyOverlapDays to at least ${Math.ceil(l.maxTtlSeconds / 86_400)} or lower leases.maxTtlSeconds.`,
    );
  }
  checkBackendPolicy(c.backendPolicy);
}

/**
 * Secure by default (CONTRACT §9): an admin without its fleet certificates would let any process on
 * the network register as any proxy, so it starts only with tls.* or an explicit --insecure. Checked
 * when the admin is built, not when the configuration loads, so --print-config still shows it.
 */
export function requireAdminIdentity(c: AdminConfig): void {
  if (c.insecure || (c.tls.caFile && c.tls.certFile && c.tls.keyFile)) return;
  throw new PrismError(
    'PRISM-CONFIG-005',
    'prism-admin has no fleet certificates (tls.caFile, tls.certFile, tls.keyFile) and no --insecure: its gRPC port would let anyone register as a proxy',
  );
}

/** The proxy's side of the same rule: mTLS to the admin (its CA and this proxy's certificate), or --insecure. */
export function requireProxyIdentity(c: ProxyConfig): void {
  const cp = c.controlPlane.tls;
  if (c.insecure || (cp.caFile && (cp.certFile || c.tls.certFile))) return;
  throw new PrismError(
    'PRISM-CONFIG-006',
    `prism-proxy ${c.id} has no TLS to the admin (controlPlane.tls.caFile and a certificate) and no --insecure: it would join whatever answers on ${c.admin.join(', ')}, in clear text`,
  );
}

export function checkProxyConfig(c: ProxyConfig, given: Record<string, unknown>): void {
  checkBackendPolicy(c.backendPolicy);
  checkPorts({ listen: c.listen, opsListen: c.opsListen });
  const strict = c.profile === 'production' || c.profile === 'staging';
  if (strict && !c.auth.required) {
    throw conflict(
      `auth.required = false contradicts profile ${c.profile}, which requires namespace tokens`,
      'Remove auth.required = false, or use profile development for a proxy without authentication.',
    );
  }
  if (c.profile === 'production' && given.id === undefined) {
    throw conflict(
      'profile production needs an explicit proxy id (--id), so that two proxies never share the default id',
      'Pass --id (or "id" in the config file) with a stable, unique id such as the host name.',
    );
  }
  if (ALL_INTERFACES.has(splitHostPort(c.listen).host) && c.advertise === '') {
    throw conflict(
      `listen = "${c.listen}" binds all interfaces but advertise is not set, so peers and load balancers would not know where to reach this proxy`,
      'Pass --advertise HOST:PORT with an address other proxies can reach.',
    );
  }
  if ((c.tls.certFile === '') !== (c.tls.keyFile === '')) {
    throw conflict(
      'tls.certFile and tls.keyFile must be given together',
      'Set both tls.certFile and tls.keyFile, or neither.',
    );
  }
  if (c.insecure && c.profile === 'production') {
    throw conflict(
      'insecure = true (--insecure) contradicts profile production: the control stream would be plaintext and unauthenticated',
      'Drop --insecure and give the proxy controlPlane.tls.caFile and its certificate (prismctl certs issue --ca DIR --proxy ID); --insecure is for throwaway experiments under profile development or staging.',
    );
  }
  if (c.insecure && c.controlPlane.tls.caFile !== '') {
    throw conflict(
      'insecure = true (--insecure) contradicts controlPlane.tls.caFile: the proxy would have to choose between mTLS and a plaintext control stream',
      'Drop --insecure to use mTLS with the admin, or drop controlPlane.tls.* to join an admin started with --insecure.',
    );
  }
  const cp = c.controlPlane;
  if ((cp.tls.certFile === '') !== (cp.tls.keyFile === '')) {
    throw conflict(
      'controlPlane.tls.certFile and controlPlane.tls.keyFile must be given together',
      'Set both, or neither to use tls.certFile and tls.keyFile.',
    );
  }
  if (cp.tls.caFile === '' && cp.tls.certFile !== '') {
    throw conflict(
      'controlPlane.tls.certFile is set but controlPlane.tls.caFile is not, so the admin could not be verified',
      'Set controlPlane.tls.caFile to the fleet CA (ca.crt from prismctl certs init).',
    );
  }
  if (cp.tls.caFile !== '' && cp.tls.certFile === '' && c.tls.certFile === '') {
    throw conflict(
      "controlPlane.tls.caFile is set but neither controlPlane.tls.certFile nor tls.certFile names this proxy's certificate",
      'Set controlPlane.tls.certFile and keyFile (or tls.certFile and keyFile) to the pair prismctl certs made for this proxy id.',
    );
  }
  if (cp.reconnectInitialMs > cp.reconnectMaxMs) {
    throw conflict(
      `controlPlane.reconnectInitialMs = ${cp.reconnectInitialMs} is above controlPlane.reconnectMaxMs = ${cp.reconnectMaxMs}`,
      'Lower controlPlane.reconnectInitialMs or raise controlPlane.reconnectMaxMs.',
    );
  }
  if (c.limits.requestTimeoutMs < c.limits.headersTimeoutMs) {
    throw conflict(
      `limits.requestTimeoutMs = ${c.limits.requestTimeoutMs} is below limits.headersTimeoutMs = ${c.limits.headersTimeoutMs}: a whole request cannot take less time than its headers`,
      'Raise limits.requestTimeoutMs or lower limits.headersTimeoutMs.',
    );
  }
  const h2 = c.forwarding.h2 ? 'h2' : c.forwarding.h2c ? 'h2c' : undefined;
  if (c.forwarding.mode !== 'transparent' && h2) {
    throw conflict(
      `forwarding.${h2} = true has no effect with forwarding.mode = ${c.forwarding.mode}: the proxy never connects to peers`,
      `Drop forwarding.${h2}, or use forwarding.mode transparent.`,
    );
  }
  if (!c.tls.cleartext && c.tls.certFile === '' && cp.tls.caFile === '') {
    throw conflict(
      'tls.cleartext = false leaves the data port nothing to serve: neither tls.certFile nor controlPlane.tls.caFile turns TLS on',
      'Set tls.certFile and tls.keyFile (TLS for clients) or controlPlane.tls.caFile (the fleet CA), or drop tls.cleartext = false.',
    );
  }
}

export function checkPrismctlConfig(c: PrismctlConfig): void {
  checkPorts({
    'lb.listen': c.lb.listen,
    ...(c.lb.watchMetricsListen && { 'lb.watchMetricsListen': c.lb.watchMetricsListen }),
  });
  if ((c.tls.certFile === '') !== (c.tls.keyFile === '')) {
    throw conflict(
      'tls.certFile (--cert) and tls.keyFile (--key) must be given together',
      'Pass both --cert and --key (the pair prismctl certs issue --operator NAME wrote), or neither.',
    );
  }
  const f = c.lb.hashBalanceFactor;
  if (f > 0 && f < 100) {
    throw new PrismError(
      'PRISM-CONFIG-001',
      `option lb.hashBalanceFactor = ${f} is invalid: it must be 0 (off) or from 100 to 1000`,
      {
        action:
          'Set lb.hashBalanceFactor to 0, or to a percentage of the average load such as 150 (no proxy above 1.5x).',
      },
    );
  }
}

/** Every allow/deny entry must parse: a policy that silently ignores an entry is worse than none. */
export function checkBackendPolicy(p: { allow: readonly string[]; deny: readonly string[] }): void {
  const fail = (option: string, value: string, action: string) =>
    new PrismError('PRISM-CONFIG-001', `option ${option} has ${JSON.stringify(value)}, which is not valid`, {
      action,
    });
  for (const cidr of p.deny) {
    try {
      addCidr(new BlockList(), cidr);
    } catch {
      throw fail('backendPolicy.deny', cidr, 'Give CIDRs such as 169.254.0.0/16 or fe80::/10, or single addresses.');
    }
  }
  for (const entry of p.allow) {
    if (isCidr(entry)) {
      try {
        addCidr(new BlockList(), entry);
        continue;
      } catch {}
    } else if (/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry)) continue;
    throw fail(
      'backendPolicy.allow',
      entry,
      'Give CIDRs (10.0.0.0/8), host names (api.example.com) or name suffixes (.example.com).',
    );
  }
}
