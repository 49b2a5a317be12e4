import { RECONCILE_QUEUE } from '../../src/reconcile/pg-boss.queue';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const MON = (app: string, module = 'default') => `/api/v1/apps/${app}/modules/${module}/monitoring`;

describe('spine: toggle monitoring end to end (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;

  const status = async (app: string, module = 'default') => (await t.api('GET', MON(app, module))).body;
  const settled = (app: string, module = 'default', want = 'ready') =>
    waitFor(async () => {
      const s = await status(app, module);
      if (process.env.DEBUG_E2E) console.log(JSON.stringify(s));
      return s?.environments && Object.values<any>(s.environments).every((e) => e.state === want) && Object.keys(s.environments).length === 2 ? s : null;
    }, 90_000); // generous: the machine running the suite may be busy; the condition is what counts
  const ourKeys = (slug: string) => standin.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:'));
  const projectsOf = (app: string) => standin.state.projects(ORG).filter((p) => p.slug.startsWith(`${app}-`));

  /**
   * Runs a resync and waits until it has really run for `app`: every instance of the app checked again after the
   * resync was requested (its keys verified upstream by the bulk pass, or reconciled again) and no reconcile job
   * left waiting or running.
   */
  const resyncAndWait = async (app: string) => {
    const [{ t0 }] = await query(t.databaseUrl, `SELECT now() AS t0`);
    const summary = await t.app.get(ReconcileWorker).resync();
    expect(summary.upstreams.reduce((n, u) => n + u.ready, 0)).toBeGreaterThan(0);
    await waitFor(async () => {
      const stale = await query(
        t.databaseUrl,
        `SELECT count(*)::int AS n FROM instances i LEFT JOIN instance_key_checks c ON c.instance_id = i.id
         WHERE i.app = $1 AND (i.reconciled_at IS NULL OR i.reconciled_at <= $2) AND (c.checked_at IS NULL OR c.checked_at <= $2)`,
        [app, t0],
      );
      const pending = await query(t.databaseUrl, `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [
        RECONCILE_QUEUE,
      ]);
      return stale[0].n === 0 && pending[0].n === 0;
    }, 90_000);
  };

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '16' }));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('enables tnfood/default: both environments ready with DSNs whose keys exist upstream', async () => {
    standin.state.addOrgMember(ORG, 'dev@tnfood.example');
    const res = await t.api('PUT', MON('tnfood'), { enabled: true, developers: ['dev@tnfood.example'] });
    expect(res.status).toBe(202);
    expect(res.body.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.enabled).toBe(true);
    expect(res.headers.get('location')).toBe(`/api/v1/operations/${res.body.operationId}`);

    const s = await settled('tnfood');
    expect(s.plan).toBe('default');
    for (const env of ['stag', 'prod']) {
      const e = s.environments[env];
      expect(e.project.slug).toBe(`tnfood-default-${env}`);
      expect(e.project.adminUrl).toContain(`/projects/tnfood-default-${env}/`);
      const keys = ourKeys(`tnfood-default-${env}`);
      expect(keys).toHaveLength(1);
      expect(e.dsn).toBe(`${standin.url.replace('://', `://${keys[0].public}@`)}/${keys[0].projectId}`);
      expect(e.dsn).not.toContain(keys[0].secret);
    }
    expect(standin.state.teams(ORG).map((x) => x.slug)).toContain('tnfood');
    expect(standin.state.teamMembers(ORG, 'tnfood')).toEqual(['dev@tnfood.example']);
    expect(projectsOf('tnfood').every((p) => p.hasDefaultRules && p.platform === 'other')).toBe(true);

    const op = await waitFor(async () => {
      const o = (await t.api('GET', `/api/v1/operations/${res.body.operationId}`)).body;
      return o.state === 'succeeded' ? o : null;
    });
    expect(op).toMatchObject({ kind: 'enable', app: 'tnfood', module: 'default', protocol: 'rest', actor: 'token-1' });

    // The DSN is stored sealed, never in clear text.
    const rows = await query(t.databaseUrl, `SELECT dsn_sealed FROM instances WHERE app = 'tnfood'`);
    for (const r of rows) expect(r.dsn_sealed).toMatch(/^v1\./);
  });

  it('the same PUT again changes nothing: one team, two projects, two svc-sentry keys', async () => {
    const before = await query(t.databaseUrl, 'SELECT count(*)::int AS n FROM operations');
    const res = await t.api('PUT', MON('tnfood'), { enabled: true, developers: ['dev@tnfood.example'] });
    expect(res.status).toBe(200);
    expect(Object.values<any>(res.body.environments).every((e) => e.state === 'ready')).toBe(true);
    const after = await query(t.databaseUrl, 'SELECT count(*)::int AS n FROM operations');
    expect(after[0].n).toBe(before[0].n);
    await resyncAndWait('tnfood');
    expect(standin.state.teams(ORG).filter((x) => x.slug === 'tnfood')).toHaveLength(1);
    expect(projectsOf('tnfood')).toHaveLength(2);
    for (const env of ['stag', 'prod']) expect(ourKeys(`tnfood-default-${env}`)).toHaveLength(1);
  });

  it('enables 50 app modules concurrently: exactly 100 projects', async () => {
    const modules = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const answers = await Promise.all(modules.map((m) => t.api('PUT', MON('bulk', m), { enabled: true })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await Promise.all(modules.map((m) => settled('bulk', m)));
    expect(projectsOf('bulk')).toHaveLength(100);
    for (const p of projectsOf('bulk')) expect(ourKeys(p.slug)).toHaveLength(1);
  });

  it('repairs drift on resync: our key deleted upstream gets replaced', async () => {
    const slug = 'tnfood-default-prod';
    const [old] = ourKeys(slug);
    standin.state.deleteKeyOutOfBand(ORG, slug, old.id);
    await t.app.get(ReconcileWorker).resync();
    const s = await waitFor(async () => {
      const st = await status('tnfood');
      return st.environments.prod.dsn && !st.environments.prod.dsn.includes(old.public) ? st : null;
    });
    const [fresh] = ourKeys(slug);
    expect(fresh.id).not.toBe(old.id);
    expect(s.environments.prod.dsn).toContain(fresh.public);
  });

  it('disables: our keys deleted, Default keys and projects kept, state disabled', async () => {
    const res = await t.api('PUT', MON('tnfood'), { enabled: false });
    expect(res.status).toBe(202);
    const s = await settled('tnfood', 'default', 'disabled');
    for (const env of ['stag', 'prod']) {
      expect(s.environments[env].dsn).toBeNull();
      const keys = standin.state.keys(ORG, `tnfood-default-${env}`);
      expect(keys.filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(0);
      expect(keys.filter((k) => k.name === 'Default')).toHaveLength(1);
    }
    expect(projectsOf('tnfood')).toHaveLength(2);
  });

  it('adopts an existing project only when it is provably ours', async () => {
    await fetch(`${standin.url}/api/0/organizations/${ORG}/teams/`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'adopt' }),
    });
    standin.state.createProjectOutOfBand(ORG, 'adopt', 'adopt-default-stag');
    standin.state.createProjectOutOfBand(ORG, 'tnfood', 'adopt-default-prod');
    await t.api('PUT', MON('adopt'), { enabled: true });
    const s = await waitFor(async () => {
      const st = await status('adopt');
      return st.environments.stag.state === 'ready' && st.environments.prod.state === 'failed' ? st : null;
    });
    expect(s.environments.stag.project.slug).toBe('adopt-default-stag');
    expect(s.environments.prod.error).toMatch(/does not belong to team "adopt".*Add the project to team "adopt"/);
    expect(projectsOf('adopt')).toHaveLength(2);
  });

  it('answers 404 for an app module never seen, and pages the audit trail newest first', async () => {
    const missing = await t.api('GET', MON('never-seen'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, code: 'NotFound' });

    const page1 = await t.api('GET', '/api/v1/apps/tnfood/audit?limit=1');
    expect(page1.status).toBe(200);
    expect(page1.body.total).toBe(2);
    expect(page1.body.items[0].kind).toBe('disable');
    expect(page1.headers.get('link')).toContain('offset=1');
    const page2 = await t.api('GET', '/api/v1/apps/tnfood/audit?limit=1&offset=1');
    expect(page2.body.items[0].kind).toBe('enable');
  });
});
