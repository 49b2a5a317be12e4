import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

/** GET /api/v1/monitoring: the paginated, filterable list of app modules the panel browses (real PostgreSQL). */
describe('REST list of app modules', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'] });
    t = await startTestApp(upstreamEnv(standin.url));
    for (const app of ['alpha', 'beta', 'beta-2', 'gamma']) {
      expect((await t.api('PUT', `/api/v1/apps/${app}/modules/default/monitoring`, { enabled: true })).status).toBe(202);
    }
    expect((await t.api('PUT', '/api/v1/apps/beta/modules/worker/monitoring', { enabled: true, plan: 'legacy' })).status).toBe(202);
    await waitFor(async () => (await t.api('GET', '/api/v1/monitoring?state=ready')).body.total === 5, 60_000);
    expect((await t.api('PUT', '/api/v1/apps/gamma/modules/default/monitoring', { enabled: false })).status).toBe(202);
    // Both environments of gamma disabled (the list's state filter matches a module when any one environment is).
    await waitFor(
      async () =>
        Object.values<any>((await t.api('GET', '/api/v1/apps/gamma/modules/default/monitoring')).body.environments).every((e) => e.state === 'disabled'),
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('lists every app module ordered by app then module, with each environment state, the toggle and the plan', async () => {
    const r = await t.api('GET', '/api/v1/monitoring');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 5, offset: 0, limit: 20 });
    expect(r.body.items.map((m: any) => `${m.app}/${m.module}`)).toEqual(['alpha/default', 'beta/default', 'beta/worker', 'beta-2/default', 'gamma/default']);
    expect(r.body.items[2]).toMatchObject({ enabled: true, plan: 'legacy', environments: { stag: 'ready', prod: 'ready' } });
    expect(r.body.items[4]).toMatchObject({ enabled: false, plan: 'default', environments: { stag: 'disabled', prod: 'disabled' } });
    expect(Number.isNaN(Date.parse(r.body.items[0].updatedAt))).toBe(false);
    expect(r.headers.get('link')).toBeNull();
  });

  it('filters by app substring, module and state', async () => {
    const names = async (q: string) => (await t.api('GET', `/api/v1/monitoring?${q}`)).body.items.map((m: any) => `${m.app}/${m.module}`);
    expect(await names('app=beta')).toEqual(['beta/default', 'beta/worker', 'beta-2/default']);
    expect(await names('app=beta&module=worker')).toEqual(['beta/worker']);
    expect(await names('state=disabled')).toEqual(['gamma/default']);
    expect(await names('app=alpha&state=disabled')).toEqual([]);
    expect(await names('app=nothing')).toEqual([]);
  });

  it('pages with offset and limit and a Link to the next page that keeps the filter', async () => {
    const first = await t.api('GET', '/api/v1/monitoring?app=beta&limit=2');
    expect(first.body).toMatchObject({ total: 3, offset: 0, limit: 2 });
    expect(first.body.items).toHaveLength(2);
    expect(first.headers.get('link')).toBe('</api/v1/monitoring?app=beta&offset=2&limit=2>; rel="next"');
    const second = await t.api('GET', '/api/v1/monitoring?app=beta&offset=2&limit=2');
    expect(second.body.items.map((m: any) => `${m.app}/${m.module}`)).toEqual(['beta-2/default']);
    expect(second.headers.get('link')).toBeNull();
    const past = await t.api('GET', '/api/v1/monitoring?offset=50');
    expect(past.body).toMatchObject({ items: [], total: 5, offset: 50 });
  });

  it('answers 400 InvalidInput for a bad filter or page, and 401 without a token', async () => {
    for (const q of ['state=sleeping', 'limit=0', 'limit=101', 'offset=-1', 'app=Bad_App', 'module=-x', 'app=%25', 'extra=1']) {
      const r = await t.api('GET', `/api/v1/monitoring?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 400, 'InvalidInput']);
    }
    const anon = await t.api('GET', '/api/v1/monitoring', undefined, { authorization: '' });
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe('Unauthorized');
  });

  it('lists the plans a toggle may name', async () => {
    const r = await t.api('GET', '/api/v1/plans');
    expect(r.status).toBe(200);
    expect(r.body.map((p: any) => p.name)).toEqual(expect.arrayContaining(['default', 'legacy']));
    expect(r.body[0]).toEqual({ name: expect.any(String), description: expect.any(String), environments: ['stag', 'prod'] });
  });
});
