import { createHash } from 'node:crypto';

/**
 * What differs from proxy to proxy by design and is left out of a proxy's config fingerprint: its
 * identity and addresses, its state directory, the paths of its own certificate files, and the log
 * (an operator raising one proxy's log level is not drift).
 */
export const PROXY_FINGERPRINT_EXCLUDES = [
  'id',
  'listen',
  'opsListen',
  'advertise',
  'stateDir',
  'tls.certFile',
  'tls.keyFile',
  'controlPlane.tls.certFile',
  'controlPlane.tls.keyFile',
  'log',
] as const;

/**
 * Lists whose order differs from proxy to proxy by design: a proxy connects to the first admin it
 * lists, so an operator spreads the control streams over several admins by listing them in another
 * order. The same admins in another order are not drift.
 */
export const PROXY_FINGERPRINT_UNORDERED = ['admin'] as const;
const unordered: ReadonlySet<string> = new Set(PROXY_FINGERPRINT_UNORDERED);

function without(value: unknown, excluded: ReadonlySet<string>, prefix: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => without(v, excluded, prefix));
    // Sorted as they are (a list of host:port strings): a list already in order hashes as before.
    return unordered.has(prefix.slice(0, -1)) ? [...items].sort() : items;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const path = `${prefix}${key}`;
    if (!excluded.has(path)) out[key] = without((value as Record<string, unknown>)[key], excluded, `${path}.`);
  }
  return out;
}

/**
 * A short fingerprint of an effective configuration (keys sorted, `excludes` left out as dotted
 * paths): equal for two programs that behave alike, whatever order their files listed the keys in.
 */
export function configFingerprint(config: unknown, excludes: readonly string[] = PROXY_FINGERPRINT_EXCLUDES): string {
  const canonical = JSON.stringify(without(config, new Set(excludes), ''));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The fingerprints that differ from the one more than half of the proxies report. Without such a
 * majority (two halves, or all different) none is singled out — nobody can say which side drifted;
 * the count of distinct fingerprints still shows it. Empty fingerprints are unknown and not counted.
 */
export function driftingFingerprints(fingerprints: readonly string[]): Set<string> {
  const counts = new Map<string, number>();
  for (const f of fingerprints) if (f) counts.set(f, (counts.get(f) ?? 0) + 1);
  const top = Math.max(0, ...counts.values());
  const leaders = [...counts].filter(([, n]) => n === top).map(([f]) => f);
  const known = [...counts.values()].reduce((a, b) => a + b, 0);
  if (leaders.length !== 1 || top * 2 <= known) return new Set();
  return new Set([...counts.keys()].filter((f) => f !== leaders[0]));
}
