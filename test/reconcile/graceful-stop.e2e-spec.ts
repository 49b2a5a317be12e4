import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { freshDatabase } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, upstreamEnv, waitFor } from '../support/app';
import { startWorkerProcess, stopProcess } from '../support/worker-process';

const APPS = 10;

/**
 * SIGTERM while reconcile passes run: the replica stops taking jobs, lets the running passes finish,
 * closes the queue, then (embedded) stops PostgreSQL, logs one line `stopped` and exits 0 with no
 * stack trace. Nothing is lost: a replica started afterwards finishes every toggle.
 */
describe.each(['shared', 'embedded'] as const)('reconcile: graceful stop on SIGTERM (%s PostgreSQL)', (kind) => {
  let standin: SentryStandin;
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let dataDir: string | undefined;
  const encryptionKey = randomBytes(32).toString('hex');

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'], latencyMs: 150 });
    if (kind === 'shared') db = await freshDatabase('stop');
    else {
      dataDir = mkdtempSync(join(tmpdir(), 'svc-sentry-stop-'));
      chmodSync(dataDir, 0o755);
    }
  });
  afterAll(async () => {
    await standin?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const replica = async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      ...upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '4' }),
      SVC_SENTRY_ROLE: 'all',
      SVC_SENTRY_LOG_LEVEL: 'info',
      SVC_SENTRY_ENCRYPTION_KEY: encryptionKey,
      PORT: String(port),
      ...(db ? { DATABASE_URL: db.url } : { SVC_SENTRY_DATA_DIR: dataDir! }),
    };
    const child = await startWorkerProcess(env);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${child.output()}`);
      return (await fetch(`${base}/healthz`).catch(() => null))?.ok;
    }, 180_000).catch((e) => {
      throw new Error(`${e}\n${child.output()}`);
    });
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: (await r.json().catch(() => null)) as any };
    };
    const states = async () => {
      const all: string[] = [];
      for (let i = 0; i < APPS; i++) {
        const s = await api('GET', `/api/v1/apps/stop${i}/modules/web/monitoring`);
        all.push(...Object.values<any>(s.body?.environments ?? {}).map((e) => e.state));
      }
      return all;
    };
    return { child, api, states };
  };

  it('exits 0 after draining, logs `stopped` last, and a restarted replica finishes every toggle', async () => {
    if (kind === 'embedded' && process.env.DATABASE_URL) return console.warn('skipped: DATABASE_URL is set, so the embedded PostgreSQL is not used');
    const first = await replica();
    for (let i = 0; i < APPS; i++) expect((await first.api('PUT', `/api/v1/apps/stop${i}/modules/web/monitoring`, { enabled: true })).status).toBe(202);
    // Stop while passes run: some environments are ready, not all.
    await waitFor(async () => (await first.states()).some((s) => s === 'ready'), 120_000, 100);
    const readyAtStop = (await first.states()).filter((s) => s === 'ready').length;
    first.child.kill('SIGTERM');
    const [code, signal] = await once(first.child, 'exit');
    const out = first.child.output();
    const lines = out.trim().split('\n');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(out).not.toMatch(/^\s+at /m);
    expect(JSON.parse(lines[lines.length - 1]).msg).toBe('stopped');
    expect(lines.filter((l) => /"msg":"stopped"/.test(l))).toHaveLength(1);

    console.log(JSON.stringify({ suite: `graceful-stop-${kind}`, readyAtStop, environments: APPS * 2 }));
    const second = await replica();
    try {
      await waitFor(async () => {
        const s = await second.states();
        return s.length === APPS * 2 && s.every((x) => x === 'ready');
      }, 180_000);
    } finally {
      await stopProcess(second.child);
    }
    const projects = standin.state.projects('acme');
    expect(projects).toHaveLength(APPS * 2);
    for (const p of projects) expect(standin.state.keys('acme', p.slug).filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(1);
  }, 600_000);
});
