import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { bench, describe } from 'vitest';
import { loadConfig } from '../../core/src/config/load.js';
import { buildTokenVerifier } from '../../core/src/tokens.js';
import { buildProxyMetrics } from '../../proxy/src/metrics.js';
import { authPlugin } from '../../proxy/src/plugins/auth.js';
import type { Decision, Plugin, PluginEnv, Req, RequestContext, Res } from '../../proxy/src/plugins/types.js';
import { RoutingState } from '../../proxy/src/state.js';
import { BENCH, sink } from './options.js';

const kid = 'bench-key-1';
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] };

const ns = 'team-7-orders';
const token = await new SignJWT({
  ns,
  team: 'team-7',
  perms: ['read', 'write'],
  lease: 'lease-0001',
})
  .setProtectedHeader({ alg: 'ES256', kid })
  .setIssuer('prism-admin')
  .setAudience('prism')
  .setJti('jti-0001')
  .setExpirationTime('2h')
  .sign(privateKey);

async function authenticator(tokenCacheSize?: number) {
  const state = new RoutingState(undefined);
  state.applyKeys(jwks);
  const env: PluginEnv = {
    config: loadConfig('proxy', { values: { auth: { required: true, tokenCacheSize } } }),
    state,
    metrics: buildProxyMetrics('bench'),
    log: pino({ level: 'silent' }),
    self: 'bench',
  };
  return ((await authPlugin({}, env)) as Plugin).hooks.authenticate!;
}

const context = (): RequestContext => ({
  req: { headers: { authorization: `Bearer ${token}`, 'x-prism-namespace': ns } } as unknown as Req,
  res: {} as Res,
  startedAt: 0,
  requestId: 'bench-1',
  namespace: ns,
  partition: 0,
  hops: 0,
  peerTableVersion: 0,
  peerEpoch: 0,
  peer: '',
  owner: '',
  epoch: 0,
  outcome: 'local',
  status: 0,
  upstream: '',
  errorCode: '',
  traceId: '',
});

function expectContinue(decision: Decision): void {
  if (decision.type !== 'continue') throw new Error(`token check did not pass: ${JSON.stringify(decision)}`);
}

const warm = await authenticator();
const warmCtx = context();
expectContinue(await warm(warmCtx));
const hit = warm(warmCtx);
if (hit instanceof Promise) throw new Error('a cached token should be checked synchronously');
expectContinue(hit);
// A cache of size 0 keeps nothing, so every call goes through the signature check inside the plugin.
const uncached = await authenticator(0);
const uncachedCtx = context();
expectContinue(await uncached(uncachedCtx));
const verify = buildTokenVerifier({ jwks });

describe('token check', () => {
  bench(
    'auth plugin authenticate, warm cache (hit)',
    () => {
      sink.value = warm(warmCtx);
    },
    BENCH,
  );
  bench(
    'auth plugin authenticate, tokenCacheSize 0 (verifies every call)',
    async () => {
      sink.value = await uncached(uncachedCtx);
    },
    BENCH,
  );
  bench(
    'cold: verify(token) with a verifier built once',
    async () => {
      sink.value = await verify(token);
    },
    BENCH,
  );
  bench(
    'cold: buildTokenVerifier({ jwks }) + verify(token) every call',
    async () => {
      sink.value = await buildTokenVerifier({ jwks })(token);
    },
    BENCH,
  );
});
