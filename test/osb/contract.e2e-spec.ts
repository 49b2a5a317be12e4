import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { dbSnapshot } from '../support/db-snapshot';
import { BASIC, catalogIds, Ids, identity, OSB_PASS, OSB_USER, osbClient, provisionBody } from './osb-client';

const ORG = 'acme';

/** Every status-code row of the OSB reference (§1.2, compatibility rules §2) against the running broker. */
describe('OSB: contract (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let osb: ReturnType<typeof osbClient>;
  let ids: Ids;
  const SI = '/v2/service_instances';

  /** A rejected request: status, OSB error body, and nothing changed in the database. */
  const rejected = async (status: number, method: string, path: string, body?: unknown, headers?: Record<string, string>, error?: string) => {
    const before = await dbSnapshot(t.databaseUrl);
    const res = await osb(method, path, body, headers);
    expect(res.status).toBe(status);
    expect(typeof res.body.description).toBe('string');
    expect(res.body.description).not.toBe('');
    if (error) expect(res.body.error).toBe(error);
    else expect(res.body.error === undefined || /^[A-Z][A-Za-z]+$/.test(res.body.error)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(OSB_PASS);
    expect(await dbSnapshot(t.databaseUrl)).toBe(before);
    return res;
  };
  /**
   * A rejected request while a reconcile pass runs in the background: the pass may update its own rows meanwhile
   * (state, conditions, key ids), so this compares what a request writes: no operation, key or instance added,
   * no instance's desired state, generation, plan, external id or parameters changed, no attachment changed.
   */
  const requestWrites = async () =>
    JSON.stringify({
      attachments: await query(t.databaseUrl, 'SELECT * FROM attachments ORDER BY id'),
      instances: await query(t.databaseUrl, 'SELECT id, desired, generation, plan, external_id, parameters FROM instances ORDER BY id'),
      keys: await query(t.databaseUrl, 'SELECT id, binding_id, desired, parameters FROM keys ORDER BY id'),
      operations: await query(t.databaseUrl, 'SELECT id, kind, request FROM operations ORDER BY id'),
    });
  const rejectedWhileBusy = async (status: number, method: string, path: string, body?: unknown, error?: string) => {
    const before = await requestWrites();
    const res = await osb(method, path, body);
    expect(res.status).toBe(status);
    expect(typeof res.body.description).toBe('string');
    if (error) expect(res.body.error).toBe(error);
    expect(await requestWrites()).toBe(before);
    return res;
  };
  const lastOp = (iid: string, q = '') => osb('GET', `${SI}/${iid}/last_operation${q}`);
  const untilSucceeded = (iid: string) => waitFor(async () => ((await lastOp(iid)).body.state === 'succeeded' ? true : null), 20_000);

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_OSB_USERNAME: OSB_USER, SVC_SENTRY_OSB_PASSWORD: OSB_PASS, SVC_SENTRY_OSB_RETRY_AFTER: '3' }));
    osb = osbClient(t);
    ids = await catalogIds(t);
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  describe('auth, version header, order of checks', () => {
    it.each([
      ['no credentials', { authorization: '' }],
      ['a wrong password', { authorization: `Basic ${Buffer.from(`${OSB_USER}:nope`).toString('base64')}` }],
      ['a wrong user', { authorization: `Basic ${Buffer.from(`other:${OSB_PASS}`).toString('base64')}` }],
      ['a bearer token', { authorization: 'Bearer x' }],
    ])('401 for %s, before the version and the body are looked at', async (_w, headers) => {
      await rejected(401, 'PUT', `${SI}/auth-1`, {}, { ...headers, 'x-broker-api-version': '' });
      await rejected(401, 'PUT', `${SI}/auth-1`, '{"broken', headers);
      expect((await osb('GET', '/v2/catalog', undefined, headers)).status).toBe(401);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['another major', '3.0'],
      ['1.x', '1.13'],
      ['too old', '2.12'],
      ['garbage', 'latest'],
    ])('412 for a %s version header, before the body is validated', async (_w, version) => {
      const headers: Record<string, string> = version === undefined ? {} : { 'x-broker-api-version': version };
      if (version === undefined) {
        const res = await t.api('PUT', `${SI}/ver-1`, '{"broken', { authorization: BASIC });
        expect(res.status).toBe(412);
      }
      await rejected(412, 'PUT', `${SI}/ver-1`, '{"broken', Object.hasOwn(headers, 'x-broker-api-version') ? headers : { 'x-broker-api-version': '' });
      await rejected(412, 'PUT', `${SI}/ver-1`, {}, Object.hasOwn(headers, 'x-broker-api-version') ? headers : { 'x-broker-api-version': '' });
    });

    it('400 for a body that is not JSON (after auth and version), in OSB error shape', async () => {
      const res = await rejected(400, 'PUT', `${SI}/bad-json`, '{"service_id": ');
      expect(res.body).toEqual({ description: 'The request body is not valid JSON.' });
    });

    it('echoes X-Broker-API-Request-Identity on success and on error', async () => {
      const ok = await osb('GET', '/v2/catalog', undefined, { 'x-broker-api-request-identity': 'req-123' });
      expect(ok.headers.get('x-broker-api-request-identity')).toBe('req-123');
      const bad = await osb('GET', '/v2/catalog', undefined, { 'x-broker-api-request-identity': 'req-456', authorization: '' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('x-broker-api-request-identity')).toBe('req-456');
    });

    it('400 for a malformed originating identity', async () => {
      await rejected(400, 'PUT', `${SI}/ident-1`, provisionBody(ids, ids.sync), { 'x-broker-api-originating-identity': 'cloudfoundry not-base64-json!' });
    });
  });

  describe('catalog', () => {
    it('2.17: both plans with schemas, maintenance_info, plan_updateable, binding_rotatable', async () => {
      const { body } = await osb('GET', '/v2/catalog');
      const [svc] = body.services;
      expect(svc).toMatchObject({ name: 'svc-sentry', bindable: true, plan_updateable: true, instances_retrievable: true, bindings_retrievable: true });
      expect(svc.plans.map((p: any) => p.name)).toEqual(['default', 'default-async']);
      for (const p of svc.plans) {
        expect(p).toMatchObject({ plan_updateable: true, binding_rotatable: true, maintenance_info: { version: '1.0.0' } });
        expect(p.schemas.service_instance.create.parameters.$schema).toMatch(/json-schema/);
        expect(p.name).toMatch(/^[a-z0-9-]+$/);
      }
      expect(svc.plans[1].maximum_polling_duration).toBe(3600);
    });

    it('2.13: no field newer than 2.13', async () => {
      const { body } = await osbClient(t, '2.13')('GET', '/v2/catalog');
      const [svc] = body.services;
      expect(svc.instances_retrievable).toBeUndefined();
      expect(svc.bindings_retrievable).toBeUndefined();
      for (const p of svc.plans) {
        for (const f of ['maintenance_info', 'plan_updateable', 'maximum_polling_duration', 'binding_rotatable']) expect(p[f]).toBeUndefined();
      }
    });
  });

  describe('provision', () => {
    it('sync plan: 201 created, identical re-PUT 200, other attributes 409, originating identity in the audit trail', async () => {
      const body = provisionBody(ids, ids.sync, {
        parameters: { app: 'osbapp', environment: 'stag' },
        context: { platform: 'kubernetes', namespace: 'osbapp-stag' },
      });
      const who = identity('kubernetes', { username: 'jane', uid: 'u-1', groups: ['dev'] });
      const res = await osb('PUT', `${SI}/sync-1`, body, { 'x-broker-api-originating-identity': who });
      expect(res.status).toBe(201);
      expect(res.body.dashboard_url).toContain('/projects/osbapp-default-stag/');
      expect(res.body.metadata).toBeDefined();
      expect((await osb('PUT', `${SI}/sync-1`, body)).status).toBe(200);
      await rejected(409, 'PUT', `${SI}/sync-1`, { ...body, parameters: { app: 'osbapp', environment: 'prod' } });
      await rejected(409, 'PUT', `${SI}/sync-1?accepts_incomplete=true`, { ...body, plan_id: ids.async });
      const [op] = await query(t.databaseUrl, `SELECT kind, protocol, actor, originating_identity FROM operations WHERE kind = 'provision' AND app = 'osbapp'`);
      expect(op).toEqual({
        kind: 'provision',
        protocol: 'osb',
        actor: 'kubernetes:jane',
        originating_identity: { platform: 'kubernetes', username: 'jane', uid: 'u-1', groups: ['dev'] },
      });
      const [inst] = await query(t.databaseUrl, `SELECT target_request FROM instances WHERE external_id = 'sync-1'`);
      expect(inst.target_request).toEqual({ namespace: 'osbapp-stag' });
    });

    it.each([
      ['no service_id', { service_id: undefined }],
      ['an unknown service_id', { service_id: 'nope' }],
      ['no plan_id', { plan_id: undefined }],
      ['an unknown plan_id', { plan_id: 'nope' }],
      ['no organization_guid', { organization_guid: undefined }],
      ['no space_guid', { space_guid: '' }],
      ['parameters that are not an object', { parameters: [1] }],
      ['an unknown parameter', { parameters: { colour: 'red' } }],
      ['an app name that is not a label', { parameters: { app: 'Bad_App' } }],
      ['an unknown environment', { parameters: { environment: 'qa' } }],
      ['a bad context namespace', { context: { namespace: 'UPPER' } }],
    ])('400 for %s, and nothing is created', async (_w, patch) => {
      await rejected(400, 'PUT', `${SI}/invalid-1`, { ...provisionBody(ids, ids.sync), ...patch });
    });

    it('422 MaintenanceInfoConflict for another maintenance_info version', async () => {
      await rejected(422, 'PUT', `${SI}/mi-1`, provisionBody(ids, ids.sync, { maintenance_info: { version: '0.9.0' } }), undefined, 'MaintenanceInfoConflict');
      expect((await osb('PUT', `${SI}/mi-1`, provisionBody(ids, ids.sync, { maintenance_info: { version: '1.0.0' } }))).status).toBe(201);
      // without parameters: osb-<first 12 characters of the id>, module default, environment prod
      expect(await query(t.databaseUrl, `SELECT app, module, env FROM instances WHERE external_id = 'mi-1'`)).toEqual([
        { app: 'osb-mi-1', module: 'default', env: 'prod' },
      ]);
      expect((await osb('PUT', `${SI}/0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0`, provisionBody(ids, ids.sync))).status).toBe(201);
      expect(await query(t.databaseUrl, `SELECT app FROM instances WHERE external_id = '0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0'`)).toEqual([
        { app: 'osb-0f1e2d3c-4b5' },
      ]);
    });

    it('async plan: 422 AsyncRequired without accepts_incomplete; 202 with operation, re-PUT 202 same operation, then 200', async () => {
      const body = provisionBody(ids, ids.async, { parameters: { app: 'asyncapp' } });
      await rejected(422, 'PUT', `${SI}/async-1`, body, undefined, 'AsyncRequired');
      await rejected(422, 'PUT', `${SI}/async-1?accepts_incomplete=false`, body, undefined, 'AsyncRequired');
      standin.setFaults({ latencyMs: 700 });
      const first = await osb('PUT', `${SI}/async-1?accepts_incomplete=true`, body);
      expect(first.status).toBe(202);
      expect(first.body.operation).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.body).toHaveProperty('dashboard_url');
      const again = await osb('PUT', `${SI}/async-1?accepts_incomplete=true`, body);
      expect(again).toMatchObject({ status: 202, body: { operation: first.body.operation } });
      const polling = await lastOp('async-1', `?operation=${first.body.operation}`);
      expect(polling.body.state).toBe('in progress');
      expect(polling.headers.get('retry-after')).toBe('3');
      expect((await osb('GET', `${SI}/async-1`)).status).toBe(404);
      standin.setFaults({});
      await untilSucceeded('async-1');
      expect((await osb('PUT', `${SI}/async-1?accepts_incomplete=true`, body)).status).toBe(200);
      const got = await osb('GET', `${SI}/async-1`);
      expect(got).toMatchObject({
        status: 200,
        body: { service_id: ids.service, plan_id: ids.async, parameters: { app: 'asyncapp' }, maintenance_info: { version: '1.0.0' } },
      });
    });

    it('409 when the (app, module, env) belongs to another instance id', async () => {
      await rejected(409, 'PUT', `${SI}/sync-2`, provisionBody(ids, ids.sync, { parameters: { app: 'osbapp', environment: 'stag' } }));
    });

    it('one instance id sent concurrently for two app modules: one 201, one 409, one row', async () => {
      const [a, b] = await Promise.all([
        osb('PUT', `${SI}/race-1`, provisionBody(ids, ids.sync, { parameters: { app: 'race-a' } })),
        osb('PUT', `${SI}/race-1`, provisionBody(ids, ids.sync, { parameters: { app: 'race-b' } })),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 409]);
      expect((a.status === 409 ? a : b).body.description).toBeTruthy();
      expect(await query(t.databaseUrl, `SELECT count(*)::int AS n FROM instances WHERE external_id = 'race-1'`)).toEqual([{ n: 1 }]);
      expect(await query(t.databaseUrl, `SELECT count(*)::int AS n FROM instances WHERE app IN ('race-a', 'race-b')`)).toEqual([{ n: 1 }]);
    });

    it('the instance shows in the REST status of its app module (one shared row)', async () => {
      const rest = await t.api('GET', '/api/v1/apps/osbapp/modules/default/monitoring');
      expect(rest).toMatchObject({
        status: 200,
        body: { enabled: true, environments: { stag: { state: 'ready', project: { slug: 'osbapp-default-stag' } } } },
      });
      expect(await query(t.databaseUrl, `SELECT origin, external_id FROM instances WHERE app = 'osbapp'`)).toEqual([{ origin: 'osb', external_id: 'sync-1' }]);
    });
  });

  describe('last_operation and GET instance', () => {
    it('404 for an unknown instance; a fixed operation word falls back to the latest operation', async () => {
      await rejected(404, 'GET', `${SI}/nobody/last_operation`);
      await rejected(404, 'GET', `${SI}/nobody`);
      const res = await lastOp('sync-1', '?operation=provision');
      expect(res).toMatchObject({ status: 200, body: { state: 'succeeded' } });
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.body.description).not.toBe('');
    });
  });

  describe('update', () => {
    it('sync plan: 200; unsupported change 422; unknown plan 400; MaintenanceInfoConflict 422; unknown instance 404', async () => {
      const res = await osb('PATCH', `${SI}/sync-1`, { service_id: ids.service, parameters: { module: 'default' } });
      expect(res.status).toBe(200);
      await rejected(422, 'PATCH', `${SI}/sync-1`, { service_id: ids.service, parameters: { app: 'renamed' } });
      await rejected(400, 'PATCH', `${SI}/sync-1`, { service_id: ids.service, plan_id: 'nope' });
      await rejected(400, 'PATCH', `${SI}/sync-1`, { plan_id: ids.sync });
      await rejected(422, 'PATCH', `${SI}/sync-1`, { service_id: ids.service, maintenance_info: { version: '2.0.0' } }, undefined, 'MaintenanceInfoConflict');
      await rejected(404, 'PATCH', `${SI}/nobody`, { service_id: ids.service });
    });

    it('async plan: 422 AsyncRequired without accepts_incomplete; 202 with it', async () => {
      await rejected(422, 'PATCH', `${SI}/async-1`, { service_id: ids.service, parameters: { module: 'default' } }, undefined, 'AsyncRequired');
      const res = await osb('PATCH', `${SI}/async-1?accepts_incomplete=true`, { service_id: ids.service, context: { namespace: 'asyncapp-prod' } });
      expect(res.status).toBe(202);
      await untilSucceeded('async-1');
    });

    it('plan change sync → async-only is applied (plan_updateable)', async () => {
      const res = await osb('PATCH', `${SI}/mi-1?accepts_incomplete=true`, {
        service_id: ids.service,
        plan_id: ids.async,
        previous_values: { plan_id: ids.sync },
      });
      expect(res.status).toBe(202);
      await untilSucceeded('mi-1');
      expect((await osb('GET', `${SI}/mi-1`)).body.plan_id).toBe(ids.async);
    });
  });

  describe('bindings', () => {
    const B = (iid: string, bid: string) => `${SI}/${iid}/service_bindings/${bid}`;
    const bindBody = () => ({ service_id: ids.service, plan_id: ids.sync, bind_resource: { app_guid: 'app-1' } });

    it('sync plan: 201 with credentials, identical 200, other params 409, unknown parameters 400, GET 200', async () => {
      const res = await osb('PUT', B('sync-1', 'b-1'), bindBody());
      expect(res.status).toBe(201);
      expect(res.body.credentials).toMatchObject({ dsn: expect.stringMatching(/^http:\/\//), project_slug: 'osbapp-default-stag', environment: 'stag' });
      expect(res.body.endpoints[0]).toMatchObject({ host: '127.0.0.1', protocol: 'tcp' });
      const again = await osb('PUT', B('sync-1', 'b-1'), bindBody());
      expect(again).toMatchObject({ status: 200, body: { credentials: res.body.credentials } });
      await rejected(409, 'PUT', B('sync-1', 'b-1'), { ...bindBody(), bind_resource: { app_guid: 'app-2' } });
      await rejected(400, 'PUT', B('sync-1', 'b-2'), { ...bindBody(), parameters: { ttl: 5 } });
      await rejected(400, 'PUT', B('sync-1', 'b-2'), { plan_id: ids.sync });
      await rejected(400, 'PUT', B('sync-1', 'b-2'), { ...bindBody(), predecessor_binding_id: 'no-such-binding' });
      await rejected(404, 'PUT', B('nobody', 'b-2'), bindBody());
      expect((await osb('GET', B('sync-1', 'b-1'))).body.credentials).toEqual(res.body.credentials);
      await rejected(404, 'GET', B('sync-1', 'b-404'));
      const lo = await osb('GET', `${B('sync-1', 'b-1')}/last_operation`);
      expect(lo).toMatchObject({ status: 200, body: { state: 'succeeded' } });
    });

    it('async plan: 422 AsyncRequired, 202, 422 ConcurrencyError while the bind runs, 404 GET while binding', async () => {
      await rejected(422, 'PUT', B('async-1', 'ab-1'), bindBody(), undefined, 'AsyncRequired');
      standin.setFaults({ latencyMs: 1500 });
      const res = await osb('PUT', `${B('async-1', 'ab-1')}?accepts_incomplete=true`, bindBody());
      expect(res.status).toBe(202);
      expect(res.body.credentials).toBeUndefined();
      expect((await osb('GET', B('async-1', 'ab-1'))).status).toBe(404);
      await rejectedWhileBusy(422, 'PUT', `${B('async-1', 'ab-2')}?accepts_incomplete=true`, bindBody(), 'ConcurrencyError');
      await rejectedWhileBusy(
        422,
        'PATCH',
        `${SI}/async-1?accepts_incomplete=true`,
        { service_id: ids.service, parameters: { module: 'default' } },
        'ConcurrencyError',
      );
      const lo = await osb('GET', `${B('async-1', 'ab-1')}/last_operation?operation=${res.body.operation}`);
      expect(lo.body.state).toBe('in progress');
      expect(lo.headers.get('retry-after')).toBe('3');
      standin.setFaults({});
      await waitFor(async () => (await osb('GET', `${B('async-1', 'ab-1')}/last_operation`)).body.state === 'succeeded', 20_000);
      expect((await osb('GET', B('async-1', 'ab-1'))).body.credentials.dsn).toMatch(/^http/);
    });

    it('unbind: 400 without service_id/plan_id, 200, then 410; async plan 422 without accepts_incomplete, 202 with it', async () => {
      const q = `?service_id=${ids.service}&plan_id=${ids.sync}`;
      await rejected(400, 'DELETE', B('sync-1', 'b-1'));
      expect((await osb('DELETE', `${B('sync-1', 'b-1')}${q}`)).status).toBe(200);
      await rejected(410, 'DELETE', `${B('sync-1', 'b-1')}${q}`);
      await rejected(410, 'DELETE', `${B('nobody', 'b-1')}${q}`);
      await rejected(422, 'DELETE', `${B('async-1', 'ab-1')}${q}`, undefined, undefined, 'AsyncRequired');
      const res = await osb('DELETE', `${B('async-1', 'ab-1')}${q}&accepts_incomplete=true`);
      expect(res.status).toBe(202);
      await waitFor(async () => (await osb('GET', `${B('async-1', 'ab-1')}/last_operation`)).body.state === 'succeeded', 20_000);
      // tombstone: a late poll still answers
      expect((await osb('GET', `${B('async-1', 'ab-1')}/last_operation?operation=${res.body.operation}`)).body.state).toBe('succeeded');
    });
  });

  describe('deprovision', () => {
    it('400 without service_id or plan_id; 200 (sync); 410 after; 410 for an unknown instance', async () => {
      await rejected(400, 'DELETE', `${SI}/sync-1?plan_id=${ids.sync}`);
      await rejected(400, 'DELETE', `${SI}/sync-1?service_id=${ids.service}`);
      const q = `?service_id=${ids.service}&plan_id=${ids.sync}`;
      expect((await osb('DELETE', `${SI}/sync-1${q}`)).status).toBe(200);
      expect(standin.state.keys(ORG, 'osbapp-default-stag').filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(0);
      await rejected(410, 'DELETE', `${SI}/sync-1${q}`);
      await rejected(410, 'DELETE', `${SI}/never-was${q}`);
      await rejected(404, 'GET', `${SI}/sync-1`);
    });

    it('async plan: 422 AsyncRequired without accepts_incomplete; 202; a late last_operation poll answers 200 succeeded', async () => {
      const q = `?service_id=${ids.service}&plan_id=${ids.async}`;
      await rejected(422, 'DELETE', `${SI}/async-1${q}`, undefined, undefined, 'AsyncRequired');
      const res = await osb('DELETE', `${SI}/async-1${q}&accepts_incomplete=true`);
      expect(res.status).toBe(202);
      await untilSucceeded('async-1');
      expect((await lastOp('async-1', `?operation=${res.body.operation}`)).body).toEqual({ state: 'succeeded' });
      await rejected(410, 'DELETE', `${SI}/async-1${q}&accepts_incomplete=true`);
    });

    it("an old instance id whose app/module/env is provisioned again under a new id: last_operation answers the old id's own deprovision, never the new id's", async () => {
      const q = `?service_id=${ids.service}&plan_id=${ids.async}`;
      const body = provisionBody(ids, ids.async, { parameters: { app: 'reuseapp' } });
      const prov = await osb('PUT', `${SI}/reuse-old?accepts_incomplete=true`, body);
      expect(prov.status).toBe(202);
      await untilSucceeded('reuse-old');
      const dep = await osb('DELETE', `${SI}/reuse-old${q}&accepts_incomplete=true`);
      expect(dep.status).toBe(202);
      await untilSucceeded('reuse-old');
      // The same app/module/env under a new id, held in progress by a slow upstream.
      standin.setFaults({ latencyMs: 1500 });
      try {
        const next = await osb('PUT', `${SI}/reuse-new?accepts_incomplete=true`, body);
        expect(next.status).toBe(202);
        expect((await lastOp('reuse-new', `?operation=${next.body.operation}`)).body.state).toBe('in progress');
        // The old id: its deprovision's state (the platform may poll late), with or without the operation.
        expect((await lastOp('reuse-old', `?operation=${dep.body.operation}`)).body).toEqual({ state: 'succeeded' });
        expect(await lastOp('reuse-old')).toMatchObject({ status: 200, body: { state: 'succeeded' } });
        // The new id's operation is not the old id's.
        await rejectedWhileBusy(404, 'GET', `${SI}/reuse-old/last_operation?operation=${next.body.operation}`);
        await rejectedWhileBusy(404, 'GET', `${SI}/reuse-old`);
        await rejectedWhileBusy(410, 'DELETE', `${SI}/reuse-old${q}&accepts_incomplete=true`);
      } finally {
        standin.setFaults({});
      }
      await untilSucceeded('reuse-new');
    });
  });
});
