import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from 'jose';
import type { Clock } from '../../core/src/clock.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../core/src/tokens.js';
import type { AdminStore, StoredKey } from './store.js';

const DAY = 86_400_000;

export interface IssueRequest {
  namespace: string;
  team: string;
  permissions: string[];
  leaseId: string;
  /** Expiry in ms since the epoch. */
  expiresAt: number;
}

export interface TokenIssuerOptions {
  store: AdminStore;
  clock: Clock;
  algorithm: 'ES256' | 'EdDSA';
  rotationDays: number;
  overlapDays: number;
  /** Most keys the JWKS holds (the signing key and the newest retired ones); default 4. */
  maxVerifyingKeys?: number;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Signs namespace JWTs with the newest key and publishes the JWKS: the signing key plus every
 * retired key still inside its overlap window, so tokens signed before a rotation keep verifying.
 */
export class TokenIssuer {
  private keys: StoredKey[] = [];
  private signing?: { kid: string; alg: string; key: SigningKey };
  private jwksCache?: JSONWebKeySet;
  private following: Promise<void> = Promise.resolve();
  /** Called after every rotation, e.g. to push the new key set to proxies. */
  onRotate?: () => void;

  private constructor(private readonly options: TokenIssuerOptions) {}

  static async open(options: TokenIssuerOptions): Promise<TokenIssuer> {
    const issuer = new TokenIssuer(options);
    issuer.keys = await options.store.listKeys();
    if (!issuer.current()) await issuer.rotate();
    else await issuer.loadSigningKey();
    return issuer;
  }

  private current(): StoredKey | undefined {
    return this.keys.filter((k) => k.retiredAt === null).at(-1);
  }

  private async loadSigningKey(): Promise<void> {
    const current = this.current();
    if (!current) throw new Error('no signing key');
    this.signing = {
      kid: current.kid,
      alg: current.alg,
      key: await importJWK(JSON.parse(current.privateJwk), current.alg),
    };
    this.jwksCache = undefined;
  }

  /** Re-reads the keys from the store (after an import) and tells onRotate listeners. */
  async reload(): Promise<void> {
    this.keys = await this.options.store.listKeys();
    if (!this.current()) await this.rotate();
    else await this.loadSigningKey();
    this.onRotate?.();
  }

  /**
   * Takes up keys another admin wrote (a rotation on the leader): re-reads them, signs with the newest
   * current one and tells onRotate listeners when the published set changed. It never rotates itself:
   * while a rotation is half-written (the old key retired, the new one not there yet) it keeps signing
   * with the key it has. Calls run one after another.
   */
  follow(): Promise<void> {
    this.following = this.following.then(async () => {
      const before = JSON.stringify(this.jwks());
      this.keys = await this.options.store.listKeys();
      if (this.current()) await this.loadSigningKey();
      else this.jwksCache = undefined;
      if (JSON.stringify(this.jwks()) !== before) this.onRotate?.();
    });
    return this.following;
  }

  /** Makes a new signing key; the previous one only verifies from now on, until its overlap ends. */
  async rotate(): Promise<string> {
    const { algorithm, store, clock } = this.options;
    const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
    const publicJwk: JWK = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const now = clock.now();
    const fresh: StoredKey = {
      kid,
      alg: algorithm,
      privateJwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: algorithm }),
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: algorithm, use: 'sig' }),
      createdAt: now,
      retiredAt: null,
    };
    for (const k of this.keys.filter((k) => k.retiredAt === null)) {
      k.retiredAt = now;
      await store.putKey(k);
    }
    await store.putKey(fresh);
    // follow() may have read the stored keys meanwhile (this admin watches them too).
    this.keys = [...this.keys.filter((k) => k.kid !== kid), fresh];
    await this.loadSigningKey();
    this.onRotate?.();
    return kid;
  }

  /** Rotates when the signing key is older than the rotation period. */
  async rotateIfDue(): Promise<boolean> {
    const current = this.current();
    if (current && this.options.clock.now() - current.createdAt < this.options.rotationDays * DAY) return false;
    await this.rotate();
    return true;
  }

  /**
   * Keys that still verify: the signing key and retired keys within their overlap, at most
   * maxVerifyingKeys of them (the newest). Without the bound, a burst of rotations grows the JWKS
   * every proxy receives and searches without limit; with it, tokens signed before the oldest
   * rotations of a burst stop verifying and need a refresh.
   */
  jwks(): JSONWebKeySet {
    const now = this.options.clock.now();
    const overlap = this.options.overlapDays * DAY;
    this.jwksCache ??= {
      keys: this.keys
        .filter((k) => k.retiredAt === null || now < k.retiredAt + overlap)
        // Latest retired last, the signing key at the very end (keys made in one millisecond share createdAt).
        .sort((a, b) => (a.retiredAt ?? Number.POSITIVE_INFINITY) - (b.retiredAt ?? Number.POSITIVE_INFINITY))
        .slice(-(this.options.maxVerifyingKeys ?? 4))
        .map((k) => JSON.parse(k.publicJwk)),
    };
    return this.jwksCache;
  }

  /** Forgets the cached JWKS so that keys past their overlap drop out. */
  refresh(): void {
    this.jwksCache = undefined;
  }

  async issue(request: IssueRequest): Promise<{ token: string; jti: string }> {
    const signing = this.signing;
    if (!signing) throw new Error('token issuer not opened');
    const jti = randomUUID();
    const nowSeconds = Math.floor(this.options.clock.now() / 1000);
    const token = await new SignJWT({
      ns: request.namespace,
      team: request.team,
      perms: request.permissions,
      lease: request.leaseId,
    })
      .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(request.namespace)
      .setJti(jti)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(Math.floor(request.expiresAt / 1000))
      .sign(signing.key);
    return { token, jti };
  }
}
