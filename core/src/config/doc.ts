import { adminConfigSchema } from './admin-schema.js';
import { prismctlConfigSchema } from './prismctl-schema.js';
import { PROFILES } from './profiles.js';
import { proxyConfigSchema } from './proxy-schema.js';
import { isReloadable, type ReloadProgram } from './reload.js';

interface Node {
  type?: string;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, Node>;
}

function rows(node: Node, program: ReloadProgram, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const name = `${prefix}${key}`;
    if (child.properties) return rows(child, program, `${name}.`);
    const allowed = child.enum
      ? child.enum.join(' \\| ')
      : child.minimum !== undefined
        ? `${child.minimum}–${child.maximum}`
        : (child.type ?? '');
    const reload = isReloadable(program, name) ? 'SIGHUP' : 'restart';
    return [
      `| \`${name}\` | \`${JSON.stringify(child.default)}\` | ${allowed} | ${reload} | ${child.description ?? ''} |`,
    ];
  });
}

function profiles(program: 'admin' | 'proxy' | 'prismctl'): string {
  const out = Object.entries(PROFILES).map(([name, p]) => {
    const overrides = JSON.stringify(p[program]);
    return `- \`${name}\`: ${overrides === '{}' ? 'the defaults above' : `\`${overrides}\``}`;
  });
  return out.join('\n');
}

const section = (title: string, program: 'admin' | 'proxy' | 'prismctl', schema: Node) =>
  [
    `## ${title}`,
    '',
    '| option | default | allowed | applied on | meaning |',
    '|---|---|---|---|---|',
    ...rows(schema, program),
    '',
    'Profiles:',
    '',
    profiles(program),
    '',
  ].join('\n');

/** docs/configuration.md, generated from the schemas so that it cannot drift from them. */
export function renderConfigDoc(): string {
  return [
    '<!-- Generated from core/src/config/*-schema.ts by `npm run docs`. Do not edit by hand. -->',
    '# Configuration',
    '',
    'Each program validates its configuration at start-up against one JSON schema.',
    'Layers, last wins: schema defaults (= the `development` profile) < profile < `--config FILE` (JSON,',
    'same keys as below) < command-line flags. A bad value stops the program with `PRISM-CONFIG-001`',
    'naming the option, the value and the allowed range; options that contradict each other stop it with',
    '`PRISM-CONFIG-002` naming both; `--print-config` prints the effective configuration.',
    '',
    'SIGHUP makes `prism-admin` and `prism-proxy` read their config file (and flags) again. The options',
    'marked `SIGHUP` below take effect at once; the log says `configuration reloaded` with the options',
    'changed and the new `configVersion` (the fingerprint a proxy reports for drift detection). A new',
    'configuration that is invalid, or that changes an option marked `restart`, is refused as a whole',
    '(`PRISM-CONFIG-001`/`-002`, or `PRISM-CONFIG-009` naming those options, in the log) and the program',
    'runs on with the previous one. SIGHUP also re-reads the certificate files.',
    '',
    section('prism-admin', 'admin', adminConfigSchema as unknown as Node),
    section('prism-proxy', 'proxy', proxyConfigSchema as unknown as Node),
    section('prismctl', 'prismctl', prismctlConfigSchema as unknown as Node),
  ].join('\n');
}
