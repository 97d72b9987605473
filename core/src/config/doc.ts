import { adminConfigSchema } from './admin-schema.js';
import { prismctlConfigSchema } from './prismctl-schema.js';
import { PROFILES } from './profiles.js';
import { proxyConfigSchema } from './proxy-schema.js';

interface Node {
  type?: string;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, Node>;
}

function rows(node: Node, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const name = `${prefix}${key}`;
    if (child.properties) return rows(child, `${name}.`);
    const allowed = child.enum
      ? child.enum.join(' \\| ')
      : child.minimum !== undefined
        ? `${child.minimum}–${child.maximum}`
        : (child.type ?? '');
    return [`| \`${name}\` | \`${JSON.stringify(child.default)}\` | ${allowed} | ${child.description ?? ''} |`];
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
    '| option | default | allowed | meaning |',
    '|---|---|---|---|',
    ...rows(schema),
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
    'Each program validates its configuration once at start-up against one JSON schema, then freezes it.',
    'Layers, last wins: schema defaults (= the `development` profile) < profile < `--config FILE` (JSON,',
    'same keys as below) < command-line flags. A bad value stops the program with `PRISM-CONFIG-001`',
    'naming the option, the value and the allowed range; options that contradict each other stop it with',
    '`PRISM-CONFIG-002` naming both; `--print-config` prints the effective configuration.',
    '',
    section('prism-admin', 'admin', adminConfigSchema as unknown as Node),
    section('prism-proxy', 'proxy', proxyConfigSchema as unknown as Node),
    section('prismctl', 'prismctl', prismctlConfigSchema as unknown as Node),
  ].join('\n');
}
