import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { PrismError } from '../errors.js';
import { describe } from '../names.js';
import { type AdminConfig, adminConfigSchema } from './admin-schema.js';
import { checkAdminConfig, checkPrismctlConfig, checkProxyConfig } from './checks.js';
import { type PrismctlConfig, prismctlConfigSchema } from './prismctl-schema.js';
import { PROFILE_NAMES, PROFILES, type ProfileName } from './profiles.js';
import { type ProxyConfig, proxyConfigSchema } from './proxy-schema.js';

type Json = Record<string, unknown>;
type Check = (config: Json, given: Json) => void;

const PROGRAMS = {
  admin: { schema: adminConfigSchema, check: checkAdminConfig as unknown as Check },
  proxy: { schema: proxyConfigSchema, check: checkProxyConfig as unknown as Check },
  prismctl: { schema: prismctlConfigSchema, check: checkPrismctlConfig as unknown as Check },
} as const;

export type ProgramName = keyof typeof PROGRAMS;

/**
 * Options given in the shape an earlier release took, rewritten to today's before the profile is
 * laid under them (so `accessLog: false` in a file still turns off what a profile turns on).
 */
const FORMER_SHAPES: Partial<Record<ProgramName, (given: Json) => void>> = {
  proxy(given) {
    // accessLog was a boolean before it took a sample rate.
    if (typeof given.accessLog === 'boolean') given.accessLog = { enabled: given.accessLog };
  },
};
interface ConfigOf {
  admin: AdminConfig;
  proxy: ProxyConfig;
  prismctl: PrismctlConfig;
}

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });
const validators = Object.fromEntries(
  Object.entries(PROGRAMS).map(([name, p]) => [name, ajv.compile(p.schema)]),
) as Record<ProgramName, ReturnType<typeof ajv.compile>>;

export interface LoadOptions {
  /** Path of a JSON file whose keys are the program's options. */
  readonly file?: string;
  /** Values from the command line (nested like the file); they win over the file and the profile. */
  readonly values?: Json;
}

/**
 * Builds a program's configuration: schema defaults < profile < file < command line. Validated once
 * (PRISM-CONFIG-001 names the option, the value and the fix), checked for contradictions
 * (PRISM-CONFIG-002), then deep-frozen.
 */
export function loadConfig<P extends ProgramName>(program: P, options: LoadOptions = {}): Readonly<ConfigOf[P]> {
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const given = deepMerge(fromFile, options.values ?? {});
  FORMER_SHAPES[program]?.(given);
  const profile = given.profile ?? 'development';
  if (typeof profile !== 'string' || !(PROFILE_NAMES as string[]).includes(profile)) {
    throw new PrismError('PRISM-CONFIG-001', `option profile = ${describe(profile)} is not a known profile`, {
      action: `Set profile to one of ${PROFILE_NAMES.join(', ')}.`,
    });
  }
  const config = deepMerge(structuredClone(PROFILES[profile as ProfileName][program]) as Json, given);
  config.profile = profile;
  const validate = validators[program];
  if (!validate(config)) throw configError(PROGRAMS[program].schema, validate.errors?.[0], config);
  PROGRAMS[program].check(config, given);
  return deepFreeze(inSchemaOrder(PROGRAMS[program].schema, config)) as unknown as ConfigOf[P];
}

function readConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PrismError(
      'PRISM-CONFIG-003',
      `cannot read config file ${describe(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PrismError('PRISM-CONFIG-003', `config file ${describe(path)} is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PrismError('PRISM-CONFIG-003', `config file ${describe(path)} must hold a JSON object of options`);
  }
  return value as Json;
}

interface SchemaNode {
  type?: string;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
}

function configError(schema: SchemaNode, error: ErrorObject | undefined | null, config: Json): PrismError {
  const segments = (error?.instancePath ?? '').split('/').filter(Boolean);
  if (error?.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  const option = segments.join('.') || '(top level)';
  let node: SchemaNode | undefined = schema;
  let parent: SchemaNode | undefined;
  for (const s of segments) {
    parent = node;
    const map: SchemaNode | undefined =
      typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined;
    node = /^\d+$/.test(s) ? node?.items : (node?.properties?.[s] ?? map);
  }
  if (error?.keyword === 'additionalProperties') {
    const known = Object.keys(parent?.properties ?? {}).join(', ');
    return new PrismError('PRISM-CONFIG-001', `unknown option ${option}`, {
      action: `Remove it or correct its spelling; known options here: ${known}.`,
    });
  }
  let value: unknown = config;
  for (const s of segments) value = (value as Json | undefined)?.[s];
  return new PrismError(
    'PRISM-CONFIG-001',
    `option ${option} = ${describe(value)} is invalid: it ${error?.message ?? 'is wrong'}`,
    {
      action: `Set ${option} to ${expectation(node)}${node?.description ? ` (${node.description})` : ''}.`,
    },
  );
}

function expectation(node: SchemaNode | undefined): string {
  if (!node) return 'a valid value';
  const dflt = node.default === undefined ? '' : `; default ${JSON.stringify(node.default)}`;
  if (node.enum) return `one of ${node.enum.join(', ')}${dflt}`;
  if (node.type === 'integer' || node.type === 'number') {
    return `an integer from ${node.minimum ?? '-inf'} to ${node.maximum ?? 'inf'}${dflt}`;
  }
  if (node.type === 'array' && node.items?.pattern) return `a list of values matching ${node.items.pattern}${dflt}`;
  if (node.pattern) return `a value matching ${node.pattern}${dflt}`;
  return `a ${node.type ?? 'valid value'}${dflt}`;
}

/** Same content, keys in the order the schema lists them, so printed configs read like the docs. */
function inSchemaOrder(schema: SchemaNode, value: unknown): unknown {
  if (!schema.properties || !isPlainObject(value)) return value;
  const out: Json = {};
  for (const [key, node] of Object.entries(schema.properties)) {
    if (key in (value as Json)) out[key] = inSchemaOrder(node, (value as Json)[key]);
  }
  return out;
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] =
      isPlainObject(b) && isPlainObject(v)
        ? deepMerge(b as Json, v as Json)
        : isPlainObject(v)
          ? deepMerge({}, v as Json)
          : v;
  }
  return out;
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
