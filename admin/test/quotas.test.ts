import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';

let admin: StartedAdmin;

beforeAll(async () => {
  admin = await startAdmin({ values: { limits: { namespacesPerTeam: 3 } } });
});
afterAll(() => admin.stop());

const reserve = (name: string, team?: string) =>
  api(admin.http, 'POST', '/v1/namespaces', { name, backends: ['http://127.0.0.1:9000'], ...(team ? { team } : {}) });

describe('per-team namespace quotas', () => {
  it('concurrent reservations never take a team past its quota; other teams are not affected', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(`alpha-${i}`, 'alpha')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 403)).toHaveLength(7);
    const refused = results.find((r) => r.status === 403);
    expect(refused?.json.error.code).toBe('PRISM-NS-009');
    expect(refused?.json.error.message).toContain('team "alpha" already hold 3 live namespaces');
    expect((await reserve('beta-0', 'beta')).status).toBe(201);
  });

  it('a deleted namespace frees its place; a taken name is still a 409, not a quota error', async () => {
    const live = (await api(admin.http, 'GET', '/v1/namespaces?prefix=alpha-')).json.namespaces as { name: string }[];
    expect((await reserve(live[0].name, 'alpha')).status).toBe(409);
    expect((await api(admin.http, 'DELETE', `/v1/namespaces/${live[0].name}?force=true`)).status).toBe(200);
    expect((await reserve('alpha-new', 'alpha')).status).toBe(201);
    expect((await reserve('alpha-newer', 'alpha')).status).toBe(403);
  });

  it('namespaces without a team share one quota', async () => {
    for (const n of ['none-0', 'none-1', 'none-2']) expect((await reserve(n)).status).toBe(201);
    expect((await reserve('none-3')).json.error.code).toBe('PRISM-NS-009');
  });
});
