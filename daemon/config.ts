/**
 * Loads the daemon configuration: config/default.yaml, then the file given with --config, then
 * KIOSK_* environment variables, then command-line options; validates the result and the chosen
 * policy preset against config/schema.ts. Every problem is reported with its file, line and path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { configSchema, policySchema, type Config, type Policy } from '../config/schema.ts';
import { deepMerge, formatPath, isPlainObject, issuesByKey, parseYamlSource, type YamlSource } from './yaml-source.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const configDir = join(repoRoot, 'config');

export interface ConfigOverrides {
  sip2Port?: number;
  configFile?: string;
  dataDir?: string;
  port?: number;
  preset?: string;
  host?: string;
  logLevel?: string;
}

export interface LoadedConfig {
  config: Config;
  policy: Policy;
  /** Where the policy came from (preset file path). */
  policySource: string;
}

export type LoadResult = { ok: true; value: LoadedConfig } | { ok: false; problems: string[] };

function readSource(file: string): YamlSource | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  return parseYamlSource(text, file);
}

function zodProblems(
  error: z.ZodError,
  locate: (path: PropertyKey[]) => string,
): string[] {
  return issuesByKey(error.issues, 'unknown setting').map(({ path, message }) => `${locate(path)}${formatPath(path)}: ${message}`);
}

/** Env variables the daemon reads (documented in the README). */
export function envOverrides(env: NodeJS.ProcessEnv): { values: ConfigOverrides; problems: string[] } {
  const values: ConfigOverrides = {};
  const problems: string[] = [];
  if (env.KIOSK_CONFIG) values.configFile = env.KIOSK_CONFIG;
  if (env.KIOSK_DATA_DIR) values.dataDir = env.KIOSK_DATA_DIR;
  if (env.KIOSK_PRESET) values.preset = env.KIOSK_PRESET;
  if (env.KIOSK_HOST) values.host = env.KIOSK_HOST;
  if (env.KIOSK_LOG_LEVEL) values.logLevel = env.KIOSK_LOG_LEVEL;
  if (env.KIOSK_SIP2_PORT !== undefined && env.KIOSK_SIP2_PORT !== '') {
    const n = Number(env.KIOSK_SIP2_PORT);
    if (!Number.isInteger(n)) problems.push(`environment KIOSK_SIP2_PORT: "${env.KIOSK_SIP2_PORT}" is not a port number`);
    else values.sip2Port = n;
  }
  if (env.KIOSK_PORT !== undefined && env.KIOSK_PORT !== '') {
    const n = Number(env.KIOSK_PORT);
    if (!Number.isInteger(n)) problems.push(`environment KIOSK_PORT: "${env.KIOSK_PORT}" is not a port number`);
    else values.port = n;
  }
  return { values, problems };
}

export function resolvePresetPath(preset: string): string {
  if (preset.includes('/') || preset.endsWith('.yaml') || preset.endsWith('.yml')) {
    return isAbsolute(preset) ? preset : resolve(process.cwd(), preset);
  }
  return join(configDir, 'presets', `${preset}.yaml`);
}

export function availablePresets(): string[] {
  return ['cobiss', 'jelgava', 'katlakalns', 'balozi', 'hungarian'];
}

/** Reads a preset, following `extends: other-preset`. */
function loadPresetChain(path: string, problems: string[], seen: string[] = []): { value: unknown; source: YamlSource } | null {
  if (seen.includes(path)) {
    problems.push(`${path}: preset extends itself (${[...seen, path].join(' → ')})`);
    return null;
  }
  if (!existsSync(path)) {
    problems.push(`preset: no preset file ${path} (known presets: ${availablePresets().join(', ')})`);
    return null;
  }
  const src = readSource(path);
  if (typeof src === 'string') {
    problems.push(src);
    return null;
  }
  if (src.syntaxErrors.length) {
    problems.push(...src.syntaxErrors);
    return null;
  }
  if (!isPlainObject(src.value)) {
    problems.push(`${path}:1: a preset must be a mapping`);
    return null;
  }
  const { extends: parent, ...own } = src.value;
  if (typeof parent === 'string') {
    const base = loadPresetChain(resolvePresetPath(parent), problems, [...seen, path]);
    if (!base) return null;
    return { value: deepMerge(base.value, own), source: src };
  }
  return { value: own, source: src };
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const problems: string[] = [];
  const fromEnv = envOverrides(env);
  problems.push(...fromEnv.problems);
  const o: ConfigOverrides = { ...fromEnv.values, ...stripUndefined(overrides) };

  const defaultsFile = join(configDir, 'default.yaml');
  const defaults = readSource(defaultsFile);
  if (typeof defaults === 'string') return { ok: false, problems: [defaults] };
  problems.push(...defaults.syntaxErrors);

  let user: YamlSource | null = null;
  if (o.configFile) {
    const file = resolve(process.cwd(), o.configFile);
    const src = readSource(file);
    if (typeof src === 'string') problems.push(src);
    else {
      problems.push(...src.syntaxErrors);
      if (src.syntaxErrors.length === 0 && src.value !== null && !isPlainObject(src.value)) {
        problems.push(`${file}:1: the configuration must be a mapping of keys`);
      } else user = src;
    }
  }
  if (problems.length) return { ok: false, problems };

  let merged = deepMerge(defaults.value, user?.value ?? {});
  const cli: Record<string, unknown> = {};
  if (o.dataDir !== undefined) cli.data = { dir: o.dataDir };
  if (o.port !== undefined || o.host !== undefined) {
    cli.http = { ...(o.port !== undefined ? { port: o.port } : {}), ...(o.host !== undefined ? { host: o.host } : {}) };
  }
  if (o.preset !== undefined) cli.preset = o.preset;
  if (o.sip2Port !== undefined) cli.sip2 = { port: o.sip2Port };
  if (o.logLevel !== undefined) cli.log = { level: o.logLevel };
  merged = deepMerge(merged, cli);

  const locate = (path: PropertyKey[]): string => {
    const top = path[0];
    if (top === 'data' && path[1] === 'dir' && o.dataDir !== undefined) return 'option --data / KIOSK_DATA_DIR: ';
    if (top === 'http' && path[1] === 'port' && o.port !== undefined) return 'option --port / KIOSK_PORT: ';
    if (top === 'preset' && o.preset !== undefined) return 'option --preset / KIOSK_PRESET: ';
    if (top === 'sip2' && path[1] === 'port' && o.sip2Port !== undefined) return 'option --sip2-port / KIOSK_SIP2_PORT: ';
    if (top === 'log' && path[1] === 'level' && o.logLevel !== undefined) return 'option --log-level / KIOSK_LOG_LEVEL: ';
    if (user) {
      const line = user.lineOf(path);
      if (line !== undefined && user.lineOf([path[0] as PropertyKey]) !== undefined) return `${user.file}:${line}: `;
    }
    const line = defaults.lineOf(path);
    return line !== undefined ? `${defaults.file}:${line}: ` : `${user?.file ?? defaults.file}: `;
  };

  const parsed = configSchema.safeParse(merged);
  // An unknown preset is named with the others, where it was set (file and line, or the option).
  const presetName = isPlainObject(merged) && typeof merged.preset === 'string' ? merged.preset : null;
  const presetMissing = presetName !== null && !existsSync(resolvePresetPath(presetName));
  const presetProblem = () => `${locate(['preset'])}preset: no preset file ${resolvePresetPath(presetName!)} (known presets: ${availablePresets().join(', ')})`;
  if (!parsed.success) return { ok: false, problems: [...zodProblems(parsed.error, locate), ...(presetMissing ? [presetProblem()] : [])] };
  if (presetMissing) return { ok: false, problems: [presetProblem()] };
  const config = parsed.data;

  const presetPath = resolvePresetPath(config.preset);
  const preset = loadPresetChain(presetPath, problems);
  if (!preset) return { ok: false, problems };
  const policyValue = deepMerge(preset.value, config.policy);
  const policy = policySchema.safeParse(policyValue);
  if (!policy.success) {
    return {
      ok: false,
      problems: zodProblems(policy.error, (path) => {
        if (hasPath(config.policy, path)) {
          const line = user?.lineOf(['policy', ...path]);
          return `${user?.file ?? 'config'}${line ? `:${line}` : ''}: policy.`;
        }
        const line = preset.source.lineOf(path);
        return `${presetPath}${line ? `:${line}` : ''}: `;
      }),
    };
  }
  // The site's clock follows the preset's country unless the configuration names a time zone: a
  // Latvian library on Ljubljana's clock would get its "today", due times and SIP2 dates an hour off.
  const country = policy.data.calendar.nationalHolidays;
  if (country && !hasPath(user?.value, ['site', 'timezone'])) config.site.timezone = COUNTRY_TIMEZONE[country];
  return { ok: true, value: { config, policy: policy.data, policySource: presetPath } };
}

const COUNTRY_TIMEZONE = { SI: 'Europe/Ljubljana', LV: 'Europe/Riga', HU: 'Europe/Budapest' } as const;

function hasPath(obj: unknown, path: PropertyKey[]): boolean {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return false;
    if (!(String(p) in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[String(p)];
  }
  return path.length > 0;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A printable copy of the configuration with anything secret masked. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        // Secrets are strings (a password, a hash, a token); settings about them are not: a flag such
        // as patronPasswordRequired, a number such as tokenTtlH or a drawer's connector pin, the
        // name of the variable that holds one (passwordEnv), the path of a TLS key.
        typeof v === 'string' && /(password|hash|secret|token|apikey)$|^pin$/i.test(k) ? '***' : redactConfig(v),
      ]),
    );
  }
  return value;
}

/** Loads and validates one preset alone (used by tests and `kiosk presets`). */
export function loadPreset(nameOrPath: string, overrides: Record<string, unknown> = {}): Policy {
  const problems: string[] = [];
  const p = loadPresetChain(resolvePresetPath(nameOrPath), problems);
  if (!p) throw new Error(problems.join('\n'));
  const parsed = policySchema.safeParse(deepMerge(p.value, overrides));
  if (!parsed.success) {
    throw new Error(zodProblems(parsed.error, (path) => `${nameOrPath}:${p.source.lineOf(path) ?? '?'}: `).join('\n'));
  }
  return parsed.data;
}
