/**
 * Resolves the config with one documented precedence: flags > env > config file > defaults.
 * `resolveConfig` is pure (inputs are passed in) so the precedence is tested directly.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../contract/errors.ts';
import { DEFAULT_CONFIG, emptyCatalogue } from '../shared/defaults.ts';
import { ConfigSchema, type Config } from './schema.ts';

/** Flags that override config values (undefined = not given). */
export interface ConfigFlags {
  target?: string | undefined;
  out?: string | undefined;
  rps?: number | undefined;
  durationScale?: number | undefined;
  maxVus?: number | undefined;
  thresholdSet?: string | undefined;
}

/** The env vars loadgate reads, and the config path each one sets. */
export const ENV_VARS = {
  LOADGATE_TARGET: 'target.baseUrl',
  LOADGATE_OUT: 'outDir',
  LOADGATE_RPS: 'load.rps',
  LOADGATE_DURATION_SCALE: 'load.durationScale',
  LOADGATE_MAX_VUS: 'load.maxVUs',
  LOADGATE_THRESHOLD_SET: 'thresholdSet',
} as const;

type Json = unknown;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep merge: objects merge key by key, other values (arrays included) replace. A request body
 * and a body check are payloads, not settings: another API's login body replaces the default
 * one whole (merging would send both APIs' fields), and `expectBody: { contains: … }` replaces
 * a default `{ json: … }` rather than joining it.
 */
export function deepMerge(base: Json, over: Json, path: readonly string[] = []): Json {
  if (!isPlainObject(base) || !isPlainObject(over) || isPayload(path)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value, [...path, key]);
  return out;
}

function isPayload(path: readonly string[]): boolean {
  // A flow or an auth strategy of another kind shares no fields with the default one.
  if (path.length === 2 && (path[0] === 'flows' || path[0] === 'auth')) return true;
  return path.length === 3 && path[0] === 'endpoints' && (path[2] === 'body' || path[2] === 'expectBody');
}

/** Keys of earlier config versions, and where their settings went. */
const MOVED_KEYS: Record<string, string> = {
  tokens:
    'the login response fields moved to the login strategy: auth: { bearer: { type: login, endpoint: auth.login, token: { json: accessToken }, refresh: { endpoint: auth.refresh, token: { json: refreshToken } } } }',
  journey: 'the journey weights moved to the journey flow: flows: { journey: { mix: { auth: 2, user: 5, monitoring: 3 } } }',
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function numberFrom(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** The layer the environment contributes. */
export function envLayer(env: Record<string, string | undefined>): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const numeric = path === 'load.rps' || path === 'load.durationScale' || path === 'load.maxVUs';
    setPath(layer, path, numeric ? numberFrom(name, raw) : raw);
  }
  return layer;
}

export function flagLayer(flags: ConfigFlags): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  if (flags.target !== undefined) setPath(layer, 'target.baseUrl', flags.target);
  if (flags.out !== undefined) setPath(layer, 'outDir', flags.out);
  if (flags.rps !== undefined) setPath(layer, 'load.rps', flags.rps);
  if (flags.durationScale !== undefined) setPath(layer, 'load.durationScale', flags.durationScale);
  if (flags.maxVus !== undefined) setPath(layer, 'load.maxVUs', flags.maxVus);
  if (flags.thresholdSet !== undefined) setPath(layer, 'thresholdSet', flags.thresholdSet);
  return layer;
}

/** Formats zod issues as `path must …` lines, naming where the value came from. */
export function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    if (issue.code === 'invalid_key') {
      // A record key that fails its pattern: zod's own message ("Invalid key in record") says neither.
      return `${path}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${path}: ` : '';
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    return `${path} ${issue.message}`;
  });
  return `invalid config (${source}):\n  ${lines.join('\n  ')}`;
}

export interface ConfigSources {
  file?: { path: string; data: unknown } | undefined;
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
}

/** flags > env > file > defaults; the merged result is validated once, strictly. */
export function resolveConfig(sources: ConfigSources): Config {
  if (sources.file && !isPlainObject(sources.file.data)) {
    throw new ConfigError(`invalid config (${sources.file.path}): the top level must be an object`);
  }
  const data = sources.file?.data as Record<string, unknown> | undefined;
  for (const [key, hint] of Object.entries(MOVED_KEYS)) {
    if (data && Object.hasOwn(data, key)) throw new ConfigError(`invalid config (${sources.file?.path}):\n  ${key}: ${hint}`);
  }
  let merged: Json = data?.['extends'] === 'none' ? emptyCatalogue() : structuredClone(DEFAULT_CONFIG);
  merged = deepMerge(merged, data);
  merged = deepMerge(merged, envLayer(sources.env ?? {}));
  merged = deepMerge(merged, flagLayer(sources.flags ?? {}));
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const layers = [
      sources.file?.path,
      Object.keys(envLayer(sources.env ?? {})).length ? 'env' : undefined,
      Object.keys(flagLayer(sources.flags ?? {})).length ? 'flags' : undefined,
    ];
    const source = layers.filter(Boolean).join(' + ') || 'defaults';
    throw new ConfigError(formatIssues(result.error, source));
  }
  return result.data;
}

/** Reads a JSON or YAML config file; a missing or unparsable file is a ConfigError naming it. */
export async function readConfigFile(path: string): Promise<{ path: string; data: unknown }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const data: unknown = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
    return { path, data: data ?? {} };
  } catch (err) {
    throw new ConfigError(`cannot parse config file ${path}: ${(err as Error).message}`);
  }
}

/** Loads the config for a command: `--config` flag, else LOADGATE_CONFIG, else defaults only. */
export async function loadConfig(opts: { configPath?: string | undefined; env?: NodeJS.ProcessEnv; flags?: ConfigFlags }): Promise<Config> {
  const env = opts.env ?? process.env;
  const path = opts.configPath ?? env['LOADGATE_CONFIG'];
  const file = path ? await readConfigFile(path) : undefined;
  return resolveConfig({ file, env, flags: opts.flags ?? {} });
}
