import { SPEC_TEXT } from '../../src/osb/osb-errors';
import { VERSIONED } from '../../src/osb/version';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { catalogIds, Ids, OSB_PASS, OSB_USER, osbClient, provisionBody } from './osb-client';

const SI = '/v2/service_instances';
const MINORS = [13, 14, 15, 16, 17];

/**
 * Fields a response at `minor` must not carry: every response field of the version table that
 * appeared later. `where` is the response (`bind`, `get_instance`, `error`…); nested paths are
 * `where.a.b` (arrays are searched element by element).
 */
function tooNew(minor: number, where: string, body: unknown): string[] {
  const out: string[] = [];
  for (const f of Object.values(VERSIONED)) {
    if (f.kind !== 'response' || minor >= f.since) continue;
    for (const field of f.fields) {
      const [w, ...path] = field.split('.');
      if (w !== where || !path.length) continue;
      const present = (v: unknown, p: string[]): boolean => {
        if (Array.isArray(v)) return v.some((x) => present(x, p));
        if (!v || typeof v !== 'object') return false;
        const [head, ...rest] = p;
        if (!(head in (v as Record<string, unknown>))) return false;
        return rest.length === 0 || present((v as Record<string, unknown>)[head], rest);
      };
      if (present(body, path)) out.push(field);
    }
  }
  return out;
}

/** Every lifecycle, sync and async plan, at each of 2.13–2.17, each answer checked against the version table. */
describe('OSB: every lifecycle at each version 2.13–2.17 (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let ids: Ids;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_OSB_USERNAME: OSB_USER, SVC_SENTRY_OSB_PASSWORD: OSB_PASS, SVC_SENTRY_OSB_RETRY_AFTER: '1' }));
    ids = await catalogIds(t);
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('the table holds the spec release notes: endpoints 2.15, instance_usable/update_repeatable 2.16, async bindings 2.14', () => {
    expect(VERSIONED.endpoints.since).toBe(15);
    expect(VERSIONED.usableRepeatable.since).toBe(16);
    expect(VERSIONED.asyncBindings.since).toBe(14);
    expect(VERSIONED.maintenanceInfoRequest.since).toBe(15);
    expect(VERSIONED.noopUpdate200.since).toBe(15);
    expect(tooNew(14, 'bind', { credentials: {}, endpoints: [] })).toEqual(['bind.endpoints']);
    expect(tooNew(15, 'bind', { credentials: {}, endpoints: [] })).toEqual([]);
  });

  it("error descriptions are the spec's own words (the spec's error table), which platforms' clients match", () => {
    expect(SPEC_TEXT).toEqual({
      AsyncRequired: 'This service plan requires client support for asynchronous service operations.',
      ConcurrencyError: 'The Service Broker does not support concurrent requests that mutate the same resource.',
    });
  });

  describe.each(MINORS)('X-Broker-API-Version 2.%i', (minor) => {
    const osb = () => osbClient(t, `2.${minor}`);
    const lastOp = (iid: string, op?: string) => osb()('GET', `${SI}/${iid}/last_operation${op ? `?operation=${encodeURIComponent(op)}` : ''}`);
    const bindingLastOp = (iid: string, bid: string, op?: string) =>
      osb()('GET', `${SI}/${iid}/service_bindings/${bid}/last_operation${op ? `?operation=${encodeURIComponent(op)}` : ''}`);
    const settled = async (poll: () => Promise<{ status: number; body: any; headers: Headers }>) =>
      waitFor(async () => {
        const r = await poll();
        expect(r.status).toBe(200);
        expect(tooNew(minor, 'last_operation', r.body)).toEqual([]);
        if (r.body.state === 'in progress') expect(r.headers.get('retry-after') !== null).toBe(minor >= VERSIONED.retryAfter.since);
        return r.body.state === 'in progress' ? null : r.body;
      }, 30_000);
    const q = (plan: string, accepts = false) => `?service_id=${ids.service}&plan_id=${plan}${accepts ? '&accepts_incomplete=true' : ''}`;

    it('catalog: no field newer than the version', async () => {
      const c = await osb()('GET', '/v2/catalog');
      expect(c.status).toBe(200);
      expect(tooNew(minor, 'catalog', c.body.services[0])).toEqual([]);
      for (const p of c.body.services[0].plans) expect(tooNew(minor, 'catalog', { plans: p })).toEqual([]);
      if (minor >= 15) expect(c.body.services[0].plans[0].maintenance_info).toBeDefined();
    });

    it('sync plan: provision, re-PUT, conflicts, GET, bind, GET binding, updates, unbind, deprovision, orphans', async () => {
      const iid = `v${minor}-sync`;
      const params = { app: `v${minor}-sync`, module: 'web', environment: 'prod' };
      // maintenance_info is a 2.15 field: below it the value is ignored; from it a wrong version is 422.
      const withMi = provisionBody(ids, ids.sync, { parameters: params, maintenance_info: { version: '9.9.9' } });
      const first = await osb()('PUT', `${SI}/${iid}`, withMi);
      if (minor < 15) expect(first.status).toBe(201);
      else {
        expect(first).toMatchObject({ status: 422, body: { error: 'MaintenanceInfoConflict' } });
        expect((await osb()('PUT', `${SI}/${iid}`, provisionBody(ids, ids.sync, { parameters: params }))).status).toBe(201);
      }
      const body = provisionBody(ids, ids.sync, { parameters: params, ...(minor < 15 ? { maintenance_info: { version: '9.9.9' } } : {}) });
      const again = await osb()('PUT', `${SI}/${iid}`, body);
      expect(again.status).toBe(200);
      expect(tooNew(minor, 'provision', again.body)).toEqual([]);
      // The issue's case: an empty maintenance_info below 2.15 is an unknown field, ignored (was 422 MaintenanceInfoConflict).
      if (minor < 15) expect((await osb()('PUT', `${SI}/${iid}`, { ...body, maintenance_info: {} })).status).toBe(200);
      if (minor >= 16) expect(again.body.metadata).toBeDefined();
      // Same id, other attributes: 409. Same app/module/env under another id: 409.
      expect((await osb()('PUT', `${SI}/${iid}`, provisionBody(ids, ids.sync, { parameters: { ...params, module: 'other' } }))).status).toBe(409);
      expect((await osb()('PUT', `${SI}/${iid}-twin`, provisionBody(ids, ids.sync, { parameters: params }))).status).toBe(409);

      if (minor >= 14) {
        const got = await osb()('GET', `${SI}/${iid}`);
        expect(got.status).toBe(200);
        expect(tooNew(minor, 'get_instance', got.body)).toEqual([]);
      }

      const bound = await osb()('PUT', `${SI}/${iid}/service_bindings/b1`, { service_id: ids.service, plan_id: ids.sync });
      expect(bound.status).toBe(201);
      expect(bound.body.credentials.dsn).toMatch(/^http/);
      expect(tooNew(minor, 'bind', bound.body)).toEqual([]);
      if (minor >= 15) expect(bound.body.endpoints).toBeDefined();
      if (minor >= 14) {
        const gb = await osb()('GET', `${SI}/${iid}/service_bindings/b1`);
        expect(gb.status).toBe(200);
        expect(tooNew(minor, 'get_binding', gb.body)).toEqual([]);
        if (minor < 15) expect(gb.body.endpoints).toBeUndefined();
      }

      const noop = await osb()('PATCH', `${SI}/${iid}`, { service_id: ids.service, parameters: params });
      expect(noop.status).toBe(200);
      expect(tooNew(minor, 'update', noop.body)).toEqual([]);
      const move = await osb()('PATCH', `${SI}/${iid}`, { service_id: ids.service, parameters: { app: 'elsewhere' } });
      expect(move.status).toBe(422);
      expect(tooNew(minor, 'error', move.body)).toEqual([]);
      if (minor >= 16) expect(move.body.update_repeatable).toBe(false);
      else expect(move.body.update_repeatable).toBeUndefined();

      expect((await osb()('DELETE', `${SI}/${iid}/service_bindings/b1${q(ids.sync)}`)).status).toBe(200);
      expect((await osb()('DELETE', `${SI}/${iid}/service_bindings/b1${q(ids.sync)}`)).status).toBe(410);
      expect((await osb()('DELETE', `${SI}/${iid}${q(ids.sync)}`)).status).toBe(200);
      expect((await osb()('DELETE', `${SI}/${iid}${q(ids.sync)}`)).status).toBe(410);
      // Orphan mitigation of something never created: 410, cheaply.
      expect((await osb()('DELETE', `${SI}/v${minor}-never${q(ids.sync)}`)).status).toBe(410);
      expect((await osb()('DELETE', `${SI}/v${minor}-never/service_bindings/bx${q(ids.sync)}`)).status).toBe(410);
    });

    it('async plan: AsyncRequired by the spec text, 202 + poll, bindings by version, no-op update, bind during deprovision, old ids', async () => {
      const iid = `v${minor}-async`;
      const params = { app: `v${minor}-async`, environment: 'prod' };
      const body = provisionBody(ids, ids.async, { parameters: params });
      const refused = await osb()('PUT', `${SI}/${iid}`, body);
      expect(refused).toMatchObject({ status: 422, body: { error: 'AsyncRequired', description: SPEC_TEXT.AsyncRequired } });
      const prov = await osb()('PUT', `${SI}/${iid}?accepts_incomplete=true`, body);
      expect(prov.status).toBe(202);
      expect(tooNew(minor, 'provision', prov.body)).toEqual([]);
      expect((await settled(() => lastOp(iid, prov.body.operation))).state).toBe('succeeded');

      // Bindings: synchronous on every plan at 2.13 (accepts_incomplete means nothing there); async from 2.14.
      const bindBody = { service_id: ids.service, plan_id: ids.async };
      if (minor < 14) {
        const b = await osb()('PUT', `${SI}/${iid}/service_bindings/b1`, bindBody);
        expect(b.status).toBe(201);
        expect(b.body.credentials.dsn).toMatch(/^http/);
        expect(tooNew(minor, 'bind', b.body)).toEqual([]);
        const b2 = await osb()('PUT', `${SI}/${iid}/service_bindings/b2?accepts_incomplete=true`, bindBody);
        expect(b2.status).toBe(201);
        expect(b2.body.credentials).toBeDefined();
        expect((await osb()('DELETE', `${SI}/${iid}/service_bindings/b2${q(ids.async, true)}`)).status).toBe(200);
        expect((await osb()('DELETE', `${SI}/${iid}/service_bindings/b1${q(ids.async)}`)).status).toBe(200);
      } else {
        const no = await osb()('PUT', `${SI}/${iid}/service_bindings/b1`, bindBody);
        expect(no).toMatchObject({ status: 422, body: { error: 'AsyncRequired', description: SPEC_TEXT.AsyncRequired } });
        const b = await osb()('PUT', `${SI}/${iid}/service_bindings/b1?accepts_incomplete=true`, bindBody);
        expect(b.status).toBe(202);
        expect(b.body.credentials).toBeUndefined();
        expect((await settled(() => bindingLastOp(iid, 'b1', b.body.operation))).state).toBe('succeeded');
        const gb = await osb()('GET', `${SI}/${iid}/service_bindings/b1`);
        expect(gb.status).toBe(200);
        expect(tooNew(minor, 'get_binding', gb.body)).toEqual([]);
        const u = await osb()('DELETE', `${SI}/${iid}/service_bindings/b1${q(ids.async, true)}`);
        expect(u.status).toBe(202);
        expect((await settled(() => bindingLastOp(iid, 'b1', u.body.operation))).state).toBe('succeeded');
      }

      // A no-op update: 200 from 2.15; below it a fresh operation that has already succeeded.
      const before = await lastOp(iid);
      const noop = await osb()('PATCH', `${SI}/${iid}?accepts_incomplete=true`, { service_id: ids.service, parameters: params });
      expect(tooNew(minor, 'update', noop.body)).toEqual([]);
      if (minor >= 15) expect(noop.status).toBe(200);
      else {
        expect(noop.status).toBe(202);
        expect(noop.body.operation).toBeDefined();
        expect(noop.body.operation).not.toBe(prov.body.operation);
        expect((await lastOp(iid, noop.body.operation)).body).toMatchObject({ state: 'succeeded' });
      }
      expect(before.body.state).toBe('succeeded');

      // A bind while the async deprovision runs: 422 ConcurrencyError with the spec's text.
      standin.setFaults({ latencyMs: 1500 });
      const dep = await osb()('DELETE', `${SI}/${iid}${q(ids.async, true)}`);
      expect(dep.status).toBe(202);
      const during = await osb()('PUT', `${SI}/${iid}/service_bindings/b9${minor >= 14 ? '?accepts_incomplete=true' : ''}`, bindBody);
      expect(during).toMatchObject({ status: 422, body: { error: 'ConcurrencyError', description: SPEC_TEXT.ConcurrencyError } });
      standin.setFaults({});
      expect((await settled(() => lastOp(iid, dep.body.operation))).state).toBe('succeeded');

      // The same app/module/env provisioned under a new id: the old id's operation still answers.
      const next = await osb()('PUT', `${SI}/${iid}-new?accepts_incomplete=true`, provisionBody(ids, ids.async, { parameters: params }));
      expect(next.status).toBe(202);
      expect((await settled(() => lastOp(`${iid}-new`, next.body.operation))).state).toBe('succeeded');
      const old = await lastOp(iid, dep.body.operation);
      expect(old).toMatchObject({ status: 200, body: { state: 'succeeded' } });
      const dep2 = await osb()('DELETE', `${SI}/${iid}-new${q(ids.async, true)}`);
      expect(dep2.status).toBe(202);
      expect((await settled(() => lastOp(`${iid}-new`, dep2.body.operation))).state).toBe('succeeded');
    });
  });
});
