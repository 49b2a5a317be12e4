import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv } from '../support/app';

/** The same PUT twice changes nothing the second time, whatever the key order of its objects (jsonb reorders keys). */
describe('instances: an identical PUT is idempotent on PostgreSQL', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'] });
    t = await startTestApp({ ...upstreamEnv(standin.url), SVC_SENTRY_ROLE: 'api' });
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const operations = async (app: string) => (await query(t.databaseUrl, `SELECT count(*)::int AS n FROM operations WHERE app = $1`, [app]))[0].n as number;

  it.each([
    ['stag, prod', { stag: { namespace: 'shop-stag' }, prod: { namespace: 'shop-prod' } }],
    ['prod, stag', { prod: { namespace: 'shop-prod' }, stag: { namespace: 'shop-stag' } }],
  ])('targets in order %s: 202 then 200, one operation', async (_name, targets) => {
    const app = `shop${Math.random().toString(36).slice(2, 8)}`;
    const path = `/api/v1/apps/${app}/modules/web/monitoring`;
    const first = await t.api('PUT', path, { enabled: true, targets });
    expect(first.status).toBe(202);
    const second = await t.api('PUT', path, { enabled: true, targets });
    expect({ status: second.status, operations: await operations(app) }).toEqual({ status: 200, operations: 1 });
    // The same wish with the keys in another order is still the same wish.
    const reordered = Object.fromEntries(
      Object.entries(targets)
        .reverse()
        .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]),
    );
    const third = await t.api('PUT', path, { enabled: true, targets: reordered });
    expect({ status: third.status, operations: await operations(app) }).toEqual({ status: 200, operations: 1 });
  });
});
