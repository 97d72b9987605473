import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTokenVerifier } from '../../core/src/tokens.js';
import { api, FakeProxy, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import { type EtcdCluster, haveEtcd, startEtcdCluster } from '../../test-support/etcd-cluster.js';
import { runBin } from '../../test-support/run.js';

/**
 * Moving between stores: a SQLite admin's export, imported into an etcd admin, exported again, is the
 * same document; and back into a SQLite admin. Fields that must differ are named below.
 */
const etcd = haveEtcd();
let cluster: EtcdCluster;
let source: StartedAdmin;
let onEtcd: StartedAdmin;
let back: StartedAdmin;
let dir: string;
const tokens: Record<string, string> = {};

const prismctl = (a: StartedAdmin, ...args: string[]) =>
  runBin('prismctl', [...args, '--admin', a.http, '--ca', a.caFile, '--token-file', a.tokenFile]);

type Doc = Record<string, unknown> & { audit: { action: string }[] };
/** What differs between two exports of the same data: when and from which store, and the audit entries of the import itself. */
const comparable = (doc: Doc, importsSince: number) => {
  const { exportedAt: _at, store: _store, audit, ...rest } = doc;
  return { ...rest, audit: audit.slice(0, audit.length - importsSince) };
};

describe.runIf(etcd)('export and import between SQLite and etcd', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prism-export-'));
    cluster = await startEtcdCluster(3);
    source = await startAdmin();
    const proxy = new FakeProxy(source.grpc, 'proxy-a');
    await proxy.until(() => proxy.tables.length > 0);
    proxy.kill();
    for (const [name, team] of [
      ['orders', 'shop'],
      ['carts', 'shop'],
      ['old', ''],
      ['gone', 'ops'],
    ]) {
      const r = await api(source.http, 'POST', '/v1/namespaces', {
        name,
        team,
        backends: ['http://127.0.0.1:9000'],
        config: { tier: 'gold' },
      });
      expect(r.status).toBe(201);
      tokens[name] = r.json.token;
      if (name === 'orders') expect((await api(source.http, 'POST', '/v1/keys:rotate')).status).toBe(200);
    }
    expect((await api(source.http, 'POST', '/v1/namespaces/old:revoke', { reason: 'test' })).status).toBe(200);
    expect((await api(source.http, 'DELETE', '/v1/namespaces/gone')).status).toBe(200);
    // A setting some other part of the admin keeps (as whole JSON): it travels as it is.
    await source.admin.store.putSetting('previous_table', { version: 1, note: 'kept for rollback' });
    onEtcd = await startAdmin({
      values: { etcd: { endpoints: cluster.endpoints, prefix: '/export-test/', requestTimeoutMs: 3_000 } },
    });
    back = await startAdmin();
  }, 60_000);
  afterAll(async () => {
    for (const a of [source, onEtcd, back]) await a?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLite → etcd → SQLite: every export is the same document, and tokens issued before still verify', async () => {
    const file = join(dir, 'export.json');
    const exported = await prismctl(source, 'export', '--out', file);
    expect(exported.stderr).toContain('(mode 0600)');
    expect(exported.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = JSON.parse(readFileSync(file, 'utf8')) as Doc;
    expect(first).toMatchObject({ format: 'prism-admin-export', formatVersion: 1, store: 'sqlite' });
    expect((first.namespaces as unknown[]).length).toBe(4);
    expect((first.signingKeys as unknown[]).length).toBe(2);
    expect(Object.keys(first.settings as object)).not.toContain('operator_signing_key');

    const imported = await prismctl(onEtcd, 'import', file);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('imported 4 namespaces, 2 revocations, 2 signing keys');
    const second = (await api(onEtcd.http, 'GET', '/v1/export')).json as Doc;
    expect(second.store).toBe('etcd');
    expect(second.audit.at(-1)).toMatchObject({ action: 'import', result: 'ok' });
    expect(comparable(second, 1)).toEqual(comparable(first, 0));

    expect((await api(back.http, 'POST', '/v1/import', second)).status).toBe(200);
    const third = (await api(back.http, 'GET', '/v1/export')).json as Doc;
    expect(comparable(third, 2)).toEqual(comparable(first, 0));
    expect(comparable(third, 1)).toEqual(comparable(second, 0));

    // The keys came along: tokens the SQLite admin issued verify against the etcd admin's JWKS.
    const jwks = (await api(onEtcd.http, 'GET', '/.well-known/jwks.json')).json;
    const verify = buildTokenVerifier({ jwks });
    expect((await verify(tokens.orders)).namespace).toBe('orders');
    expect((await verify(tokens.carts)).namespace).toBe('carts');
    // And new tokens are signed with the key that signed last before the export.
    const fresh = await api(onEtcd.http, 'POST', '/v1/namespaces', { name: 'after-move', backends: [] });
    expect(fresh.status).toBe(201);
    expect(decodeProtectedHeader(fresh.json.token).kid).toBe(decodeProtectedHeader(tokens.carts).kid);
    // The table and the quota counters came along too.
    expect((await api(onEtcd.http, 'GET', '/v1/partition-table')).json.version).toBe(
      (await api(source.http, 'GET', '/v1/partition-table')).json.version,
    );
  });

  it('refuses to import into an admin that holds data unless --force, and refuses what is not an export', async () => {
    const file = join(dir, 'again.json');
    expect((await prismctl(source, 'export', '--out', file)).code).toBe(0);
    const refused = await prismctl(onEtcd, 'import', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error PRISM-STORE-005: this admin already holds namespaces');
    const forced = await api(onEtcd.http, 'POST', '/v1/import?force=true', JSON.parse(readFileSync(file, 'utf8')));
    expect(forced.status).toBe(200);
    const bad = await api(onEtcd.http, 'POST', '/v1/import', { format: 'prism-admin-export', formatVersion: 2 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('PRISM-STORE-006');
    const audit = (await api(onEtcd.http, 'GET', '/v1/audit?target=admin&limit=3')).json.entries;
    expect(audit.map((e: { result: string }) => e.result)).toEqual(['PRISM-STORE-006', 'ok', 'PRISM-STORE-005']);
  });
});
