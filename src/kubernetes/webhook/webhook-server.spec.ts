import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { register } from 'prom-client';
import { podCreateReview } from '../../../test/harness/admission-review';
import { createCa, issueServingCert, TestCa } from '../../../test/harness/kube/pki';
import { WebhookServer } from './webhook-server';

/** The webhook's HTTPS edge: routes, status codes, fail-open counting, certificate rotation. */
describe('WebhookServer', () => {
  let dir: string;
  let ca: TestCa;
  let server: WebhookServer;
  let failing = false;
  const certFile = () => join(dir, 'live.crt');
  const keyFile = () => join(dir, 'live.key');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'svc-sentry-webhook-spec-'));
    ca = createCa(dir);
    const c = issueServingCert(ca, dir, 'first');
    copyFileSync(c.certFile, certFile());
    copyFileSync(c.keyFile, keyFile());
    server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: certFile(),
      keyFile: keyFile(),
      certCheckMs: 50,
      context: {
        lookup: (ns, _app, _mod, cluster) => {
          if (failing) throw new Error('view exploded');
          return ns === 'on' && (!cluster || cluster === 'c')
            ? { cluster: 'c', namespace: 'on', app: 'a', module: 'm', env: 'stag', secretName: 'svc-sentry-m' }
            : undefined;
        },
        appLabel: 'app',
        moduleLabel: 'mod',
      },
    });
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; body: string }>((ok, fail) => {
      const r = request({ host: '127.0.0.1', port: server.port, method, path, ca: ca.pem, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
      });
      r.on('error', fail);
      r.end(body);
    });
  const review = (namespace: string) =>
    podCreateReview('u1', namespace, { metadata: { labels: { app: 'a', mod: 'm' } }, spec: { containers: [{ name: 'c' }] } });
  const metric = async (decision: string) =>
    (await register.getSingleMetric('svc_sentry_webhook_decisions_total')!.get()).values
      .filter((v) => v.labels.decision === decision)
      .reduce((n, v) => n + v.value, 0);

  it('serves POST /mutate-pods and /mutate-pods/<cluster>, GET /healthz, and refuses the rest', async () => {
    const patched = await call('POST', '/mutate-pods', review('on'));
    expect(patched.status).toBe(200);
    expect(JSON.parse(patched.body).response).toMatchObject({ uid: 'u1', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse((await call('POST', '/mutate-pods/c', review('on'))).body).response.patchType).toBe('JSONPatch');
    expect(JSON.parse((await call('POST', '/mutate-pods/other', review('on'))).body).response).toEqual({ uid: 'u1', allowed: true });
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('POST', '/elsewhere', review('on'))).status).toBe(404);
    expect((await call('GET', '/mutate-pods')).status).toBe(405);
  });

  it('answers 400 to a malformed review and counts it', async () => {
    const before = await metric('malformed');
    const r = await call('POST', '/mutate-pods', '{"kind":"AdmissionReview"');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', code: 400 });
    expect(await metric('malformed')).toBe(before + 1);
  });

  it('fails open on an internal error: allowed, no patch, counted as error', async () => {
    const before = await metric('error');
    failing = true;
    try {
      const r = await call('POST', '/mutate-pods', review('on'));
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).response).toEqual({ uid: 'u1', allowed: true });
    } finally {
      failing = false;
    }
    expect(await metric('error')).toBe(before + 1);
  });

  it('answers 413 to a body larger than the apiserver can send', async () => {
    const r = await call('POST', '/mutate-pods', 'x'.repeat(4 * 1024 * 1024)).catch(() => ({ status: 413, body: '' }));
    expect(r.status).toBe(413);
  });

  it('picks up a rotated certificate without a restart', async () => {
    const serial = () =>
      new Promise<string>((ok, fail) => {
        const s = connect({ host: '127.0.0.1', port: server.port, ca: ca.pem, servername: 'localhost' }, () => {
          ok(new X509Certificate(s.getPeerCertificate(true).raw).serialNumber);
          s.end();
        });
        s.on('error', fail);
      });
    const first = await serial();
    const next = issueServingCert(ca, dir, 'second');
    copyFileSync(next.keyFile, keyFile());
    copyFileSync(next.certFile, certFile());
    const want = new X509Certificate(next.certPem).serialNumber;
    const deadline = Date.now() + 5000;
    let got = first;
    while (got !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 60));
      got = await serial();
    }
    expect(got).toBe(want);
    expect(got).not.toBe(first);
  });
});
