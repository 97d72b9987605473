import { ERROR_CATALOG, RETIRED_CODES } from './errors.js';

/** docs/errors.md, generated from the catalog so that the two cannot drift apart. */
export function renderErrorCatalog(): string {
  const rows = Object.entries(ERROR_CATALOG)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.title} | ${e.action.replaceAll('|', '\\|')} |`);
  return [
    '<!-- Generated from core/src/errors.ts by `npm run docs`. Do not edit by hand. -->',
    '# Error catalog',
    '',
    'Every error Prism Edge reports carries a stable code `PRISM-<AREA>-<NNN>`. Over HTTP the body is',
    '`{"error":{"code":"PRISM-XX-NNN","message":"…","action":"…"}}` with the status below; the CLI prints',
    '`error PRISM-XX-NNN: message` and the action, and exits with status 1. Match on the code, never on',
    'the message: messages name the offending value and may be reworded.',
    '',
    '| code | HTTP status | meaning | what to do |',
    '|---|---|---|---|',
    ...rows,
    '',
    '## Retired codes',
    '',
    'Codes that are no longer raised. They are never reused.',
    '',
    RETIRED_CODES.length ? RETIRED_CODES.map((c) => `- \`${c}\``).join('\n') : '(none yet)',
    '',
  ].join('\n');
}
