import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { withFleetTls } from '../../test-support/admin-harness.js';
import { FakeClock } from '../../test-support/fake-clock.js';
import { type Admin, buildAdmin } from '../src/admin.js';
import { openSqliteStore } from '../src/sqlite-store.js';
import type { AdminStore } from '../src/store.js';

const dirs: string[] = [];
const admins: Admin[] = [];
afterEach(async () => {
  for (const a of admins.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('cleanup job failures', () => {
  it('retries a failing step with backoff, then logs and counts it; the next run catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-cleanup-'));
    dirs.push(dir);
    const real = openSqliteStore({ dataDir: dir });
    // A disk fault cannot be produced on demand here, so the store fails the expiry query on purpose.
    let failures = 5;
    let calls = 0;
    const flaky: AdminStore = {
      ...real,
      expiredLive: async (now, limit) => {
        calls++;
        if (failures-- > 0) throw new Error('disk I/O error');
        return real.expiredLive(now, limit);
      },
    };
    const clock = new FakeClock();
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const config = loadConfig('admin', {
      values: await withFleetTls({
        dataDir: dir,
        grpcListen: '127.0.0.1:0',
        httpListen: '127.0.0.1:0',
        leases: { cleanupRetryInitialMs: 10, cleanupRetryMaxMs: 20 },
      }),
    });
    const admin = await buildAdmin({ config, clock, store: flaky, logger, timers: false });
    admins.push(admin);
    await admin.namespaces.reserve(
      { name: 'doomed', backends: [], team: '', leaseTtlSeconds: 3600, config: {} },
      'test',
    );
    clock.advance(3 * 3_600_000);

    const first = await admin.cleanup.runOnce();
    expect(calls).toBe(5); // one try and four retries
    expect(first.expired).toEqual([]);
    expect(await admin.metrics.registry.getSingleMetricAsString('prism_admin_cleanup_failures_total')).toContain(
      'prism_admin_cleanup_failures_total{step="expire"} 1',
    );
    expect(logged.some((l) => l.includes('cleanup step failed after retries'))).toBe(true);

    const second = await admin.cleanup.runOnce();
    expect(second.expired).toEqual(['doomed']);
  });
});
