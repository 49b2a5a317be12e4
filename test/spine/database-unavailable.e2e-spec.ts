import { refuseConnections } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';

/** PostgreSQL refusing connections (as while it restarts): the REST API says so with a 503 at once, then recovers. */
describe('spine: the database refusing connections', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let accept: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(upstreamEnv(standin.url));
  });
  afterAll(async () => {
    await accept?.().catch(() => undefined);
    await t?.close();
    await standin?.close();
  });

  it('a status read and a toggle answer 503 DatabaseUnavailable, naming no host or port; once it accepts again, 200', async () => {
    const path = '/api/v1/apps/dbdown/modules/web/monitoring';
    expect((await t.api('PUT', path, { enabled: true })).status).toBe(202);
    accept = await refuseConnections(t.databaseUrl);
    try {
      const port = new URL(t.databaseUrl).port;
      for (const [method, body] of [
        ['GET', undefined],
        ['PUT', { enabled: false }],
      ] as const) {
        const started = Date.now();
        const answer = await t.api(method, path, body);
        expect({ status: answer.status, type: answer.headers.get('content-type'), code: answer.body.code }).toEqual({
          status: 503,
          type: expect.stringContaining('application/problem+json'),
          code: 'DatabaseUnavailable',
        });
        expect(JSON.stringify(answer.body)).not.toMatch(new RegExp(`127\\.0\\.0\\.1|localhost|${port}`));
        // Refused connections fail at once; the pool's 5 s wait is for connections that are all busy.
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    } finally {
      await accept();
    }
    // Nothing was changed by the refused toggle: the module is still enabled.
    const back = await waitFor(async () => {
      const a = await t.api('GET', path);
      return a.status === 200 && a;
    }, 30_000);
    expect(back.body.enabled).toBe(true);
  }, 120_000);
});
