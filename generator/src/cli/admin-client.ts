import { ERROR_CATALOG, type ErrorCode, PrismError } from '../../../core/src/errors.js';

/** A thin HTTP client of the admin's operator API that turns coded error bodies back into PrismErrors. */
export class AdminClient {
  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers: { 'content-type': 'application/json', 'x-prism-actor': `prismctl:${process.env.USER ?? 'unknown'}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new PrismError('PRISM-CLI-001', `cannot reach the admin at ${this.base}: ${cause}`);
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : {};
    } catch {
      throw new PrismError(
        'PRISM-CLI-001',
        `${this.base} answered ${res.status} with a body that is not JSON; is it a prism-admin?`,
      );
    }
    const error = (value as { error?: { code?: string; message?: string; action?: string } }).error;
    if (!res.ok) {
      if (error?.code && error.code in ERROR_CATALOG) {
        throw new PrismError(error.code as ErrorCode, error.message ?? '', { action: error.action });
      }
      throw new PrismError('PRISM-CLI-001', `${this.base} answered ${res.status} ${res.statusText}`);
    }
    return value;
  }
}
