import { randomUUID } from 'node:crypto';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { bkClient, JWT_CLIENTS } from './bk-client';

/**
 * BlueKing's apiserver, replayed from its public behaviour (remote client, collector, engine-app naming,
 * Python `str.format` templates): request shapes, JWT claims (`iss: paas-v3`, `expires_at`, `role:
 * internal_platform`) and the way it parses each answer (non-2xx = failure; `uuid` must match; plan
 * `config` merged as a dict; credentials prefixed with the service name).
 */

/** BlueKing renders `provision_params_tmpl` values with Python's str.format: `{a.b}` is an attribute, `{{`/`}}` literal braces. */
function pyFormat(tmpl: string, ctx: Record<string, Record<string, string> | string>): string {
  return tmpl.replace(/\{\{|\}\}|\{([a-z_]+)(?:\.([a-z_]+))?\}/g, (m, obj?: string, attr?: string) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = ctx[obj!];
    if (v === undefined) throw new Error(`KeyError: ${obj}`);
    const out = attr ? (v as Record<string, string>)[attr] : v;
    if (out === undefined) throw new Error(`AttributeError: ${attr}`);
    return String(out);
  });
}
const render = (tmpl: Record<string, string>, ctx: Record<string, Record<string, string> | string>) =>
  Object.fromEntries(Object.entries(tmpl).map(([k, v]) => [k, pyFormat(v, ctx)]));

/** apiserver `make_engine_app_name`: the default module is left out of the name. */
const engineAppName = (code: string, module: string, env: string) => (module === 'default' ? `bkapp-${code}-${env}` : `bkapp-${code}-m-${module}-${env}`);
const context = (code: string, module: string, env: string, developers: string[] = []) => ({
  engine_app: { name: engineAppName(code, module, env), owner: 'admin' },
  application: { code, name: code },
  module: { name: module },
  env: { environment: env },
  // json.dumps: ", " between items
  app_developers: JSON.stringify(developers).replace(/","/g, '", "'),
});

/** The bundle template of BlueKing's settings (`get_service_remote_endpoints`). */
const DEFAULT_TMPL = { engine_app_name: '{engine_app.name}', operator: '{engine_app.owner}' };
/** The template the README tells operators to use. */
const FULL_TMPL = {
  engine_app_name: '{engine_app.name}',
  operator: '{engine_app.owner}',
  application_code: '{application.code}',
  module_name: '{module.name}',
  env_name: '{env.environment}',
  app_developers: '{app_developers}',
};

describe("BlueKing remote service: the apiserver's calls replayed (real PostgreSQL, Sentry stand-in)", () => {
  let standin: SentryStandin;
  let t: TestApp;
  let bk: ReturnType<typeof bkClient>;
  let service: any;

  /** RemoteServiceClient.validate_resp: anything but 2xx raises. */
  const ok = (r: { status: number; body: any }) => {
    if (r.status < 200 || r.status >= 300) throw new Error(`RClientResponseError ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** The idem_prov caller: re-POST with backoff while 202. */
  const idemProv = async (planId: string, params: Record<string, unknown>) =>
    waitFor(async () => {
      const r = await bk('POST', `services/${service.uuid}/instances/idem_prov/`, { plan_id: planId, params });
      return r.status === 202 ? null : r;
    }, 60_000);
  /** create_svc_instance_obj_from_remote: credentials → `<SERVICE>_<KEY>` env vars. */
  const envVars = (name: string, credentials: Record<string, string>) =>
    Object.fromEntries(Object.entries(credentials).map(([k, v]) => [`${name}_${k}`.toUpperCase().replace(/-/g, '_'), v]));

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_BKPAAS_JWT_CLIENTS: JWT_CLIENTS, SVC_SENTRY_BKPAAS_IDEM_WAIT: '5' }));
    bk = bkClient(t);
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('collector: meta_info gates idempotent provisioning; services/ loads as the store keeps it (config is a dict)', async () => {
    const meta = ok(await bk('GET', 'meta_info/'));
    const [maj, min, patch] = String(meta.version).split('.').map(Number);
    expect(maj * 10000 + min * 100 + patch).toBeGreaterThanOrEqual(20004);
    const services = ok(await bk('GET', 'services/'));
    expect(Array.isArray(services)).toBe(true);
    service = services.find((s: any) => s.name === 'sentry');
    for (const plan of service.plans) {
      // The store does dict(plan["config"]): a string or a list would raise.
      expect(plan.config && typeof plan.config === 'object' && !Array.isArray(plan.config)).toBe(true);
      expect(plan).toEqual(expect.objectContaining({ uuid: expect.any(String), name: expect.any(String), is_active: expect.any(Boolean) }));
    }
  });

  it.each([
    ['the default module', 'shopapp', 'default', 'stag'],
    ['another module', 'shopapp', 'api', 'prod'],
  ])(
    'the bundle template {engine_app_name, operator} provisions for %s; GET, config push and SENTRY_DSN as BlueKing reads them',
    async (_w, code, module, env) => {
      const params = render(DEFAULT_TMPL, context(code, module, env));
      // BlueKing's default template cannot tell a module name from a code holding "-m-": the code is needed there.
      const withCode = module === 'default' ? params : { ...params, ...render({ application_code: '{application.code}' }, context(code, module, env)) };
      const res = await idemProv(service.plans[0].uuid, withCode);
      expect(res.status).toBe(201);
      const iid = res.body.uuid;
      const inst = ok(await bk('GET', `instances/${iid}/`));
      expect(inst.uuid).toBe(iid);
      expect(inst.config).toMatchObject({ app: code, module, environment: env });
      expect(envVars(service.name, inst.credentials).SENTRY_DSN).toMatch(/^http/);
      const info = { app_id: randomUUID(), app_code: code, app_name: code, module, environment: env };
      ok(await bk('PUT', `instances/${iid}/config/`, { paas_app_info: info }));
      expect(ok(await bk('GET', `instances/${iid}/`)).config.paas_app_info).toEqual(info);
      // retrieve_instance_by_name: one object
      expect(ok(await bk('GET', `services/${service.uuid}/instances/?name=${params.engine_app_name}`)).uuid).toBe(iid);
    },
  );

  it('a name holding "-m-" without the code is refused with a 400 that names the template to add; nothing is created', async () => {
    const params = render(DEFAULT_TMPL, context('shop', 'api', 'stag'));
    const r = await bk('POST', `services/${service.uuid}/instances/idem_prov/`, { plan_id: service.plans[0].uuid, params });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('"application_code": "{application.code}"');
    expect(r.body.detail).toContain('"module_name": "{module.name}"');
    // The README's old double braces are literal braces in str.format: the value is then not a name at all.
    const doubled = render({ engine_app_name: '{{engine_app.name}}' }, context('shop', 'default', 'stag'));
    expect(doubled.engine_app_name).toBe('{engine_app.name}');
    expect((await bk('POST', `services/${service.uuid}/instances/idem_prov/`, { plan_id: service.plans[0].uuid, params: doubled })).status).toBe(400);
  });

  it('bk_demo and bk-demo (both legal codes) get their own instances and projects', async () => {
    const a = await idemProv(service.plans[0].uuid, render(FULL_TMPL, context('bk_demo', 'default', 'stag')));
    const b = await idemProv(service.plans[0].uuid, render(FULL_TMPL, context('bk-demo', 'default', 'stag')));
    expect([a.status, b.status]).toEqual([201, 201]);
    const [ia, ib] = [ok(await bk('GET', `instances/${a.body.uuid}/`)), ok(await bk('GET', `instances/${b.body.uuid}/`))];
    expect(ib.config.app).toBe('bk-demo');
    expect(ia.config.app).toMatch(/^bk-demo-[0-9a-f]{6}$/);
    expect(ia.config.project).not.toBe(ib.config.project);
    expect(ia.credentials.dsn).not.toBe(ib.credentials.dsn);
  });

  it('the full template with "{app_developers}" and no e-mail domain provisions and leaves members alone', async () => {
    const params = render(FULL_TMPL, context('devapp', 'default', 'prod', ['alice', 'bob']));
    expect(params.app_developers).toBe('["alice", "bob"]');
    const r = await idemProv(service.plans[0].uuid, params);
    expect(r.status).toBe(201);
    // Usernames without SVC_SENTRY_BKPAAS_DEVELOPER_EMAIL_DOMAIN cannot be matched: no member list is recorded (never an empty one).
    expect(await query(t.databaseUrl, `SELECT developers FROM instances WHERE app = 'devapp'`)).toEqual([{ developers: null }]);
  });

  it('client-side instances: POST, then the config push BlueKing makes right after, then GET and DELETE', async () => {
    const iid = randomUUID();
    ok(await bk('POST', `services/${service.uuid}/client-side-instances/${iid}/`, { credentials: { dsn: 'https://k@o1.ingest.sentry.io/1' }, config: {} }));
    const info = { app_id: '7', app_code: 'migrated', app_name: 'Migrated', module: 'default', environment: 'prod' };
    expect((await bk('PUT', `instances/${iid}/config/`, { paas_app_info: info })).status).toBe(200);
    expect(ok(await bk('GET', `instances/${iid}/`)).config.paas_app_info).toEqual(info);
    expect((await bk('DELETE', `client-side-instances/${iid}/`)).status).toBe(204);
  });

  it('admin: PUT services/{id}/ applies the per-language texts; POST plans/ adds a plan that provisions', async () => {
    // RemoteServiceMgr.update renames category_id → category; the admin form sends the i18n fields.
    const edit = {
      display_name_zh_cn: 'Sentry 错误监控',
      display_name_en: 'Sentry error monitoring',
      description_zh_cn: '错误监控',
      description_en: 'Error monitoring',
      category: 2,
    };
    ok(await bk('PUT', `services/${service.uuid}/`, edit));
    const after = ok(await bk('GET', 'services/')).find((s: any) => s.uuid === service.uuid);
    expect(after).toMatchObject({ ...edit, display_name: 'Sentry 错误监控', description: '错误监控' });
    // RemoteServiceClient.create_plan: POST plans/ with data["service"] and config as a JSON string.
    ok(
      await bk('POST', 'plans/', {
        name: 'gold',
        description: 'Gold',
        is_active: true,
        properties: {},
        config: JSON.stringify({ dsn_format: 'modern' }),
        service: service.uuid,
      }),
    );
    const gold = ok(await bk('GET', 'services/'))[0].plans.find((p: any) => p.name === 'gold');
    expect(gold).toMatchObject({ description: 'Gold', config: { dsn_format: 'modern' } });
    const r = await idemProv(gold.uuid, render(FULL_TMPL, context('goldapp', 'default', 'stag')));
    expect(r.status).toBe(201);
  });

  it('async delete: 204, then GET ?to_be_deleted=true until 404 (recycled)', async () => {
    const r = await idemProv(service.plans[0].uuid, render(FULL_TMPL, context('gone-app', 'default', 'stag')));
    const iid = r.body.uuid;
    expect((await bk('DELETE', `instances/${iid}/async_delete`)).status).toBe(204);
    await waitFor(async () => (await bk('GET', `instances/${iid}/?to_be_deleted=true`)).status === 404, 30_000);
  });
});
