import type { Finding } from './findings.js';
import type { TargetName } from './targets.js';

/**
 * Failures the fuzzer finds on the code before issue #10's fixes are merged. A case whose findings
 * all match entries here does not fail the suite; it is counted (and printed by `npm run fuzz`).
 * Remove an entry once its fix is merged; `PRISM_FUZZ_STRICT=1 npx vitest run admin/test/fuzz.test.ts
 * proxy/test/fuzz.test.ts` (or `npm run fuzz -- --strict`) ignores the list, to see what is still found.
 */
export interface KnownFailure {
  id: string;
  /** Where it is tracked and which change is expected to fix it. */
  issue: string;
  targets: TargetName[];
  signature: RegExp;
}

export const KNOWN_FAILURES: KnownFailure[] = [
  // prism-admin's operator API: the move to fastify (issue #10 §1 and "one rule for both HTTP servers").
  {
    id: 'admin-invalid-url-crash',
    issue: 'issue #10 §1: "GET //" throws TypeError: Invalid URL outside the handler\'s try and ends the admin',
    targets: ['admin'],
    signature: /^crash TypeError: Invalid URL$/,
  },
  {
    id: 'admin-bad-escape-500',
    issue:
      'issue #10 §1: a bad %-escape in a namespace path (/v1/namespaces/%zz) is a 500 with a stack trace in the log',
    targets: ['admin'],
    signature: /^(500 (PRISM-INTERNAL-001|\(HEAD\))|log "request failed" URIError: URI malformed)$/,
  },
  {
    id: 'admin-client-abort-logged',
    issue:
      'issue #10 "one rule": a client that goes away mid-body is logged as an error with a stack (the hand-written body reader fastify replaces)',
    targets: ['admin'],
    signature: /^log "request failed" Error: aborted$/,
  },
  {
    id: 'admin-connect-unanswered',
    issue:
      'not named in issue #10 (§5 names the proxy): CONNECT to the admin closes the connection without an answer; fastify alone does not change that',
    targets: ['admin'],
    signature: /^no answer \(closed\) to CONNECT$/,
  },

  // prism-proxy's request handling (issue #10 §2 and §5).
  {
    id: 'proxy-target-breaks-backend',
    issue:
      'issue #10 §2: a request-target undici refuses (OPTIONS *, :path *) is a 502 and marks the backend down for every tenant (503)',
    targets: ['proxy', 'h2'],
    signature:
      /^((502|failed) PRISM-ROUTE-006|50[23] \(HEAD\)|503 PRISM-ROUTE-005|other tenant got 503 PRISM-ROUTE-005)$/,
  },
  {
    id: 'proxy-pool-wedged',
    issue:
      "issue #10 §2, worse than it says: undici's Pool takes a dispatch() it refuses (UND_ERR_INVALID_ARG) for backpressure and never uses that connection again; after pools.connectionsPerBackend (32) such requests every namespace on the backend hangs without an answer, for good",
    targets: ['proxy', 'h2'],
    signature: /^other tenant got no answer$/,
  },
  {
    id: 'proxy-absolute-form-forwarded',
    issue: 'issue #10 §2: an absolute-form request-target reaches the backend verbatim',
    targets: ['proxy'],
    signature: /^backend got target in absolute-form$/,
  },
  {
    id: 'proxy-duplicate-host-served',
    issue: 'issue #10 §2: a request with two Host fields is served (RFC 9112 §3.2: 400)',
    targets: ['proxy'],
    signature: /^\d+ Host fields answered \d+$/,
  },
  {
    id: 'proxy-connect-unanswered',
    issue: 'issue #10 §5: CONNECT closes the socket with no response',
    targets: ['proxy'],
    signature: /^no answer \(closed\) to CONNECT$/,
  },
  {
    id: 'proxy-peer-headers-to-backend',
    issue: 'issue #10 §5: X-Prism-Hops and X-Prism-Table-Version reach the backend',
    targets: ['proxy'],
    signature: /^backend got x-prism-(hops|table-version)$/,
  },
];

export function knownFailure(f: Finding, target: TargetName, known = KNOWN_FAILURES): KnownFailure | undefined {
  return known.find((k) => k.targets.includes(target) && k.signature.test(f.signature));
}
