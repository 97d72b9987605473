import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  decodeJwt,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Clock } from '../../core/src/clock.js';
import { PrismError } from '../../core/src/errors.js';
import { describe } from '../../core/src/names.js';
import {
  isOperatorRole,
  OPERATOR_TOKEN_AUDIENCE,
  type OperatorRole,
  PRINCIPAL_NAME,
} from '../../core/src/operator-roles.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../core/src/tokens.js';
import type { AdminStore } from './store.js';

/** The file in the data directory that holds the first admin token (0600). */
export const BOOTSTRAP_TOKEN_FILE = 'operator-admin.token';
/** The principal name of that token. */
export const BOOTSTRAP_NAME = 'bootstrap';

const KEY_SETTING = 'operator_signing_key';
/** Verified tokens remembered, so that a client's every call does not pay an ES256 verification. */
const VERIFIED_CACHE = 10_000;
/** The setting that holds the registry: admins sharing a store follow each other's changes of it. */
export const REGISTRY_SETTING = 'operator_tokens';
const BOOTSTRAP_SETTING = 'operator_bootstrap';

/** What the admin keeps of every operator token it issued (never the token itself). Times in ms. */
export interface OperatorTokenRecord {
  jti: string;
  name: string;
  role: OperatorRole;
  createdAt: number;
  expiresAt: number;
  /** The principal that asked for it (`token:alice`), or `bootstrap`. */
  createdBy: string;
  revokedAt: number | null;
}

interface StoredOperatorKey {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
}

export interface OperatorTokensOptions {
  store: AdminStore;
  clock: Clock;
  algorithm: 'ES256' | 'EdDSA';
}

type Key = Awaited<ReturnType<typeof importJWK>>;

/**
 * Bearer tokens for the operator API: JWTs signed by a key of their own (never the namespace keys,
 * which rotate every 30 days and are published to every proxy), with `aud` prism-operator, `sub` the
 * principal name, a `role` and a `jti`. The admin keeps a registry of the tokens it issued, so a
 * token verifies only while its registry entry is there and not revoked: revocation is one write,
 * and `prismctl auth token list` shows every credential that is still live.
 */
export class OperatorTokens {
  private signing!: { kid: string; alg: string; privateKey: Key; publicKey: Key };
  private readonly registry = new Map<string, OperatorTokenRecord>();
  /**
   * Tokens whose signature and claims verified, by their exact text. An ES256 verification costs
   * about 260 µs of CPU here, half of what a whole reservation costs; a lookup costs next to nothing.
   * Expiry and revocation are still checked on every call.
   */
  private readonly verified = new Map<string, OperatorTokenRecord>();

  private constructor(private readonly options: OperatorTokensOptions) {}

  static async open(options: OperatorTokensOptions): Promise<OperatorTokens> {
    const tokens = new OperatorTokens(options);
    const { store } = options;
    let stored = (await store.getSetting(KEY_SETTING)) as StoredOperatorKey | undefined;
    if (!stored) {
      // Admins that start together on an empty store keep the key the first of them wrote.
      const made = await makeKey(options.algorithm, options.clock.now());
      stored = await store.updateSetting<StoredOperatorKey>(KEY_SETTING, (current) => current ?? made);
    }
    tokens.signing = {
      kid: stored.kid,
      alg: stored.alg,
      privateKey: await importJWK(JSON.parse(stored.privateJwk), stored.alg),
      publicKey: await importJWK(JSON.parse(stored.publicJwk), stored.alg),
    };
    const records = ((await store.getSetting(REGISTRY_SETTING)) ?? []) as OperatorTokenRecord[];
    for (const r of records) tokens.registry.set(r.jti, r);
    return tokens;
  }

  /** Signs a token for `name` with `role`, valid for `ttlSeconds`, and records it. */
  async issue(request: {
    name: string;
    role: OperatorRole;
    ttlSeconds: number;
    createdBy: string;
  }): Promise<{ token: string; record: OperatorTokenRecord }> {
    const { name, role, ttlSeconds, createdBy } = request;
    if (!PRINCIPAL_NAME.test(name)) {
      throw new PrismError('PRISM-ACCESS-008', `the token name ${describe(name)} is not a valid principal name`);
    }
    if (!isOperatorRole(role)) {
      throw new PrismError('PRISM-ACCESS-008', `the role ${describe(role)} is not one of viewer, operator, admin`);
    }
    const now = this.options.clock.now();
    const nowSeconds = Math.floor(now / 1000);
    const record: OperatorTokenRecord = {
      jti: randomUUID(),
      name,
      role,
      createdAt: now,
      expiresAt: (nowSeconds + ttlSeconds) * 1000,
      createdBy,
      revokedAt: null,
    };
    const token = await new SignJWT({ role })
      .setProtectedHeader({ alg: this.signing.alg, kid: this.signing.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(OPERATOR_TOKEN_AUDIENCE)
      .setSubject(name)
      .setJti(record.jti)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ttlSeconds)
      .sign(this.signing.privateKey);
    this.registry.set(record.jti, record);
    await this.save();
    return { token, record };
  }

  /**
   * The registry entry of a token that verifies: signed by the operator key with ES256/EdDSA (never
   * `none` or HMAC), this issuer and audience, not expired, issued here and not revoked. Each failure
   * is a coded 401.
   */
  async verify(token: string): Promise<OperatorTokenRecord> {
    const known = this.verified.get(token);
    if (known) return this.stillValid(known);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.signing.publicKey, {
        issuer: TOKEN_ISSUER,
        audience: OPERATOR_TOKEN_AUDIENCE,
        algorithms: [this.signing.alg],
        currentDate: new Date(this.options.clock.now()),
        requiredClaims: ['jti', 'exp', 'sub', 'role'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) {
        throw new PrismError('PRISM-ACCESS-003', `the operator token of ${describe(err.payload.sub)} has expired`);
      }
      throw new PrismError('PRISM-ACCESS-002', `the operator token is invalid: ${whyInvalid(token, err as Error)}`);
    }
    const record = this.registry.get(String(payload.jti));
    if (!record) {
      throw new PrismError(
        'PRISM-ACCESS-004',
        `the operator token of ${describe(payload.sub)} (jti ${describe(payload.jti)}) is not in this admin's token registry: it was revoked and forgotten, or belongs to another data directory`,
      );
    }
    if (this.verified.size >= VERIFIED_CACHE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, record);
    return this.stillValid(record);
  }

  /** Expiry and revocation of a token whose signature verified earlier. */
  private stillValid(record: OperatorTokenRecord): OperatorTokenRecord {
    if (this.options.clock.now() >= record.expiresAt) {
      throw new PrismError('PRISM-ACCESS-003', `the operator token of "${record.name}" has expired`);
    }
    if (this.registry.get(record.jti) !== record) {
      throw new PrismError(
        'PRISM-ACCESS-004',
        `the operator token of "${record.name}" (jti ${record.jti}) is no longer in this admin's token registry`,
      );
    }
    if (record.revokedAt !== null) {
      throw new PrismError(
        'PRISM-ACCESS-004',
        `the operator token of "${record.name}" (jti ${record.jti}) was revoked at ${new Date(record.revokedAt).toISOString()}`,
      );
    }
    return record;
  }

  /** Marks a token revoked; it is refused from now on. Undefined when no such jti was issued. */
  async revoke(jti: string): Promise<OperatorTokenRecord | undefined> {
    const record = this.registry.get(jti);
    if (!record) return undefined;
    record.revokedAt ??= this.options.clock.now();
    await this.save();
    return record;
  }

  /** Tokens that still matter (not yet expired), newest first. */
  list(): OperatorTokenRecord[] {
    const now = this.options.clock.now();
    return [...this.registry.values()].filter((r) => r.expiresAt > now).sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Writes the first admin token to `<dataDir>/operator-admin.token` (0600) on the first start (or
   * when `force`), the way Vault and kubeadm hand out their first credential: whoever can read the
   * data directory could read the signing key anyway. Later starts leave the file alone, also when it
   * was deleted; `force` (prism-admin --new-bootstrap-token) writes a new one and revokes the old.
   * Returns what it wrote, never the token.
   */
  async bootstrap(
    dataDir: string,
    ttlSeconds: number,
    force = false,
  ): Promise<{ file: string; jti: string; expiresAt: number } | undefined> {
    const previous = (await this.options.store.getSetting(BOOTSTRAP_SETTING)) as { jti: string } | undefined;
    if (previous && !force) return undefined;
    // A replaced bootstrap token may be in a file someone else kept: it stops working.
    if (previous) await this.revoke(previous.jti);
    const { token, record } = await this.issue({
      name: BOOTSTRAP_NAME,
      role: 'admin',
      ttlSeconds,
      createdBy: BOOTSTRAP_NAME,
    });
    const file = join(dataDir, BOOTSTRAP_TOKEN_FILE);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    rmSync(partial, { force: true });
    writeFileSync(partial, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(partial, 0o600);
    renameSync(partial, file);
    await this.options.store.putSetting(BOOTSTRAP_SETTING, { jti: record.jti, at: record.createdAt });
    return { file, jti: record.jti, expiresAt: record.expiresAt };
  }

  /**
   * Takes up the registry as another admin sharing the store saved it: tokens issued there verify
   * here, tokens revoked there are refused here. A merge, never a replacement: a revocation stays, and
   * a token issued here that the other admin's save did not know of yet is kept. Records keep their
   * identity, so the verified-token cache stays valid.
   */
  adopt(records: readonly OperatorTokenRecord[]): void {
    for (const r of records) {
      const known = this.registry.get(r.jti);
      if (!known) this.registry.set(r.jti, { ...r });
      else if (known.revokedAt === null && r.revokedAt !== null) known.revokedAt = r.revokedAt;
    }
  }

  /**
   * Keeps the registry bounded: entries of tokens expired for a day go. Merges what is stored in the
   * same compare-and-swap, so that admins sharing the store never drop each other's tokens.
   */
  private async save(): Promise<void> {
    const cutoff = this.options.clock.now() - 86_400_000;
    await this.options.store.updateSetting<OperatorTokenRecord[]>(REGISTRY_SETTING, (stored) => {
      this.adopt(stored ?? []);
      for (const [jti, r] of this.registry) if (r.expiresAt < cutoff) this.registry.delete(jti);
      return [...this.registry.values()];
    });
  }
}

async function makeKey(algorithm: 'ES256' | 'EdDSA', now: number): Promise<StoredOperatorKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicJwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg: algorithm,
    privateJwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: algorithm }),
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: algorithm }),
    createdAt: now,
  };
}

/** Why a token failed, in words an operator can act on; a namespace token gets named as one. */
function whyInvalid(token: string, err: Error): string {
  let claims: JWTPayload | undefined;
  try {
    claims = decodeJwt(token);
  } catch {
    return 'it is not a JWT';
  }
  const aud = [claims.aud ?? []].flat();
  if (aud.includes(TOKEN_AUDIENCE)) {
    return `it is a namespace token (aud "${TOKEN_AUDIENCE}"${claims.ns ? `, namespace ${describe(claims.ns)}` : ''}), which only a proxy accepts`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `${err.message} (operator tokens are signed with ES256 or EdDSA)`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature is not from this admin';
  return err.message;
}
