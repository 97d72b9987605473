import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ALERTS = join(DEPLOY, 'prometheus', 'alerts.yml');
export const DASHBOARD = join(DEPLOY, 'grafana', 'dashboards', 'prism-fleet-overview.json');

export interface Query {
  /** Alert name, or dashboard panel title and target refId. */
  where: string;
  expr: string;
}

/**
 * The expressions of a rules file: `expr:` on one line or as a folded block (`expr: >-`). The
 * project has no YAML parser; the caller checks that it found one expression per rule, so a rule
 * written another way fails the test instead of going unchecked.
 */
export function ruleQueries(text: string): { rules: number; queries: Query[] } {
  const lines = text.split('\n');
  const queries: Query[] = [];
  let rules = 0;
  let name = '';
  for (let i = 0; i < lines.length; i++) {
    const rule = /^\s*- (alert|record): (\S+)/.exec(lines[i]);
    if (rule) {
      rules++;
      name = rule[2];
      continue;
    }
    const m = /^(\s*)expr: (.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '>-') {
      queries.push({ where: name, expr: m[2] });
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].startsWith(`${m[1]}  `) || lines[i + 1].trim() === '')) {
      block.push(lines[++i].trim());
    }
    queries.push({ where: name, expr: block.join(' ').trim() });
  }
  return { rules, queries };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: unknown;
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

export const readDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8'));

/** Every panel, rows' nested panels included. */
export function dashboardPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(dashboard: Dashboard): Query[] {
  return dashboardPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${p.title} ${t.refId}`, expr: t.expr })),
  );
}

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the query. */
export const withGrafanaVariables = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h');

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers, ranges,
 * label lists, numbers, keywords and function names (an identifier before a parenthesis) are gone.
 */
export function metricNames(expr: string): string[] {
  const bare = withGrafanaVariables(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ')
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice((m.index ?? 0) + m[0].length);
    if (KEYWORDS.has(m[0].toLowerCase()) || /^\s*\(/.test(after)) continue;
    names.add(m[0]);
  }
  return [...names];
}
