import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import type { Logger } from 'pino';
import type { Clock } from '../../core/src/clock.js';
import type { AdminConfig } from '../../core/src/config/admin-schema.js';
import type { AdminMetrics } from './metrics.js';
import type { NamespaceService } from './namespaces.js';
import type { AdminStore } from './store.js';
import type { TokenIssuer } from './tokens.js';

const BATCH = 500;

export interface CleanupDeps {
  store: AdminStore;
  clock: Clock;
  config: Readonly<AdminConfig>;
  namespaces: NamespaceService;
  issuer: TokenIssuer;
  metrics: AdminMetrics;
  log: Logger;
}

export interface CleanupReport {
  expired: string[];
  purged: string[];
  skippedInUse: string[];
  revocationsPruned: number;
  rotatedKey: boolean;
}

/**
 * The background job: expires leases past their grace period (soft delete + token revocation),
 * purges soft-deleted namespaces after the retention period unless proxies still report traffic,
 * prunes old revocations and rotates the signing key when due. Each step retries with exponential
 * backoff; a step that still fails is logged and counted, and the next run tries again.
 */
export class CleanupJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<CleanupReport>;
  private readonly policy;

  constructor(private readonly deps: CleanupDeps) {
    const l = deps.config.leases;
    this.policy = retry(handleAll, {
      maxAttempts: 4, // retries after the first try
      backoff: new ExponentialBackoff({ initialDelay: l.cleanupRetryInitialMs, maxDelay: l.cleanupRetryMaxMs }),
    });
  }

  start(): void {
    clearInterval(this.timer);
    const every = this.deps.config.leases.cleanupIntervalSeconds * 1000;
    this.timer = setInterval(() => void this.runOnce(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; concurrent calls share the pass in progress. */
  runOnce(): Promise<CleanupReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async step<T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(fn);
    } catch (err) {
      this.deps.metrics.cleanupFailures.inc({ step: name });
      this.deps.log.error({ err, step: name }, 'cleanup step failed after retries; the next run tries again');
      return fallback;
    }
  }

  private async pass(): Promise<CleanupReport> {
    const { store, clock, namespaces, metrics, config, issuer } = this.deps;
    const report: CleanupReport = {
      expired: [],
      purged: [],
      skippedInUse: [],
      revocationsPruned: 0,
      rotatedKey: false,
    };

    await this.step('expire', undefined, async () => {
      for (const record of await store.expiredLive(clock.now(), BATCH)) {
        const now = clock.now();
        await namespaces.endLease(
          { ...record, deletedAt: now, deleteReason: 'expired' },
          { at: now, actor: 'cleanup', action: 'expire', target: record.name, result: 'ok', detail: '' },
        );
        metrics.expirations.inc();
        report.expired.push(record.name);
      }
    });

    await this.step('purge', undefined, async () => {
      const cutoff = clock.now() - config.leases.softDeleteRetentionSeconds * 1000;
      for (const record of await store.purgeable(cutoff, BATCH)) {
        if (namespaces.inUse(record)) {
          metrics.purges.inc({ result: 'skipped_traffic' });
          report.skippedInUse.push(record.name);
          this.deps.log.warn({ namespace: record.name }, 'not purging a namespace that still receives traffic');
          continue;
        }
        await store.purgeNamespace(record.name, {
          at: clock.now(),
          actor: 'cleanup',
          action: 'purge',
          target: record.name,
          result: 'ok',
          detail: record.deleteReason ?? '',
        });
        metrics.purges.inc({ result: 'purged' });
        report.purged.push(record.name);
      }
    });

    report.revocationsPruned = await this.step('revocations', 0, () => store.pruneRevocations(clock.now()));
    report.rotatedKey = await this.step('keys', false, async () => {
      issuer.refresh();
      return issuer.rotateIfDue();
    });
    await this.step('gauges', undefined, async () => {
      metrics.activeLeases.set(await store.countLive(clock.now()));
    });
    return report;
  }
}
