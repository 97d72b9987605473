import type { Finding } from './findings.js';
import type { TargetName } from './targets.js';

/**
 * Failures the fuzzer finds that a change still has to fix. A case whose findings all match entries
 * here does not fail the suite; it is counted (and printed by `npm run fuzz`). Remove an entry once
 * its fix is merged (the corpus then checks the fix with the bytes that found it).
 * `PRISM_FUZZ_STRICT=1 npx vitest run admin/test/fuzz.test.ts proxy/test/fuzz.test.ts` (or
 * `npm run fuzz -- --strict`) ignores the list, to see what is still found.
 *
 * Issue #10's entries (the admin killed by "GET //", 500s for bad escapes, CONNECT unanswered, a
 * request-target undici refuses breaking a backend for every tenant, absolute-form forwarded, two Host
 * fields served, peer headers reaching backends) were removed when main with their fixes was merged:
 * the corpus passes without them.
 */
export interface KnownFailure {
  id: string;
  /** Where it is tracked and which change is expected to fix it. */
  issue: string;
  targets: TargetName[];
  signature: RegExp;
}

export const KNOWN_FAILURES: KnownFailure[] = [];

export function knownFailure(f: Finding, target: TargetName, known = KNOWN_FAILURES): KnownFailure | undefined {
  return known.find((k) => k.targets.includes(target) && k.signature.test(f.signature));
}
