import { admit, AdmissionContext } from './admission';
import { podCreateReview } from '../../../test/harness/admission-review';
import { EnabledTarget } from './enabled-targets';

const target: EnabledTarget = { cluster: 'c1', namespace: 'tnfood-stag', app: 'tnfood', module: 'default', env: 'stag', secretName: 'svc-sentry-default' };
const ctx = (over: Partial<AdmissionContext> = {}): AdmissionContext => ({
  lookup: (ns, app, mod, cluster) =>
    ns === target.namespace && app === target.app && mod === target.module && (!cluster || cluster === target.cluster) ? target : undefined,
  appLabel: 'svc-sentry.io/app',
  moduleLabel: 'svc-sentry.io/module',
  versionLabel: 'app.kubernetes.io/version',
  ...over,
});
const review = (over: Record<string, unknown> = {}, labels: Record<string, string> = { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' }) =>
  podCreateReview('u-1', 'tnfood-stag', { metadata: { generateName: 'web-', labels }, spec: { containers: [{ name: 'web', image: 'x' }] } }, over);
const response = (body: string) => JSON.parse(body).response;

describe('admit', () => {
  it('patches a labelled Pod of an enabled module: allowed, JSONPatch, same uid', () => {
    const r = admit(review(), ctx());
    expect(r).toMatchObject({ status: 200, decision: 'patched', dryRun: false });
    const res = response(r.body);
    expect(res).toMatchObject({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    const ops = JSON.parse(Buffer.from(res.patch, 'base64').toString());
    expect(ops[0].path).toBe('/spec/containers/0/env');
    expect(ops[0].value.map((e: any) => e.valueFrom.secretKeyRef.name)).toEqual(['svc-sentry-default', 'svc-sentry-default', 'svc-sentry-default']);
  });

  it('gives nothing to another module, an unlabelled Pod, or a namespace where monitoring is off', () => {
    expect(admit(review({}, { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'api' }), ctx()).decision).toBe('not_enabled');
    expect(admit(review({}, {}), ctx()).decision).toBe('not_labelled');
    expect(admit(review({ namespace: 'other' }), ctx()).decision).toBe('not_enabled');
    for (const r of [admit(review({ namespace: 'other' }), ctx()), admit(review({}, {}), ctx())]) {
      expect(response(r.body)).toEqual({ uid: 'u-1', allowed: true });
    }
  });

  it('narrows to the cluster named by the webhook path', () => {
    expect(admit(review(), ctx({ cluster: 'c2' })).decision).toBe('not_enabled');
    expect(admit(review(), ctx({ cluster: 'c1' })).decision).toBe('patched');
  });

  it('uses the configured label keys (BlueKing preset)', () => {
    const bk = ctx({ appLabel: 'bkapp.paas.bk.tencent.com/code', moduleLabel: 'bkapp.paas.bk.tencent.com/module-name' });
    expect(admit(review(), bk).decision).toBe('not_labelled');
    expect(admit(review({}, { 'bkapp.paas.bk.tencent.com/code': 'tnfood', 'bkapp.paas.bk.tencent.com/module-name': 'default' }), bk).decision).toBe('patched');
  });

  it('leaves opted-out Pods and mirror Pods alone', () => {
    const labels = { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' };
    expect(admit(review({}, { ...labels, 'svc-sentry.io/inject': 'false' }), ctx()).decision).toBe('ignored');
    const mirror = review({ object: { metadata: { labels, annotations: { 'kubernetes.io/config.mirror': 'abc' } }, spec: { containers: [{ name: 'c' }] } } });
    expect(admit(mirror, ctx()).decision).toBe('ignored');
  });

  it('answers dryRun requests the same way, flagged as dry run', () => {
    const r = admit(review({ dryRun: true }), ctx());
    expect(r).toMatchObject({ decision: 'patched', dryRun: true });
  });

  it('ignores other kinds and operations', () => {
    expect(admit(review({ operation: 'UPDATE' }), ctx()).decision).toBe('ignored');
    expect(
      admit(review({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', resource: 'deployments' } }), ctx()).decision,
    ).toBe('ignored');
    expect(admit(review({ subResource: 'status' }), ctx()).decision).toBe('ignored');
  });

  it('is idempotent: an already patched Pod gives "unchanged" and no patch', () => {
    const env = ['SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE'].map((name) => ({ name, value: 'x' }));
    const r = admit(
      review({
        object: { metadata: { labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' } }, spec: { containers: [{ name: 'w', env }] } },
      }),
      ctx(),
    );
    expect(r.decision).toBe('unchanged');
    expect(response(r.body).patch).toBeUndefined();
  });

  it('answers 400 to malformed reviews', () => {
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }),
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
      review({ object: { metadata: { labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' } }, spec: {} } }),
    ]) {
      const r = admit(bad, ctx());
      expect(r.status).toBe(400);
      expect(r.decision).toBe('malformed');
    }
  });

  it('fails open on an internal error: allowed, no patch, decision "error"', () => {
    const r = admit(
      review(),
      ctx({
        lookup: () => {
          throw new Error('boom');
        },
      }),
    );
    expect(r).toMatchObject({ status: 200, decision: 'error' });
    expect(r.error?.message).toBe('boom');
    expect(response(r.body)).toEqual({ uid: 'u-1', allowed: true });
  });
});
