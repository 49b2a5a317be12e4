import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { upstreamEnv, waitFor } from '../support/app';
import { LogLine, startMain, stopProcess } from '../support/worker-process';

const INFO = 30;
const WARN = 40;

const readyz = async (base: string) => (await fetch(`${base}/readyz`)).status;
const readinessLines = (lines: LogLine[]) => lines.filter((l) => /^(not )?ready\b/.test(l.msg));

/** What `npm start` prints: one summary line at info, Nest's route mapping at debug, readiness changes once each. */
describe('start-up and readiness logs', () => {
  it('first run on the embedded PostgreSQL: one summary line (URL, docs, role, what is not configured, how to connect to PostgreSQL); no route lines at info; a 503 /readyz is one warning', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'svc-sentry-startlog-'));
    chmodSync(dataDir, 0o755);
    const app = await startMain({ SVC_SENTRY_DATA_DIR: dataDir });
    try {
      for (let i = 0; i < 5; i++) expect(await readyz(app.base)).toBe(503);
      await waitFor(async () => readinessLines(app.lines()).length > 0, 10_000);
      for (let i = 0; i < 3; i++) expect(await readyz(app.base)).toBe(503);
      await fetch(`${app.base}/api/v1/monitoring?limit=1`, { headers: { authorization: 'Bearer start-log-token-0123456789', cookie: 'session=c00kie-value' } });
    } finally {
      await stopProcess(app.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
    const lines = app.lines();
    // A request's line names the request and the answer's status, never their headers (credentials travel there).
    const request = lines.find((l) => (l as { req?: { url?: string } }).req?.url === '/api/v1/monitoring?limit=1') as unknown as {
      req: Record<string, unknown>;
      res: Record<string, unknown>;
    };
    expect(Object.keys(request.req).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
    expect(Object.keys(request.res)).toEqual(['statusCode']);
    expect(app.raw()).not.toMatch(/start-log-token|c00kie-value/);
    const info = lines.filter((l) => l.level >= INFO);
    const summary = info.filter((l) => /listening/.test(l.msg));
    expect(summary).toHaveLength(1);
    const s = summary[0];
    expect(s.level).toBe(INFO);
    expect(s.msg).toContain(`http://127.0.0.1:${app.port}`);
    expect(s.msg).toContain(`docs http://127.0.0.1:${app.port}/docs`);
    expect(s.msg).toMatch(/\brole all\b/);
    expect(s.msg).toMatch(/not configured: .*upstream \(SVC_SENTRY_UPSTREAM_URL/);
    for (const setting of ['SVC_SENTRY_API_TOKENS', 'SVC_SENTRY_OSB_PASSWORD', 'SVC_SENTRY_BKPAAS_JWT_CLIENTS', 'SVC_SENTRY_KUBECONFIG'])
      expect(s.msg).toContain(setting);
    // The embedded PostgreSQL's port and how to connect: once, in the summary.
    const pg = /embedded PostgreSQL on 127\.0\.0\.1:(\d+) \(connect: psql -h 127\.0\.0\.1 -p (\d+) -U svc_sentry svc_sentry\)/.exec(s.msg);
    expect(pg).not.toBeNull();
    expect(pg![1]).toBe(pg![2]);
    expect(app.raw().split(`-p ${pg![1]} -U`).length - 1).toBe(1);
    // Nest's route mapping and module wiring are not at info.
    expect(info.filter((l) => ['RoutesResolver', 'RouterExplorer', 'InstanceLoader'].includes(l.context ?? ''))).toEqual([]);
    expect(info.filter((l) => /^Mapped \{/.test(l.msg))).toEqual([]);
    // Everything at info or above from start to stop fits on a screen.
    expect(info.length).toBeLessThanOrEqual(12);
    // /readyz answered 503 eight times: one warning, never an error.
    expect(readinessLines(lines)).toEqual([
      expect.objectContaining({ level: WARN, msg: expect.stringMatching(/^not ready: \/readyz answers 503 .*upstream/) }),
    ]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 150_000);

  describe('with an upstream that goes down and comes back', () => {
    let standin: SentryStandin;
    let db: { url: string; drop: () => Promise<void> };
    beforeAll(async () => {
      standin = await startSentryStandin();
      db = await freshDatabase('startlog');
    });
    afterAll(async () => {
      await standin?.close();
      await db?.drop();
    });

    it('routes are logged at debug; readiness is logged once per change (ready at info, not ready as a warning), not per probe', async () => {
      const app = await startMain({
        ...upstreamEnv(standin.url),
        DATABASE_URL: db.url,
        SVC_SENTRY_LOG_LEVEL: 'debug',
        SVC_SENTRY_ENCRYPTION_KEY: 'ab'.repeat(32),
      });
      try {
        await waitFor(async () => (await readyz(app.base)) === 200, 30_000);
        for (let i = 0; i < 3; i++) expect(await readyz(app.base)).toBe(200);
        standin.setFaults({ errorRate: 1 });
        await waitFor(async () => (await readyz(app.base)) === 503, 60_000, 500);
        for (let i = 0; i < 3; i++) expect(await readyz(app.base)).toBe(503);
        standin.setFaults({});
        await waitFor(async () => (await readyz(app.base)) === 200, 60_000, 500);
        for (let i = 0; i < 3; i++) expect(await readyz(app.base)).toBe(200);
      } finally {
        await stopProcess(app.child);
      }
      const lines = app.lines();
      const routes = lines.filter((l) => l.context === 'RouterExplorer');
      expect(routes.length).toBeGreaterThan(20);
      expect(routes.every((l) => l.level < INFO)).toBe(true);
      // A probe while the process is still starting may be a first "not ready"; from the first "ready" on, one line per change.
      const readiness = readinessLines(lines);
      const fromReady = readiness.slice(readiness.findIndex((l) => l.msg.startsWith('ready')));
      expect(fromReady.map((l) => [l.level, l.msg.replace(/ \(.*$/, '')])).toEqual([
        [INFO, 'ready: /readyz answers 200'],
        [WARN, 'not ready: /readyz answers 503'],
        [INFO, 'ready: /readyz answers 200'],
      ]);
      expect(fromReady[1].msg).toMatch(/upstream:default down/);
      expect(readiness.length - fromReady.length).toBeLessThanOrEqual(1);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    }, 180_000);
  });
});
