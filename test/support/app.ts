import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/load-config';
import { AppConfig } from '../../src/config/config.schema';
import { freshDatabase } from '../harness/database';

export const API_TOKEN = 'e2e-token-0123456789';

export interface TestApp {
  app: INestApplication;
  url: string;
  databaseUrl: string;
  config: AppConfig;
  encryptionKey: string;
  /** fetch against the app with the API token (unless headers say otherwise). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** Env for svc-sentry pointed at an upstream (the Sentry stand-in in the suites). */
export function upstreamEnv(upstreamUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SVC_SENTRY_API_TOKENS: API_TOKEN,
    SVC_SENTRY_UPSTREAM_KIND: 'sentry',
    SVC_SENTRY_UPSTREAM_URL: upstreamUrl,
    SVC_SENTRY_UPSTREAM_TOKEN: 'test-token',
    SVC_SENTRY_UPSTREAM_ORG: 'acme',
    SVC_SENTRY_UPSTREAM_RATE_LIMIT: '200',
    SVC_SENTRY_POLL_INTERVAL: '0.5',
    SVC_SENTRY_RECONCILE_RETRY_DELAY: '1',
    SVC_SENTRY_RESYNC_INTERVAL: '0',
    SVC_SENTRY_LOG_LEVEL: process.env.SVC_SENTRY_TEST_LOG_LEVEL ?? 'error',
    ...extra,
  };
}

/** Starts svc-sentry in-process on a fresh migrated database, listening on a random loopback port. */
export async function startTestApp(env: Record<string, string>, opts: { databaseUrl?: string } = {}): Promise<TestApp> {
  const db = opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => undefined } : await freshDatabase('e2e');
  const config = loadConfig({ ...env, DATABASE_URL: db.url, PORT: '8080' });
  const encryptionKey = env.SVC_SENTRY_ENCRYPTION_KEY ?? randomBytes(32).toString('hex');
  const app = await createApp({ config, databaseUrl: db.url, encryptionKey });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const base = url.replace('[::1]', '127.0.0.1');
  return {
    app,
    url: base,
    databaseUrl: db.url,
    config,
    encryptionKey,
    async api(method, path, body, headers) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(headers ?? {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** Polls until `check` returns a truthy value (or throws the last error after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T | undefined | false | null>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
