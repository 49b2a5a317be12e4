import { randomBytes } from 'node:crypto';
import { freshDatabase } from '../harness/database';
import { Condition } from '../../src/instances/model';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const DEV = 'dev@example.com';

/**
 * The member-sync backoff is recorded in the database: a replica restarted while the members endpoint keeps answering 403
 * goes on with the next, longer wait (failure 3 after 10 s and 20 s), instead of starting over at 10 s.
 */
describe('reconcile: member-sync backoff survives a restart (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let db: { url: string; drop: () => Promise<void> };
  let t: TestApp | undefined;
  const env = () => upstreamEnv(standin.url, { SVC_SENTRY_ENCRYPTION_KEY: key });
  const key = randomBytes(32).toString('hex');

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG], orgMembers: { [ORG]: [DEV] } });
    db = await freshDatabase('backoff');
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
    await db?.drop();
  });

  /** The prod environment's MembersSynced, once its message names the given failure. */
  const failure = (n: number) =>
    waitFor(async () => {
      const body = (await t!.api('GET', '/api/v1/apps/slow/modules/web/monitoring')).body;
      const c = (body.environments?.prod?.conditions ?? []).find((x: Condition) => x.type === 'MembersSynced') as Condition | undefined;
      return c && c.message.includes(`failure ${n};`) && { c, env: body.environments.prod };
    }, 120_000);

  it('403 twice, restart, then failure 3 waits 40 s; recovery clears it', async () => {
    standin.setFaults({ routeStatus: { 'GET /teams/members': 403 } });
    t = await startTestApp(env(), { databaseUrl: db.url });
    expect((await t.api('PUT', '/api/v1/apps/slow/modules/web/monitoring', { enabled: true, developers: [DEV] })).status).toBe(202);
    const first = await failure(1);
    expect(first.env.state).toBe('ready');
    expect(first.env.dsn).toBeTruthy();
    expect(first.c).toMatchObject({ status: 'False', reason: 'PermissionDenied' });
    expect(first.c.message).toContain('(in 10 s, failure 1;');
    expect((await failure(2)).c.message).toContain('(in 20 s, failure 2;');

    await t.close();
    t = await startTestApp(env(), { databaseUrl: db.url });
    // The restarted replica's start-up resync does not start over at failure 1: the next failure is the third.
    const third = await failure(3);
    expect(third.c.message).toContain('(in 40 s, failure 3;');

    standin.setFaults({});
    // A new wish (another developer) starts a fresh generation, which resets the backoff at once (no 40 s wait).
    expect((await t.api('PUT', '/api/v1/apps/slow/modules/web/monitoring', { enabled: true, developers: [DEV, 'new@example.com'] })).status).toBe(202);
    await waitFor(async () => {
      const body = (await t!.api('GET', '/api/v1/apps/slow/modules/web/monitoring')).body;
      const c = (body.environments.prod.conditions as Condition[]).find((x) => x.type === 'MembersSynced');
      return c?.status === 'True' && !body.environments.prod.error;
    }, 60_000);
    expect(standin.state.teamMembers(ORG, 'slow')).toEqual([DEV]);
  }, 300_000);
});
