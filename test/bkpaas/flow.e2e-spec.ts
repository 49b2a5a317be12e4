import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { dbSnapshot } from '../support/db-snapshot';
import { bkClient, bkParams, JWT_CLIENTS } from './bk-client';

const ORG = 'acme';

/** The BlueKing story end to end: enable in the developer center, redeploy, SENTRY_DSN appears; unbind recycles. */
describe('BlueKing remote service: end-to-end flows', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let bk: ReturnType<typeof bkClient>;
  let sid: string;
  let plans: Record<string, string>;
  const ours = (slug: string) => standin.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:'));
  const idem = (app: string, env: string, plan = plans.default, extra = {}) =>
    bk('POST', `services/${sid}/instances/idem_prov/`, { plan_id: plan, params: bkParams(app, env, extra) });

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(
      upstreamEnv(standin.url, { SVC_SENTRY_BKPAAS_JWT_CLIENTS: JWT_CLIENTS, SVC_SENTRY_BKPAAS_IDEM_WAIT: '3', SVC_SENTRY_RECONCILE_RETRY_LIMIT: '1' }),
    );
    bk = bkClient(t);
    const [svc] = (await bk('GET', 'services/')).body;
    sid = svc.uuid;
    plans = Object.fromEntries(svc.plans.map((p: any) => [p.name, p.uuid]));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  let stag: string;
  let prod: string;

  it('provisions stag and prod for an engine app: 201 each, GET gives the DSN and admin_url', async () => {
    const [s, p] = await Promise.all([idem('tnfood', 'stag'), idem('tnfood', 'prod')]);
    expect([s.status, p.status]).toEqual([201, 201]);
    stag = s.body.uuid;
    prod = p.body.uuid;
    expect(stag).not.toBe(prod);
    for (const [iid, env] of [
      [stag, 'stag'],
      [prod, 'prod'],
    ]) {
      const res = await bk('GET', `instances/${iid}/`);
      expect(res.status).toBe(200);
      const [key] = ours(`tnfood-default-${env}`);
      expect(res.body.credentials).toEqual({ dsn: `${standin.url.replace('://', `://${key.public}@`)}/${key.projectId}`, environment: env });
      expect(res.body.config.admin_url).toContain(`/projects/tnfood-default-${env}/`);
    }
    const ops = await query(t.databaseUrl, `SELECT kind, protocol, actor FROM operations WHERE app = 'tnfood'`);
    expect(ops).toEqual(expect.arrayContaining([{ kind: 'provision', protocol: 'bkpaas', actor: 'bkpaas:paas-v3' }]));
  });

  it('re-provisioning the same engine app answers 200 with the same instance (one key upstream)', async () => {
    const again = await idem('tnfood', 'stag');
    expect(again).toMatchObject({ status: 200, body: { uuid: stag } });
    expect(ours('tnfood-default-stag')).toHaveLength(1);
  });

  it('concurrent idem_prov calls for one engine app make one instance and one key', async () => {
    const answers = await Promise.all([idem('twins', 'prod'), idem('twins', 'prod'), idem('twins', 'prod')]);
    expect(answers.map((a) => a.status).every((s) => [200, 201, 202].includes(s))).toBe(true);
    expect(new Set(answers.map((a) => a.body.uuid)).size).toBe(1);
    await waitFor(async () => (await idem('twins', 'prod')).status === 200, 15_000);
    expect(ours('twins-default-prod')).toHaveLength(1);
    expect(await query(t.databaseUrl, `SELECT count(*)::int AS n FROM instances WHERE app = 'twins'`)).toEqual([{ n: 1 }]);
  });

  it('idem_prov while provisioning answers 202, then 200 with the same instance', async () => {
    standin.setFaults({ latencyMs: 1500 });
    const first = await idem('slowapp', 'stag');
    expect(first.status).toBe(202);
    const again = await idem('slowapp', 'stag');
    expect(again).toMatchObject({ status: 202, body: { uuid: first.body.uuid } });
    standin.setFaults({});
    const done = await waitFor(
      async () => {
        const r = await idem('slowapp', 'stag');
        return r.status === 200 ? r : null;
      },
      30_000,
      500,
    );
    expect(done.body.uuid).toBe(first.body.uuid);
    expect(done.body.credentials.dsn).toContain(ours('slowapp-default-stag')[0].public);
    expect(ours('slowapp-default-stag')).toHaveLength(1);
  });

  it('400 on a plan conflict, with nothing changed', async () => {
    const before = await dbSnapshot(t.databaseUrl);
    const res = await idem('tnfood', 'stag', plans.legacy);
    expect(res).toMatchObject({ status: 400, body: { code: 'PlanConflict' } });
    expect(await dbSnapshot(t.databaseUrl)).toBe(before);
  });

  it('500 on a provider failure leaves nothing behind, and the call can be retried', async () => {
    // A project with our name in someone else's team: svc-sentry refuses to adopt it (a provider failure).
    await fetch(`${standin.url}/api/0/organizations/${ORG}/teams/`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'someone-else' }),
    });
    standin.state.createProjectOutOfBand(ORG, 'someone-else', 'failapp-default-stag');
    const res = await idem('failapp', 'stag');
    expect(res).toMatchObject({ status: 500, body: { code: expect.any(String), detail: expect.stringContaining('nothing was kept') } });
    await waitFor(async () => {
      const rows = await query(t.databaseUrl, `SELECT desired, state FROM instances WHERE app = 'failapp'`);
      return rows.length === 1 && rows[0].desired === 'absent' && rows[0].state === 'disabled';
    }, 15_000);
    expect(
      await query(t.databaseUrl, `SELECT k.* FROM keys k JOIN instances i ON i.id = k.instance_id WHERE i.app = 'failapp' AND k.state <> 'deleted'`),
    ).toEqual([]);
    expect(ours('failapp-default-stag')).toHaveLength(0);
    expect((await bk('GET', `services/${sid}/instances/?name=bkapp-failapp-stag`)).status).toBe(404);
    const retry = await idem('failapp', 'stag');
    expect(retry.status).toBe(500);
  });

  it('async delete: the sweeper revokes our key, then the instance is gone from every lookup', async () => {
    expect((await bk('DELETE', `instances/${stag}/async_delete`)).status).toBe(204);
    await waitFor(async () => (await bk('GET', `instances/${stag}/?to_be_deleted=true`)).status === 404, 20_000);
    expect(ours('tnfood-default-stag')).toHaveLength(0);
    expect(standin.state.keys(ORG, 'tnfood-default-stag').filter((k) => k.name === 'Default')).toHaveLength(1);
    expect((await bk('GET', `instances/${stag}/`)).status).toBe(404);
    expect((await bk('GET', `services/${sid}/instances/?name=bkapp-tnfood-stag`)).status).toBe(404);
    // prod is untouched
    expect((await bk('GET', `instances/${prod}/`)).body.credentials.dsn).toContain(ours('tnfood-default-prod')[0].public);
    // the tombstone keeps the audit trail
    const row = await query(t.databaseUrl, `SELECT desired, state, external_id FROM instances WHERE app = 'tnfood' AND env = 'stag'`);
    expect(row).toEqual([{ desired: 'absent', state: 'disabled', external_id: stag }]);
  });

  it('cross-protocol: enabled over BlueKing, visible and disableable over REST', async () => {
    const created = await idem('crossapp', 'prod');
    expect(created.status).toBe(201);
    const rest = await t.api('GET', '/api/v1/apps/crossapp/modules/default/monitoring');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ app: 'crossapp', enabled: true, environments: { prod: { state: 'ready', dsn: created.body.credentials.dsn } } });
    const off = await t.api('PUT', '/api/v1/apps/crossapp/modules/default/monitoring', { enabled: false });
    expect(off.status).toBe(202);
    await waitFor(async () => (await t.api('GET', '/api/v1/apps/crossapp/modules/default/monitoring')).body.environments.prod.state === 'disabled', 15_000);
    expect(ours('crossapp-default-prod')).toHaveLength(0);
    expect((await bk('GET', `instances/${created.body.uuid}/`)).status).toBe(404);
    // …and BlueKing can enable it again: a fresh instance on the same (app, module, env) row.
    const back = await idem('crossapp', 'prod');
    expect(back.status).toBe(201);
    expect((await t.api('GET', '/api/v1/apps/crossapp/modules/default/monitoring')).body.enabled).toBe(true);
    expect(await query(t.databaseUrl, `SELECT count(*)::int AS n FROM instances WHERE app = 'crossapp'`)).toEqual([{ n: 1 }]);
  });
});
