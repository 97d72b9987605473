import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type StartedAdmin, startAdmin } from '../../test-support/admin-harness.js';
import {
  type Backend,
  removeDir,
  type StartedProxy,
  startBackend,
  startProxy,
  until,
} from '../../test-support/proxy-harness.js';

let admin: StartedAdmin;
let backend: Backend;
let proxy: StartedProxy;

beforeAll(async () => {
  admin = await startAdmin();
  backend = await startBackend('b');
  proxy = await startProxy('guard', [admin.grpc], { auth: { required: true } });
  await until(() => proxy.proxy.state.version > 0 && proxy.proxy.state.jwks, 5000, 'table and keys');
});

afterAll(async () => {
  await proxy.stop();
  removeDir(proxy.stateDir);
  await backend.stop();
  await admin.stop();
});

const call = async (ns: string, token: string) => {
  const res = await fetch(`${proxy.url}/`, { headers: { 'x-prism-namespace': ns, authorization: `Bearer ${token}` } });
  const body = await res.json();
  return { status: res.status, code: body.error?.code as string | undefined };
};

describe('revocation covers every token of a lease', () => {
  it('a token issued before a refresh is refused after revoke, and stays refused after restore', async () => {
    const reserved = await api(admin.http, 'POST', '/v1/namespaces', { name: 'leased', backends: [backend.url] });
    await until(() => proxy.proxy.state.advertisements.has('leased'), 5000, 'advertisement');
    const first = reserved.json.token as string;
    const refreshed = (await api(admin.http, 'POST', '/v1/namespaces/leased:refresh', {})).json.token as string;
    expect(refreshed).not.toBe(first);
    expect((await call('leased', first)).status).toBe(200);
    expect((await call('leased', refreshed)).status).toBe(200);

    expect((await api(admin.http, 'POST', '/v1/namespaces/leased:revoke', { reason: 'leaked' })).status).toBe(200);
    await until(() => proxy.proxy.state.revokedLeases.size > 0, 5000, 'lease revocation pushed');
    await until(() => !proxy.proxy.state.advertisements.has('leased'), 5000, 'advertisement withdrawn');

    const restored = await api(admin.http, 'POST', '/v1/namespaces/leased:restore', {});
    expect(restored.status).toBe(200);
    await until(() => proxy.proxy.state.advertisements.has('leased'), 5000, 'advertisement back');
    expect(await call('leased', restored.json.token)).toEqual({ status: 200, code: undefined });
    expect(await call('leased', first)).toEqual({ status: 401, code: 'PRISM-AUTH-004' });
    expect(await call('leased', refreshed)).toEqual({ status: 401, code: 'PRISM-AUTH-004' });
  });

  it('a proxy restarted from its last-known-good state still refuses the revoked lease', async () => {
    const reserved = await api(admin.http, 'POST', '/v1/namespaces', { name: 'kept', backends: [backend.url] });
    const old = reserved.json.token as string;
    await api(admin.http, 'POST', '/v1/namespaces/kept:refresh', {});
    await api(admin.http, 'DELETE', '/v1/namespaces/kept?force=true');
    const restored = await api(admin.http, 'POST', '/v1/namespaces/kept:restore', {});
    await until(() => proxy.proxy.state.advertisements.has('kept'), 5000, 'advertisement');
    await until(() => proxy.proxy.state.revokedLeases.has(reserved.json.namespace.lease.leaseId), 5000, 'revocation');
    proxy.proxy.state.save();
    const again = await startProxy('guard-2', ['127.0.0.1:1'], { auth: { required: true } }, proxy.stateDir);
    try {
      const res = await fetch(`${again.url}/`, {
        headers: { 'x-prism-namespace': 'kept', authorization: `Bearer ${old}` },
      });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('PRISM-AUTH-004');
      const ok = await fetch(`${again.url}/`, {
        headers: { 'x-prism-namespace': 'kept', authorization: `Bearer ${restored.json.token}` },
      });
      expect(ok.status).not.toBe(401);
    } finally {
      await again.stop();
    }
  });
});
