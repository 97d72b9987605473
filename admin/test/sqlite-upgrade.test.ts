import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../src/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'prism-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('opens a data directory from before lease revocation and keeps its revocations', async () => {
  const old = new Database(join(dir, 'prism-admin.sqlite'));
  old.exec(
    'CREATE TABLE revocations (jti TEXT PRIMARY KEY, namespace TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID',
  );
  old.prepare('INSERT INTO revocations VALUES (?, ?, ?)').run('old-jti', 'orders-prod', 4_000_000_000_000);
  old.close();

  const store = openSqliteStore({ dataDir: dir });
  try {
    await store.addRevocation({
      jti: 'new-jti',
      namespace: 'orders-prod',
      expiresAt: 4_000_000_000_000,
      leaseId: 'l-1',
    });
    expect(await store.listRevocations()).toEqual([
      { jti: 'new-jti', namespace: 'orders-prod', expiresAt: 4_000_000_000_000, leaseId: 'l-1' },
      { jti: 'old-jti', namespace: 'orders-prod', expiresAt: 4_000_000_000_000, leaseId: '' },
    ]);
  } finally {
    await store.close();
  }
});
