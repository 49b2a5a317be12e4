import { signHs256 } from '../../src/bkpaas/jwt';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { dbSnapshot } from '../support/db-snapshot';
import { BK_ISS, BK_KEY, bkClient, bkParams, JWT_CLIENTS, OPS_ISS, OPS_KEY, platformToken } from './bk-client';

const ORG = 'acme';
const now = () => Math.floor(Date.now() / 1000);
const isPlainObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every status-code row of the BlueKing remote-service protocol (reference §4), against the running app. */
describe('BlueKing remote service: contract (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let bk: ReturnType<typeof bkClient>;
  let sid: string;
  let plans: Record<string, string>;

  /** Runs a rejected request and shows that nothing in the database changed. */
  const rejected = async (status: number, method: string, path: string, body?: unknown, token?: string | null) => {
    const before = await dbSnapshot(t.databaseUrl);
    const res = await bk(method, path, body, token);
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { code: expect.any(String), detail: expect.any(String) } });
    expect(await dbSnapshot(t.databaseUrl)).toBe(before);
    return res;
  };

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(
      upstreamEnv(standin.url, {
        SVC_SENTRY_BKPAAS_JWT_CLIENTS: JWT_CLIENTS,
        SVC_SENTRY_BKPAAS_IDEM_WAIT: '10',
        SVC_SENTRY_BKPAAS_SYNC_TIMEOUT: '20',
        SVC_SENTRY_BKPAAS_DEVELOPER_EMAIL_DOMAIN: 'example.com',
        SVC_SENTRY_PUBLIC_URL: 'http://svc-sentry.example',
        SVC_SENTRY_RECONCILE_RETRY_LIMIT: '1',
      }),
    );
    bk = bkClient(t);
    const services = await bk('GET', 'services/');
    sid = services.body[0].uuid;
    plans = Object.fromEntries(services.body[0].plans.map((p: any) => [p.name, p.uuid]));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  describe('auth (HS256 JWT: iss, expires_at, role)', () => {
    it('accepts every configured client; healthz needs no token', async () => {
      expect((await bk('GET', 'meta_info/')).body).toEqual({ version: '2.0.4', name: 'svc-sentry' });
      const ops = signHs256({ iss: OPS_ISS, expires_at: now() + 60 }, OPS_KEY);
      expect((await bk('GET', 'meta_info/', undefined, ops)).status).toBe(200);
      const h = await bk('GET', 'healthz/', undefined, null);
      expect(h).toMatchObject({ status: 200, body: { result: true } });
    });

    it.each([
      ['no token', null],
      ['a token signed with another client key', signHs256({ iss: BK_ISS, expires_at: now() + 60, role: 'internal_platform' }, OPS_KEY)],
      ['an expired token', signHs256({ iss: BK_ISS, expires_at: now() - 1, role: 'internal_platform' }, BK_KEY)],
      ['an unknown issuer', signHs256({ iss: 'stranger', expires_at: now() + 60 }, BK_KEY)],
      ['garbage', 'not-a-jwt'],
    ])('401 for %s, and the key never appears in the answer', async (_what, token) => {
      const res = await rejected(
        401,
        'POST',
        `services/${sid}/instances/idem_prov/`,
        { plan_id: plans.default, params: bkParams('authz', 'stag') },
        token as string | null,
      );
      expect(JSON.stringify(res.body)).not.toContain(BK_KEY);
      expect((await bk('GET', 'services/', undefined, token as string | null)).status).toBe(401);
    });

    it('403 for a mutation without role internal_platform (reads are allowed)', async () => {
      const reader = signHs256({ iss: OPS_ISS, expires_at: now() + 60, role: 'viewer' }, OPS_KEY);
      expect((await bk('GET', 'services/', undefined, reader)).status).toBe(200);
      await rejected(403, 'POST', `services/${sid}/instances/idem_prov/`, { plan_id: plans.default, params: bkParams('roles', 'stag') }, reader);
      await rejected(403, 'POST', 'plans/', { name: 'default', description: 'x' }, reader);
    });
  });

  describe('catalog: services, plans, plan_schema, upserts', () => {
    it('lists the sentry service with its plans and plan_schema', async () => {
      const [svc] = (await bk('GET', 'services/')).body;
      expect(svc).toMatchObject({ name: 'sentry', category: 2, is_active: true, plan_schema: { type: 'object' } });
      expect(svc.plans.map((p: any) => p.name).sort()).toEqual(['default', 'legacy']);
      for (const p of svc.plans) {
        expect(p).toMatchObject({ uuid: expect.any(String), is_active: true, tenant_id: 'default' });
        // BlueKing's collector merges a plan's config as a dict (`dict.update(config)`): a JSON string breaks every later load.
        expect(isPlainObject(p.config)).toBe(true);
        expect(p.config).toEqual({ dsn_format: p.name === 'legacy' ? 'legacy' : 'modern' });
      }
    });

    it('upserts service metadata (200) and refuses a rename (400) or an unknown service (404)', async () => {
      const res = await bk('PUT', `services/${sid}/`, { display_name: 'Sentry (error monitoring)', description: 'svc' });
      expect(res).toMatchObject({ status: 200, body: { uuid: sid, display_name: 'Sentry (error monitoring)' } });
      expect((await bk('POST', 'services/', { name: 'sentry', is_visible: true })).status).toBe(201);
      expect((await bk('GET', 'services/')).body[0].display_name).toBe('Sentry (error monitoring)');
      await rejected(400, 'PUT', 'services/', { name: 'not-sentry' });
      await rejected(400, 'PUT', `services/${sid}/`, { is_active: 'yes' });
      await rejected(404, 'PUT', 'services/00000000-0000-0000-0000-000000000000/', { display_name: 'x' });
    });

    it('upserts plans: 201 on first upsert, 200 after; a bad config 400, unknown id 404', async () => {
      const first = await bk('POST', 'plans/', { name: 'legacy', description: 'raven < 6.7', service_id: sid, config: '{"dsn_format":"legacy"}' });
      expect(first).toMatchObject({ status: 201, body: { uuid: plans.legacy, name: 'legacy', description: 'raven < 6.7' } });
      expect((await bk('POST', 'plans/', { name: 'legacy', description: 'again' })).status).toBe(200);
      const upd = await bk('PUT', `plans/${plans.default}/`, { description: 'Default plan', properties: { is_eager: false } });
      expect(upd).toMatchObject({ status: 200, body: { description: 'Default plan' } });
      await rejected(400, 'POST', 'plans/', { name: 'gold', config: '{"dsn_format":"other"}' });
      await rejected(400, 'POST', 'plans/', { name: 'default', config: '{not json' });
      await rejected(400, 'PUT', `plans/${plans.default}/`, { config: '{"dsn_format":"legacy"}' });
      await rejected(404, 'PUT', 'plans/00000000-0000-0000-0000-000000000000/', { description: 'x' });
      // The apiserver sends config as a JSON string in upserts; every answer and later listing carries an object.
      expect(isPlainObject(first.body.config)).toBe(true);
      for (const p of (await bk('GET', 'services/')).body[0].plans) expect(isPlainObject(p.config)).toBe(true);
    });
  });

  describe('synchronous provision POST services/{sid}/instances/{iid}/', () => {
    const iid = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0001';

    it('201 with the DSN in credentials and admin_url in config', async () => {
      const res = await bk('POST', `services/${sid}/instances/${iid}/`, { plan_id: plans.default, params: bkParams('syncapp', 'stag') });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        uuid: iid,
        service: sid,
        plan: plans.default,
        credentials: { dsn: expect.stringMatching(/^http:\/\/[0-9a-f]+@127\.0\.0\.1:\d+\/\d+$/) },
      });
      expect(res.body.config.__meta__).toEqual({ should_hidden_fields: ['dsn'], should_remove_fields: [] });
      expect(res.body.config.admin_url).toMatch(/^http:\/\/svc-sentry\.example\/bkpaas\/authenticate\/\?token=/);
      const key = standin.state.keys(ORG, 'syncapp-default-stag').find((k) => k.name.startsWith('svc-sentry:primary:'));
      expect(res.body.credentials.dsn).toContain(key!.public);
    });

    it('400 when the instance id already exists; 400 for bad params or plan; 404 for another service', async () => {
      await rejected(400, 'POST', `services/${sid}/instances/${iid}/`, { plan_id: plans.default, params: bkParams('syncapp', 'stag') });
      const other = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0002';
      await rejected(400, 'POST', `services/${sid}/instances/${other}/`, { plan_id: plans.default, params: { env_name: 'stag' } });
      await rejected(400, 'POST', `services/${sid}/instances/${other}/`, { plan_id: plans.default, params: bkParams('x', 'dev') });
      await rejected(400, 'POST', `services/${sid}/instances/${other}/`, { plan_id: 'no-such-plan', params: bkParams('x', 'stag') });
      await rejected(400, 'POST', `services/${sid}/instances/${other}/`, { plan_id: plans.default, params: 'x' });
      await rejected(404, 'POST', `services/00000000-0000-0000-0000-000000000000/instances/${other}/`, {
        plan_id: plans.default,
        params: bkParams('x', 'stag'),
      });
    });

    it('400 for a body that is not JSON, in BlueKing error shape', async () => {
      const res = await rejected(400, 'POST', `services/${sid}/instances/${iid}x/`, '{"plan_id": ');
      expect(res.body.code).toBe('MalformedJson');
    });

    it('accepts app_code for application_code and maps BlueKing codes to DNS labels (a short hash when normalising changes the code)', async () => {
      const params = { engine_app_name: 'bkapp-bk_sops-m-api-stag', app_code: 'bk_sops', module_name: 'api', env_name: 'stag' };
      const res = await bk('POST', `services/${sid}/instances/0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0004/`, { plan_id: plans.default, params });
      expect(res.status).toBe(201);
      expect(res.body.config).toMatchObject({ app: expect.stringMatching(/^bk-sops-[0-9a-f]{6}$/), module: 'api', environment: 'stag' });
      expect(res.body.config.project).toBe(`${res.body.config.app}-api-stag`);
    });

    it('the legacy plan returns the public:secret DSN form', async () => {
      const res = await bk('POST', `services/${sid}/instances/0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0003/`, {
        plan_id: plans.legacy,
        params: bkParams('oldapp', 'prod'),
      });
      expect(res.status).toBe(201);
      const key = standin.state.keys(ORG, 'oldapp-default-prod').find((k) => k.name.startsWith('svc-sentry:'))!;
      expect(res.body.credentials.dsn).toContain(`${key.public}:${key.secret}@`);
    });
  });

  describe('instance GET, name lookup, config, SSO', () => {
    const iid = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0001';

    it('GET 200 with credentials; 404 for an unknown id', async () => {
      const res = await bk('GET', `instances/${iid}/`);
      expect(res).toMatchObject({ status: 200, body: { uuid: iid, credentials: { dsn: expect.any(String) }, to_be_deleted: false } });
      await rejected(404, 'GET', 'instances/0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1fffff/');
    });

    it('finds the instance by name (engine app or project): one object, as the BlueKing client reads it; 404 for none', async () => {
      const res = await bk('GET', `services/${sid}/instances/?name=bkapp-syncapp-stag`);
      expect(res).toMatchObject({ status: 200, body: { uuid: iid, credentials: { dsn: expect.any(String) } } });
      expect((await bk('GET', `services/${sid}/instances/?name=syncapp-default-stag`)).body).toMatchObject({ uuid: iid });
      await rejected(404, 'GET', `services/${sid}/instances/?name=nothing`);
      await rejected(400, 'GET', `services/${sid}/instances/`);
    });

    it('PUT config/ records paas_app_info and syncs the developer list (added and removed)', async () => {
      for (const e of ['alice@example.com', 'bob@example.com', 'carol@example.com']) standin.state.addOrgMember(ORG, e);
      const info = { app_id: 'a1', app_code: 'syncapp', app_name: 'Sync App', module: 'default', environment: 'stag' };
      const r1 = await bk('PUT', `instances/${iid}/config/`, { paas_app_info: info, app_developers: ['alice', 'bob'] });
      expect(r1).toMatchObject({ status: 200, body: { config: { paas_app_info: info } } });
      await waitFor(async () => JSON.stringify(standin.state.teamMembers(ORG, 'syncapp')) === JSON.stringify(['alice@example.com', 'bob@example.com']), 15_000);
      await bk('PUT', `instances/${iid}/config/`, { paas_app_info: info, app_developers: ['carol', 'alice'] });
      await waitFor(
        async () => JSON.stringify(standin.state.teamMembers(ORG, 'syncapp')) === JSON.stringify(['alice@example.com', 'carol@example.com']),
        15_000,
      );
      await rejected(400, 'PUT', `instances/${iid}/config/`, { paas_app_info: 'x' });
      await rejected(404, 'PUT', 'instances/0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1fffff/config/', { paas_app_info: info });
    });

    it('authenticate: the admin_url token redirects to the project; a forged token is 401', async () => {
      const adminUrl = (await bk('GET', `instances/${iid}/`)).body.config.admin_url as string;
      const path = new URL(adminUrl).pathname + new URL(adminUrl).search;
      const res = await fetch(`${t.url}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toContain('/syncapp-default-stag/');
      const forged = signHs256({ iss: 'svc-sentry-sso', service_instance_id: iid, expires_at: now() + 60 }, BK_KEY);
      expect((await fetch(`${t.url}/bkpaas/authenticate/?token=${forged}`, { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(`${t.url}/bkpaas/authenticate/`, { redirect: 'manual' })).status).toBe(401);
    });
  });

  describe('client-side instances', () => {
    const cs = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1fc5c5';

    it('registers (201), answers GET with its credentials, forgets (204) then 404', async () => {
      const creds = { dsn: 'https://abc:def@sentry.example/7' };
      const res = await bk('POST', `services/${sid}/client-side-instances/${cs}/`, { credentials: creds, config: { admin_url: 'https://sentry.example/' } });
      expect(res).toMatchObject({ status: 201, body: { uuid: cs, plan: null, credentials: creds } });
      const rows = await query(t.databaseUrl, `SELECT data FROM bkpaas_records WHERE kind = 'client-side'`);
      expect(JSON.stringify(rows)).not.toContain('def@');
      expect((await bk('GET', `instances/${cs}/`)).body.credentials).toEqual(creds);
      await rejected(400, 'POST', `services/${sid}/client-side-instances/${cs}x/`, { config: {} });
      expect((await bk('DELETE', `client-side-instances/${cs}/`)).status).toBe(204);
      await rejected(404, 'GET', `instances/${cs}/`);
      await rejected(404, 'DELETE', `client-side-instances/${cs}/`);
    });
  });

  describe('delete', () => {
    it('synchronous DELETE revokes our key (204); then 404', async () => {
      const iid = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0003';
      expect((await bk('DELETE', `instances/${iid}/`)).status).toBe(204);
      expect(standin.state.keys(ORG, 'oldapp-default-prod').filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(0);
      await rejected(404, 'GET', `instances/${iid}/`);
      await rejected(404, 'GET', `instances/${iid}/?to_be_deleted=true`);
      await rejected(404, 'DELETE', `instances/${iid}/`);
    });

    it('async_delete (204) marks the instance; to_be_deleted lookups answer until recycled, then 404', async () => {
      const iid = '0b4a7d0e-1c1e-4d43-9d4b-6f0f4a1f0001';
      standin.setFaults({ latencyMs: 3000 });
      expect((await bk('DELETE', `instances/${iid}/async_delete`)).status).toBe(204);
      const marked = await bk('GET', `instances/${iid}/?to_be_deleted=true`);
      expect(marked).toMatchObject({ status: 200, body: { uuid: iid, to_be_deleted: true } });
      expect((await bk('GET', `instances/${iid}/`)).status).toBe(404);
      standin.setFaults({});
      await waitFor(async () => (await bk('GET', `instances/${iid}/?to_be_deleted=true`)).status === 404, 20_000);
      expect(standin.state.keys(ORG, 'syncapp-default-stag').filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(0);
      await rejected(404, 'DELETE', `instances/${iid}/async_delete`);
    });
  });

  it('answers unknown routes under the prefix with 404 and never leaks the token', async () => {
    const res = await bk('GET', 'no/such/route/');
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain(platformToken().split('.')[2]);
  });
});
