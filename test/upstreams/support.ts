import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { API_TOKEN } from '../support/app';

/** Writes an SVC_SENTRY_CONFIG YAML file (upstreams and plans) into a temporary folder; `remove()` deletes it. */
export function configFile(content: Record<string, unknown>): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-upstreams-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(content));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** svc-sentry env for the suites here: upstreams come from the YAML file, not SVC_SENTRY_UPSTREAM_*. */
export function baseEnv(config: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SVC_SENTRY_CONFIG: config,
    SVC_SENTRY_API_TOKENS: API_TOKEN,
    SVC_SENTRY_POLL_INTERVAL: '0.5',
    SVC_SENTRY_RECONCILE_RETRY_DELAY: '1',
    SVC_SENTRY_RESYNC_INTERVAL: '0',
    SVC_SENTRY_LOG_LEVEL: process.env.SVC_SENTRY_TEST_LOG_LEVEL ?? 'error',
    ...extra,
  };
}

export const MON = (app: string, module = 'default') => `/api/v1/apps/${app}/modules/${module}/monitoring`;
