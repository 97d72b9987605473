import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetPki } from '../../test-support/pki.js';
import { type AdminProcess, spawnAdmin } from '../../test-support/spawn-admin.js';

/**
 * A prism-admin process for the benchmarks: its own data directory, and rate limits far above what one
 * client can send, so the figures measure the work (authentication and the limiter's bookkeeping
 * included) and not the budget. Calls carry the bootstrap token the admin wrote (`admin.token`), over
 * HTTPS (`admin.caFile`); proxies join with mTLS, as in production. `values` adds configuration (etcd).
 */
export async function spawnBenchAdmin(dir: string, values: Record<string, unknown> = {}): Promise<AdminProcess> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = join(dir, 'bench-admin.json');
  const unlimited = 1_000_000;
  const pki = await fleetPki();
  writeFileSync(
    config,
    JSON.stringify({
      ...pki.admin(),
      limits: {
        operatorRequestsPerSecond: unlimited,
        operatorBurst: unlimited,
        expensivePerMinute: unlimited,
        expensiveBurst: unlimited,
      },
      ...values,
    }),
  );
  return spawnAdmin(dir, ['--config', config], { caFile: pki.caFile });
}
