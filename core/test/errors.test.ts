import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorCatalog } from '../src/error-doc.js';
import { ERROR_CATALOG, PrismError, RETIRED_CODES } from '../src/errors.js';

describe('error catalog', () => {
  it('uses PRISM-<AREA>-<NNN> codes with an HTTP status, a title and an action each', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(code).toMatch(/^PRISM-[A-Z]+-\d{3}$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.title).toMatch(/\.$/);
      expect(entry.action.length).toBeGreaterThan(10);
    }
  });

  it('never reuses a retired code', () => {
    for (const code of RETIRED_CODES) expect(Object.keys(ERROR_CATALOG)).not.toContain(code);
  });

  it('docs/errors.md matches the catalog (run `npm run docs` after changing it)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorCatalog());
  });

  it('renders the JSON error body of CONTRACT §4', () => {
    const err = new PrismError('PRISM-NS-001', 'namespace "Bad" does not match the namespace pattern');
    expect(err.toBody()).toEqual({
      error: {
        code: 'PRISM-NS-001',
        message: 'namespace "Bad" does not match the namespace pattern',
        action: ERROR_CATALOG['PRISM-NS-001'].action,
      },
    });
  });
});
