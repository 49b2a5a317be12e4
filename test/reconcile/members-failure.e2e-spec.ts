import { Condition } from '../../src/instances/model';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const DEV = 'dev@example.com';

const byType = (list: Condition[] | undefined) => Object.fromEntries((list ?? []).map((c) => [c.type, c]));

/**
 * A failing member sync never withholds the DSN: the project and key are made and the environment is `ready` with its
 * DSN while the team-members endpoint answers 403 or 500; the failure is shown and retried, and clears once the
 * endpoint recovers. An empty developer list leaves the team's members alone.
 */
describe('reconcile: team members after the DSN (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG], orgMembers: { [ORG]: [DEV, 'someone@example.com'] } });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_RETRY_LIMIT: '2', SVC_SENTRY_RECONCILE_RETRY_DELAY: '1' }));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const status = async (app: string) => (await t.api('GET', `/api/v1/apps/${app}/modules/web/monitoring`)).body;

  it.each([403, 500])('team-members endpoint answering %i: both environments ready with a DSN, the failure shown, then synced', async (code) => {
    const app = `mem${code}`;
    standin.setFaults({ routeStatus: { 'GET /teams/members': code } });
    expect((await t.api('PUT', `/api/v1/apps/${app}/modules/web/monitoring`, { enabled: true, developers: [DEV] })).status).toBe(202);
    const held = await waitFor(async () => {
      const s = await status(app);
      const envs = Object.values(s.environments ?? {}) as Array<{ state: string; dsn?: string; error?: string }>;
      return envs.length === 2 && envs.every((e) => e.state === 'ready' && e.dsn && /team members not synced/.test(e.error ?? '')) && s;
    }, 90_000);
    for (const env of Object.values(held.environments) as Array<{ dsn: string; error: string; conditions: Condition[] }>) {
      expect(env.dsn).toMatch(/^https?:\/\/[0-9a-f]+@/);
      expect(env.error).toContain(String(code === 403 ? 'permission' : code));
      const c = byType(env.conditions);
      // Delivered: project, key and Secret (no Kubernetes configured here: NoCluster).
      expect([c.ProjectReady.status, c.KeyReady.status, c.SecretReady.status]).toEqual(['True', 'True', 'True']);
      expect([c.MembersSynced.status, c.MembersSynced.reason]).toEqual(['False', code === 403 ? 'PermissionDenied' : 'UpstreamUnavailable']);
      // The reason and when the next try is, in the message.
      expect(c.MembersSynced.message).toContain(String(code === 403 ? 'permission' : code));
      const next = /next try at (\S+Z)/.exec(c.MembersSynced.message);
      expect(next).not.toBeNull();
      expect(Date.parse(next![1])).toBeGreaterThan(Date.parse(c.MembersSynced.lastTransitionTime));
    }
    expect(standin.state.teamMembers(ORG, app)).toEqual([]);

    standin.setFaults({});
    await waitFor(async () => {
      const envs = Object.values((await status(app)).environments) as Array<{ state: string; error?: string | null; conditions: Condition[] }>;
      return envs.every((e) => e.state === 'ready' && !e.error && byType(e.conditions).MembersSynced?.status === 'True');
    }, 90_000);
    for (const env of Object.values((await status(app)).environments) as Array<{ conditions: Condition[] }>)
      expect(byType(env.conditions).MembersSynced.reason).toBe('Synced');
    expect(standin.state.teamMembers(ORG, app)).toEqual([DEV]);
  });

  it('an empty developer list removes nobody', async () => {
    const app = 'memempty';
    standin.setFaults({});
    const path = `/api/v1/apps/${app}/modules/web/monitoring`;
    expect((await t.api('PUT', path, { enabled: true, developers: [DEV] })).status).toBe(202);
    await waitFor(async () => standin.state.teamMembers(ORG, app).length === 1, 60_000);
    const second = await t.api('PUT', path, { enabled: true, developers: [] });
    expect(second.status).toBe(202);
    // The new generation was reconciled: its operation settled.
    await waitFor(async () => (await t.api('GET', `/api/v1/operations/${second.body.operationId}`)).body.state === 'succeeded', 60_000);
    // ... and left the member in place.
    expect(standin.state.teamMembers(ORG, app)).toEqual([DEV]);
  });
});
