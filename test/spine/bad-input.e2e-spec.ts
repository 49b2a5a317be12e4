import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv } from '../support/app';

/** Every bad request gets a documented 4xx problem+json and writes nothing. */
describe('spine: bad input changes nothing', () => {
  let standin: SentryStandin;
  let t: TestApp;

  const counts = async () =>
    (
      await query(
        t.databaseUrl,
        `SELECT (SELECT count(*) FROM attachments)::int a, (SELECT count(*) FROM instances)::int i,
      (SELECT count(*) FROM operations)::int o, (SELECT count(*) FROM keys)::int k, (SELECT count(*) FROM pgboss.job)::int j`,
      )
    )[0];

  beforeAll(async () => {
    standin = await startSentryStandin();
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '2' }));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const cases: Array<[string, string, string, unknown, Record<string, string> | undefined, number, string]> = [
    ['malformed JSON', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', '{"enabled": tru', undefined, 400, 'MalformedJson'],
    ['enabled missing', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', {}, undefined, 400, 'InvalidInput'],
    ['enabled not boolean', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: 'yes' }, undefined, 400, 'InvalidInput'],
    ['unknown field', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: true, colour: 'red' }, undefined, 400, 'InvalidInput'],
    ['unknown plan', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: true, plan: 'gold' }, undefined, 400, 'PlanNotFound'],
    [
      'bad developer e-mail',
      'PUT',
      '/api/v1/apps/tnfood/modules/default/monitoring',
      { enabled: true, developers: ['not-an-email'] },
      undefined,
      400,
      'InvalidInput',
    ],
    [
      'bad target namespace',
      'PUT',
      '/api/v1/apps/tnfood/modules/default/monitoring',
      { enabled: true, targets: { stag: { namespace: 'Bad_NS' } } },
      undefined,
      400,
      'InvalidInput',
    ],
    [
      'target for an unknown env',
      'PUT',
      '/api/v1/apps/tnfood/modules/default/monitoring',
      { enabled: true, targets: { qa: { namespace: 'ns' } } },
      undefined,
      400,
      'InvalidInput',
    ],
    ['uppercase app', 'PUT', '/api/v1/apps/TnFood/modules/default/monitoring', { enabled: true }, undefined, 400, 'InvalidInput'],
    ['underscore module', 'PUT', '/api/v1/apps/tnfood/modules/my_mod/monitoring', { enabled: true }, undefined, 400, 'InvalidInput'],
    ['64-char app', 'PUT', `/api/v1/apps/${'a'.repeat(64)}/modules/default/monitoring`, { enabled: true }, undefined, 400, 'InvalidInput'],
    ['missing token', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: true }, { authorization: '' }, 401, 'Unauthorized'],
    [
      'wrong token',
      'PUT',
      '/api/v1/apps/tnfood/modules/default/monitoring',
      { enabled: true },
      { authorization: 'Bearer nope-nope-nope' },
      401,
      'Unauthorized',
    ],
    ['basic auth', 'PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: true }, { authorization: 'Basic dXNlcjpwYXNz' }, 401, 'Unauthorized'],
    ['bad audit limit', 'GET', '/api/v1/apps/tnfood/audit?limit=1000', undefined, undefined, 400, 'InvalidInput'],
    ['unknown operation', 'GET', '/api/v1/operations/00000000-0000-0000-0000-000000000000', undefined, undefined, 404, 'OperationNotFound'],
    ['GET without token', 'GET', '/api/v1/apps/tnfood/modules/default/monitoring', undefined, { authorization: '' }, 401, 'Unauthorized'],
  ];

  it.each(cases)('%s: %s %s', async (_name, method, path, body, headers, status, code) => {
    const before = await counts();
    const res = await t.api(method, path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, code, type: `urn:svc-sentry:problem:${code}` });
    expect(typeof res.body.title).toBe('string');
    expect(res.body.detail.length).toBeGreaterThan(5);
    expect(JSON.stringify(res.body)).not.toContain('test-token');
    expect(await counts()).toEqual(before);
    expect(standin.stats().calls).toBe(0);
  });

  it('a bad request lists every problem at once', async () => {
    const res = await t.api('PUT', '/api/v1/apps/tnfood/modules/default/monitoring', { enabled: 'x', plan: 5, developers: 'nobody' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/enabled/);
    expect(res.body.detail).toMatch(/plan/);
    expect(res.body.detail).toMatch(/developers/);
  });
});
