import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { catalogIds, Ids, OSB_PASS, OSB_USER, osbClient, provisionBody } from './osb-client';

const ORG = 'acme';

/** Sends one event with a DSN to the stand-in's ingest; the status says whether the key is accepted. */
async function ingest(dsn: string): Promise<number> {
  const u = new URL(dsn);
  const res = await fetch(`${u.protocol}//${u.host}/api${u.pathname}/store/?sentry_key=${u.username}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hello from a binding', level: 'error' }),
  });
  return res.status;
}

/** The OSB story: provision, bind, rotate with a predecessor, unbind the old binding, deprovision. */
describe('OSB: end-to-end flows with key rotation', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let ids: Ids;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_OSB_USERNAME: OSB_USER, SVC_SENTRY_OSB_PASSWORD: OSB_PASS, SVC_SENTRY_OSB_RETRY_AFTER: '1' }));
    ids = await catalogIds(t);
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const bindingKeys = (slug: string) => standin.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:binding:'));

  for (const [planName, version] of [
    ['default-async', '2.17'],
    ['default', '2.17'],
    ['default', '2.13'],
  ] as const) {
    it(`${planName} plan, API ${version}: provision → bind → rotate (two keys live) → unbind old (one live) → deprovision`, async () => {
      const osb = osbClient(t, version);
      const async = planName === 'default-async';
      const plan = async ? ids.async : ids.sync;
      const app = `flow-${async ? 'a' : 's'}${version.replace('.', '')}`;
      const slug = `${app}-default-prod`;
      const iid = `${app}-instance`;
      const ai = async ? '?accepts_incomplete=true' : '';
      const q = `?service_id=${ids.service}&plan_id=${plan}${async ? '&accepts_incomplete=true' : ''}`;
      const poll = async (path: string, operation?: string) => {
        if (!async) return;
        await waitFor(
          async () => {
            const r = await osb('GET', `${path}/last_operation${operation ? `?operation=${encodeURIComponent(operation)}` : ''}`);
            if (r.body.state === 'in progress') expect(r.headers.get('retry-after')).toBe('1');
            if (r.body.state === 'failed') throw new Error(`operation failed: ${r.body.description}`);
            return r.body.state === 'succeeded';
          },
          20_000,
          300,
        );
      };
      const SI = `/v2/service_instances/${iid}`;

      // provision
      const prov = await osb('PUT', `${SI}${ai}`, provisionBody(ids, plan, { parameters: { app } }));
      expect(prov.status).toBe(async ? 202 : 201);
      if (version === '2.13') expect(prov.body.metadata).toBeUndefined();
      else expect(prov.body.metadata).toBeDefined();
      await poll(SI, prov.body.operation);
      expect((await osb('GET', SI)).status).toBe(200);

      // bind
      const b1 = await osb('PUT', `${SI}/service_bindings/b1${ai}`, { service_id: ids.service, plan_id: plan });
      expect(b1.status).toBe(async ? 202 : 201);
      await poll(`${SI}/service_bindings/b1`, b1.body.operation);
      const cred1 = async ? (await osb('GET', `${SI}/service_bindings/b1`)).body : b1.body;
      if (version === '2.13') expect(Object.keys(cred1)).toEqual(['credentials']);
      expect(bindingKeys(slug)).toHaveLength(1);
      expect(cred1.credentials.dsn).toContain(bindingKeys(slug)[0].public);

      // rotate: a successor naming its predecessor; both keys are live
      const b2 = await osb('PUT', `${SI}/service_bindings/b2${ai}`, { service_id: ids.service, plan_id: plan, predecessor_binding_id: 'b1' });
      expect(b2.status).toBe(async ? 202 : 201);
      await poll(`${SI}/service_bindings/b2`, b2.body.operation);
      const cred2 = (await osb('GET', `${SI}/service_bindings/b2`)).body.credentials;
      expect(cred2.dsn).not.toBe(cred1.credentials.dsn);
      expect(bindingKeys(slug)).toHaveLength(2);
      expect(await ingest(cred1.credentials.dsn)).toBe(200);
      expect(await ingest(cred2.dsn)).toBe(200);

      // unbind the old one: one key live, the old DSN is refused at ingest
      const u1 = await osb('DELETE', `${SI}/service_bindings/b1${q}`);
      expect(u1.status).toBe(async ? 202 : 200);
      await poll(`${SI}/service_bindings/b1`, u1.body.operation);
      expect(bindingKeys(slug).map((k) => k.public)).toEqual([new URL(cred2.dsn).username]);
      expect(await ingest(cred1.credentials.dsn)).toBe(403);
      expect(await ingest(cred2.dsn)).toBe(200);
      expect((await osb('GET', `${SI}/service_bindings/b1`)).status).toBe(404);

      // deprovision: every key svc-sentry made is revoked; the project is kept (plan keeps it)
      const d = await osb('DELETE', `${SI}${q}`);
      expect(d.status).toBe(async ? 202 : 200);
      await poll(SI, d.body.operation);
      expect(standin.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(0);
      expect(standin.state.projects(ORG).some((p) => p.slug === slug)).toBe(true);
      // a late poll still answers (tombstone), and a second delete is 410
      const late = await osb('GET', `${SI}/last_operation${d.body.operation ? `?operation=${d.body.operation}` : ''}`);
      expect(late).toMatchObject({ status: 200, body: { state: 'succeeded' } });
      if (version === '2.13') expect(Object.keys(late.body)).toEqual(['state']);
      expect((await osb('DELETE', `${SI}${q}`)).status).toBe(410);
    });
  }
});
