import { randomUUID } from 'node:crypto';
import { type BackendPolicy, describeRefusal } from '../../core/src/backend-policy.js';
import type { Clock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import { PrismError } from '../../core/src/errors.js';
import { checkNamespace, describe } from '../../core/src/names.js';
import { partitionOf } from '../../core/src/partition.js';
import { type Lease, LeaseState, type Namespace } from '../../proto/gen/prism/admin/v1/namespace.js';
import type {
  ListNamespacesRequest,
  ListNamespacesResponse,
  ReserveNamespaceRequest,
  ReserveNamespaceResponse,
} from '../../proto/gen/prism/admin/v1/operator.js';
import type { AdminMetrics } from './metrics.js';
import type { AdminStore, AuditEntry, NamespaceRecord, RevocationRecord } from './store.js';
import type { TokenIssuer } from './tokens.js';

export const PERMISSIONS = ['read', 'write'];
const MAX_BACKENDS = 64;
const MAX_CONFIG_ENTRIES = 64;

export interface NamespaceEvents {
  /** A namespace appeared, changed or went away (deletedAt set): advertise it. */
  changed(record: NamespaceRecord): void;
  /** A token was revoked: push it to the proxies. */
  revoked(revocation: RevocationRecord): void;
}

export interface NamespaceServiceDeps {
  store: AdminStore;
  clock: Clock;
  config: Readonly<AdminConfig>;
  issuer: TokenIssuer;
  metrics: AdminMetrics;
  events: NamespaceEvents;
  /** Owner proxy id of a namespace under the current table, or '' when there is no table. */
  ownerOf(namespace: string): string;
  /** Which backend addresses are allowed (SSRF defence); checked at reservation and restore. */
  backendPolicy: BackendPolicy;
}

export function leaseState(r: NamespaceRecord, now: number): LeaseState {
  if (r.revokedAt !== null) return LeaseState.LEASE_STATE_REVOKED;
  if (now < r.expiresAt) return LeaseState.LEASE_STATE_ACTIVE;
  if (now < r.graceUntil) return LeaseState.LEASE_STATE_GRACE;
  return LeaseState.LEASE_STATE_EXPIRED;
}

/** The namespace registry: reservations, leases, tokens, soft delete; every operation audited. */
export class NamespaceService {
  constructor(private readonly deps: NamespaceServiceDeps) {}

  private get leases() {
    return this.deps.config.leases;
  }

  private audit(actor: string, action: string, target: string, result = 'ok', detail = ''): AuditEntry {
    return { at: this.deps.clock.now(), actor, action, target, result, detail };
  }

  /** Validates a requested TTL: 0 or absent means the default. */
  private ttl(requested: number | undefined): number {
    const { minTtlSeconds, maxTtlSeconds, defaultTtlSeconds } = this.leases;
    if (!requested) return defaultTtlSeconds;
    if (!Number.isInteger(requested) || requested < minTtlSeconds || requested > maxTtlSeconds) {
      throw new PrismError(
        'PRISM-LEASE-001',
        `leaseTtlSeconds ${describe(requested)} is outside ${minTtlSeconds}..${maxTtlSeconds}`,
        {
          action: `Ask for a TTL from ${minTtlSeconds} to ${maxTtlSeconds} seconds, or omit it for ${defaultTtlSeconds}.`,
        },
      );
    }
    return requested;
  }

  private async newLease(
    record: NamespaceRecord,
    ttlSeconds: number,
  ): Promise<{ record: NamespaceRecord; token: string }> {
    const now = this.deps.clock.now();
    const expiresAt = now + ttlSeconds * 1000;
    const graceUntil = expiresAt + this.leases.graceSeconds * 1000;
    const { token, jti } = await this.deps.issuer.issue({
      namespace: record.name,
      team: record.team,
      permissions: PERMISSIONS,
      leaseId: record.leaseId,
      expiresAt: graceUntil,
    });
    return { record: { ...record, ttlSeconds, grantedAt: now, expiresAt, graceUntil, tokenJti: jti }, token };
  }

  async reserve(req: ReserveNamespaceRequest, actor: string): Promise<ReserveNamespaceResponse> {
    const { metrics } = this.deps;
    let name: string;
    let ttl: number;
    try {
      name = checkNamespace(req.name);
      validateFields(req);
      checkBackends(req.backends ?? [], this.deps.backendPolicy);
      ttl = this.ttl(req.leaseTtlSeconds);
    } catch (err) {
      metrics.reservations.inc({ status: 'invalid' });
      throw err;
    }
    const now = this.deps.clock.now();
    const draft: NamespaceRecord = {
      name,
      team: req.team ?? '',
      backends: [...(req.backends ?? [])],
      config: { ...(req.config ?? {}) },
      createdAt: now,
      leaseId: randomUUID(),
      ttlSeconds: ttl,
      grantedAt: now,
      expiresAt: now,
      graceUntil: now,
      tokenJti: '',
      revokedAt: null,
      deletedAt: null,
      deleteReason: null,
      lastTrafficAt: null,
    };
    const { record, token } = await this.newLease(draft, ttl);
    const quota = this.deps.config.limits.namespacesPerTeam;
    const result = await this.deps.store.insertNamespace(record, this.audit(actor, 'reserve', name), quota);
    if (!result.ok && 'quota' in result) {
      metrics.reservations.inc({ status: 'quota' });
      throw new PrismError(
        'PRISM-NS-009',
        `${record.team ? `team "${record.team}"` : 'namespaces without a team'} already hold ${quota} live namespaces, the quota (limits.namespacesPerTeam)`,
      );
    }
    if (!result.ok) {
      metrics.reservations.inc({ status: 'conflict' });
      throw new PrismError(
        'PRISM-NS-004',
        conflictMessage(result.holder, this.deps.clock.now(), this.leases.softDeleteRetentionSeconds),
      );
    }
    metrics.reservations.inc({ status: 'ok' });
    this.deps.events.changed(record);
    return this.response(record, token);
  }

  async get(name: string): Promise<Namespace> {
    return this.toMessage(await this.load(name));
  }

  async list(req: ListNamespacesRequest): Promise<ListNamespacesResponse> {
    const limit = Math.min(Math.max(req.pageSize || 100, 1), 1000);
    const after = req.pageToken ? Buffer.from(req.pageToken, 'base64url').toString() : undefined;
    const rows = await this.deps.store.listNamespaces({
      prefix: req.prefix || undefined,
      includeDeleted: req.includeDeleted,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      namespaces: page.map((r) => this.toMessage(r)),
      nextPageToken: rows.length > limit ? Buffer.from(page[page.length - 1].name).toString('base64url') : '',
    };
  }

  async refresh(name: string, ttlSeconds: number | undefined, actor: string): Promise<ReserveNamespaceResponse> {
    const { metrics, clock } = this.deps;
    const current = await this.load(name).catch((err) => {
      metrics.refreshes.inc({ status: 'not_found' });
      throw err;
    });
    const state = leaseState(current, clock.now());
    if (
      current.deletedAt !== null ||
      state === LeaseState.LEASE_STATE_REVOKED ||
      state === LeaseState.LEASE_STATE_EXPIRED
    ) {
      metrics.refreshes.inc({ status: 'refused' });
      throw new PrismError(
        'PRISM-NS-007',
        `namespace "${name}" cannot be refreshed: ${current.deletedAt !== null ? `it was ${current.deleteReason ?? 'deleted'}` : `its lease is ${LeaseState[state].replace('LEASE_STATE_', '').toLowerCase()}`}`,
        {
          action:
            'Restore it (POST /v1/namespaces/{name}:restore) if it was deleted, expired or revoked in the last 7 days.',
        },
      );
    }
    let ttl: number;
    try {
      ttl = ttlSeconds ? this.ttl(ttlSeconds) : current.ttlSeconds;
    } catch (err) {
      metrics.refreshes.inc({ status: 'invalid' });
      throw err;
    }
    const { record, token } = await this.newLease(current, ttl);
    await this.deps.store.updateNamespace(record, this.audit(actor, 'refresh', name, 'ok', `ttl=${ttl}`));
    metrics.refreshes.inc({ status: 'ok' });
    this.deps.events.changed(record);
    return this.response(record, token);
  }

  async revoke(name: string, reason: string, actor: string): Promise<Namespace> {
    const current = await this.load(name);
    if (current.revokedAt !== null) return this.toMessage(current);
    const now = this.deps.clock.now();
    const record: NamespaceRecord = {
      ...current,
      revokedAt: now,
      deletedAt: current.deletedAt ?? now,
      deleteReason: current.deleteReason ?? 'revoked',
    };
    await this.endLease(record, this.audit(actor, 'revoke', name, 'ok', reason));
    return this.toMessage(record);
  }

  async delete(name: string, force: boolean, actor: string): Promise<Namespace> {
    const current = await this.load(name);
    if (current.deletedAt !== null) return this.toMessage(current);
    if (!force && this.inUse(current)) {
      await this.deps.store.audit(this.audit(actor, 'delete', name, 'PRISM-NS-006'));
      throw new PrismError(
        'PRISM-NS-006',
        `namespace "${name}" served requests at ${iso(current.lastTrafficAt ?? 0)}; deleting it would break its clients`,
      );
    }
    const record: NamespaceRecord = { ...current, deletedAt: this.deps.clock.now(), deleteReason: 'deleted' };
    await this.endLease(record, this.audit(actor, 'delete', name, 'ok', force ? 'force' : ''));
    return this.toMessage(record);
  }

  /** Restores a soft-deleted namespace with a fresh lease (default TTL) and token. */
  async restore(name: string, actor: string): Promise<ReserveNamespaceResponse> {
    const current = await this.load(name);
    if (current.deletedAt === null) {
      throw new PrismError('PRISM-NS-007', `namespace "${name}" is not deleted; there is nothing to restore`, {
        action: 'Refresh its lease instead (POST /v1/namespaces/{name}:refresh).',
      });
    }
    // The policy may have changed since the reservation.
    checkBackends(current.backends, this.deps.backendPolicy);
    const base: NamespaceRecord = {
      ...current,
      revokedAt: null,
      deletedAt: null,
      deleteReason: null,
      leaseId: randomUUID(),
    };
    const { record, token } = await this.newLease(base, this.leases.defaultTtlSeconds);
    await this.deps.store.updateNamespace(record, this.audit(actor, 'restore', name));
    this.deps.events.changed(record);
    return this.response(record, token);
  }

  /** Removes a soft-deleted namespace for good; refuses while proxies report traffic unless forced. */
  async purge(name: string, force: boolean, actor: string): Promise<void> {
    const current = await this.load(name);
    if (current.deletedAt === null) {
      throw new PrismError('PRISM-NS-007', `namespace "${name}" is live; only a deleted namespace can be purged`, {
        action: 'Delete it first (DELETE /v1/namespaces/{name}), then purge it.',
      });
    }
    if (!force && this.inUse(current)) {
      throw new PrismError(
        'PRISM-NS-006',
        `namespace "${name}" served requests at ${iso(current.lastTrafficAt ?? 0)}; purging it would break its clients`,
      );
    }
    await this.deps.store.purgeNamespace(name, this.audit(actor, 'purge', name, 'ok', force ? 'force' : ''));
  }

  /**
   * Ends a lease: stores the record, revokes the lease (every token issued for it, the newest and
   * those from before a refresh) and withdraws the advertisement. A token issued before a refresh
   * to a shorter TTL may outlive the lease's grace end, so the revocation is kept for the longest
   * lease plus grace.
   */
  async endLease(record: NamespaceRecord, audit: AuditEntry): Promise<void> {
    await this.deps.store.updateNamespace(record, audit);
    const revocation = {
      jti: record.tokenJti,
      namespace: record.name,
      expiresAt: Math.max(
        record.graceUntil,
        this.deps.clock.now() + (this.leases.maxTtlSeconds + this.leases.graceSeconds) * 1000,
      ),
      leaseId: record.leaseId,
    };
    await this.deps.store.addRevocation(revocation);
    this.deps.events.revoked(revocation);
    this.deps.events.changed(record);
  }

  inUse(r: NamespaceRecord): boolean {
    const window = 2 * this.deps.config.proxies.heartbeatSeconds * 1000;
    return r.lastTrafficAt !== null && this.deps.clock.now() - r.lastTrafficAt < window;
  }

  private async load(name: string): Promise<NamespaceRecord> {
    checkNamespace(name);
    const record = await this.deps.store.getNamespace(name);
    if (!record) throw new PrismError('PRISM-NS-003', `namespace "${name}" does not exist`);
    return record;
  }

  private response(record: NamespaceRecord, token: string): ReserveNamespaceResponse {
    const namespace = this.toMessage(record);
    const warnings: string[] = [];
    if (!namespace.owner)
      warnings.push('no proxy has registered yet: the namespace gets an owner when the first proxy joins');
    return {
      namespace,
      token,
      lease: namespace.lease,
      partitionId: namespace.partitionId,
      owner: namespace.owner,
      warnings,
    };
  }

  toMessage(r: NamespaceRecord): Namespace {
    const lease: Lease = {
      leaseId: r.leaseId,
      ttlSeconds: r.ttlSeconds,
      grantedAt: new Date(r.grantedAt),
      expiresAt: new Date(r.expiresAt),
      graceUntil: new Date(r.graceUntil),
      state: leaseState(r, this.deps.clock.now()),
    };
    return {
      name: r.name,
      team: r.team,
      backends: r.backends,
      config: r.config,
      partitionId: partitionOf(r.name),
      owner: this.deps.ownerOf(r.name),
      lease,
      createdAt: new Date(r.createdAt),
      deletedAt: r.deletedAt === null ? undefined : new Date(r.deletedAt),
    };
  }
}

/** Lease-state warnings for responses that read a namespace. */
export function leaseWarnings(ns: Namespace): string[] {
  if (ns.lease?.state === LeaseState.LEASE_STATE_GRACE) {
    return [
      `lease expired at ${ns.lease.expiresAt?.toISOString()}; served during the grace period until ${ns.lease.graceUntil?.toISOString()}: refresh it`,
    ];
  }
  return [];
}

const iso = (ms: number) => new Date(ms).toISOString();

function conflictMessage(holder: NamespaceRecord, now: number, retentionSeconds: number): string {
  const who = holder.team ? `team "${holder.team}"` : 'another client';
  if (holder.deletedAt !== null) {
    return `namespace "${holder.name}" is ${holder.deleteReason ?? 'deleted'} since ${iso(holder.deletedAt)} and held for restore until ${iso(holder.deletedAt + retentionSeconds * 1000)} (lease ${holder.leaseId})`;
  }
  const state = leaseState(holder, now) === LeaseState.LEASE_STATE_GRACE ? ' (in its grace period)' : '';
  return `namespace "${holder.name}" is held by ${who} until ${iso(holder.expiresAt)}${state}, grace until ${iso(holder.graceUntil)} (lease ${holder.leaseId})`;
}

/** Refuses a backend the policy does not allow, naming the rule (validateFields has checked the URL form). */
function checkBackends(backends: readonly string[], policy: BackendPolicy): void {
  for (const b of backends) {
    const refusal = policy.checkUrl(new URL(b));
    if (refusal) throw new PrismError('PRISM-NS-008', describeRefusal(describe(b), refusal));
  }
}

function validateFields(req: ReserveNamespaceRequest): void {
  const bad = (what: string) => new PrismError('PRISM-NS-005', what);
  const backends = req.backends ?? [];
  if (backends.length > MAX_BACKENDS) throw bad(`${backends.length} backends given; at most ${MAX_BACKENDS}`);
  for (const b of backends) {
    let url: URL;
    try {
      url = new URL(b);
    } catch {
      throw bad(`backend ${describe(b)} is not a URL`);
    }
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      !url.hostname ||
      url.username ||
      url.search ||
      url.hash
    ) {
      throw bad(`backend ${describe(b)} is not an http(s)://host:port URL`);
    }
  }
  if (req.team !== undefined && (req.team.length > 63 || !/^[\x20-\x7e]*$/.test(req.team))) {
    throw bad(`team ${describe(req.team)} is not at most 63 printable ASCII characters`);
  }
  const config = Object.entries(req.config ?? {});
  if (config.length > MAX_CONFIG_ENTRIES)
    throw bad(`config has ${config.length} entries; at most ${MAX_CONFIG_ENTRIES}`);
  for (const [k, v] of config) {
    if (!/^[A-Za-z0-9._-]{1,63}$/.test(k))
      throw bad(`config key ${describe(k)} is not 1-63 characters of A-Z a-z 0-9 . _ -`);
    if (typeof v !== 'string' || v.length > 1024)
      throw bad(`config value of ${describe(k)} is not a string of at most 1024 characters`);
  }
}
