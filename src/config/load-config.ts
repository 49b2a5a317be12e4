import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { AppConfig } from './config.schema';
import { checkKubernetesConfig, KUBERNETES_ENV_VARS } from './kubernetes.config';
import { BKPAAS_ENV_VARS } from './bkpaas.config';
import { OSB_ENV_VARS } from './osb.config';
import { defaultUpstreamName } from './upstream-defaults';

export { defaultUpstreamName };

/** Where each environment variable lands in the config tree (also used to name bad values). */
export const ENV_VARS: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  SVC_SENTRY_ROLE: 'role',
  DATABASE_URL: 'databaseUrl',
  SVC_SENTRY_DATA_DIR: 'dataDir',
  SVC_SENTRY_ENCRYPTION_KEY: 'encryptionKey',
  SVC_SENTRY_API_TOKENS: 'apiTokens',
  SVC_SENTRY_ENVIRONMENTS: 'environments',
  SVC_SENTRY_LOG_LEVEL: 'logLevel',
  SVC_SENTRY_PUBLIC_URL: 'publicUrl',
  SVC_SENTRY_UPSTREAM_KIND: 'upstreams.default.kind',
  SVC_SENTRY_UPSTREAM_URL: 'upstreams.default.url',
  SVC_SENTRY_UPSTREAM_TOKEN: 'upstreams.default.token',
  SVC_SENTRY_UPSTREAM_ORG: 'upstreams.default.org',
  SVC_SENTRY_UPSTREAM_RATE_LIMIT: 'upstreams.default.rateLimitPerSecond',
  SVC_SENTRY_UPSTREAM_TIMEOUT_MS: 'upstreams.default.timeoutMs',
  SVC_SENTRY_RECONCILE_RETRY_LIMIT: 'reconcile.retryLimit',
  SVC_SENTRY_RECONCILE_RETRY_DELAY: 'reconcile.retryDelaySeconds',
  SVC_SENTRY_RECONCILE_CONCURRENCY: 'reconcile.concurrency',
  SVC_SENTRY_RESYNC_INTERVAL: 'reconcile.resyncIntervalSeconds',
  SVC_SENTRY_RESYNC_UPSTREAM_SHARE: 'reconcile.resyncUpstreamShare',
  SVC_SENTRY_POLL_INTERVAL: 'reconcile.pollingIntervalSeconds',
  SVC_SENTRY_JOB_EXPIRE_SECONDS: 'reconcile.jobExpireSeconds',
  ...KUBERNETES_ENV_VARS,
  ...BKPAAS_ENV_VARS,
  ...OSB_ENV_VARS,
};

const SECRET_PATHS = /(token|encryptionKey|apiTokens|databaseUrl|jwtClients|password)/i;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid svc-sentry configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the one validated configuration: the YAML file named by SVC_SENTRY_CONFIG (if any),
 * overridden by environment variables. Throws a ConfigError listing every bad value at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the raw YAML/env tree before validation
  let raw: Record<string, any> = {};
  if (env.SVC_SENTRY_CONFIG) {
    try {
      raw = parseYaml(readFileSync(env.SVC_SENTRY_CONFIG, 'utf8')) ?? {};
      if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('top level must be a mapping');
    } catch (e) {
      problems.push(`SVC_SENTRY_CONFIG (${env.SVC_SENTRY_CONFIG}): ${(e as Error).message}`);
      raw = {};
    }
  }
  raw.upstreams = Array.isArray(raw.upstreams) ? raw.upstreams : [];
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // Typed by the config classes' Env* decorators (env-transforms.ts).
    setPath(raw, path, value);
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  for (const err of validateSync(config, { forbidUnknownValues: false })) problems.push(...describe(err, ''));
  if (problems.length === 0) problems.push(...crossCheck(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Puts env values in place; `upstreams.default.x` targets the upstream named by defaultUpstream or "default". */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the raw YAML/env tree before validation
function setPath(raw: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  if (parts[0] === 'upstreams') {
    const name = raw.defaultUpstream ?? 'default';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the raw YAML/env tree before validation
    let up = raw.upstreams.find((u: any) => u?.name === name);
    if (!up) {
      up = { name, kind: 'sentry' };
      raw.upstreams.push(up);
    }
    up[parts[2]] = value;
    return;
  }
  let node = raw;
  for (const p of parts.slice(0, -1)) node = node[p] ??= {};
  node[parts[parts.length - 1]] = value;
}

function envNameFor(path: string): string {
  const hit = Object.entries(ENV_VARS).find(([, p]) => p === path || p === path.replace(/^upstreams\.\d+\./, 'upstreams.default.'));
  return hit ? `${hit[0]} (${path})` : path;
}

function describe(err: ValidationError, prefix: string): string[] {
  const path = prefix ? `${prefix}.${err.property}` : err.property;
  const out: string[] = [];
  if (err.constraints) {
    const shown = SECRET_PATHS.test(path) ? '<redacted>' : JSON.stringify(err.value);
    out.push(`${envNameFor(path)}: ${Object.values(err.constraints).join('; ')} (got ${shown})`);
  }
  for (const child of err.children ?? []) out.push(...describe(child, path));
  return out;
}

function crossCheck(c: AppConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const u of c.upstreams) {
    if (names.has(u.name)) problems.push(`upstreams: duplicate upstream name "${u.name}"`);
    names.add(u.name);
  }
  if (c.defaultUpstream && !names.has(c.defaultUpstream)) {
    problems.push(`defaultUpstream: no upstream named "${c.defaultUpstream}"`);
  }
  const plans = new Set<string>();
  for (const p of c.plans) {
    if (plans.has(p.name)) problems.push(`plans: duplicate plan name "${p.name}"`);
    plans.add(p.name);
    if (p.upstream && !names.has(p.upstream)) problems.push(`plans.${p.name}.upstream: no upstream named "${p.upstream}"`);
    for (const [env, s] of Object.entries(p.envs ?? {})) {
      const r = s?.tracesSampleRate;
      if (typeof r !== 'number' || r < 0 || r > 1) problems.push(`plans.${p.name}.envs.${env}.tracesSampleRate: must be a number in [0, 1]`);
    }
  }
  // A plan asking for what its upstream cannot do (delete on Bugsink, legacy DSN on GlitchTip, …) is the
  // catalog's check (CatalogService, src/catalog/resolve-plans.ts): config sits below every feature and imports none.
  problems.push(...checkKubernetesConfig(c.kubernetes));
  return problems;
}
