import { ErrorCode } from '../common/domain-error';
import { FakeKubernetesTargets } from './fake-kubernetes-targets';

const id = { app: 'tnfood', module: 'default', env: 'stag' };
const desired = { ...id, data: { SENTRY_DSN: 'https://k@s/1', SENTRY_ENVIRONMENT: 'stag', SENTRY_TRACES_SAMPLE_RATE: '1' } };

describe('FakeKubernetesTargets (same rules as the real adapter)', () => {
  it('resolves with the template or the request, and rejects unknown clusters', () => {
    const k = new FakeKubernetesTargets(['c1', 'c2'], 'bkapp-{app}-{env}');
    expect(k.resolve(id)).toEqual({ cluster: 'c1', namespace: 'bkapp-tnfood-stag', name: 'svc-sentry-default' });
    expect(k.resolve(id, { cluster: 'c2', namespace: 'x' })).toEqual({ cluster: 'c2', namespace: 'x', name: 'svc-sentry-default' });
    expect(() => k.resolve(id, { cluster: 'c3' })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
    expect(new FakeKubernetesTargets([]).resolve(id)).toBeNull();
  });

  it('creates, then is unchanged, updates on drift, deletes only its own', async () => {
    const k = new FakeKubernetesTargets();
    const ref = k.resolve(id)!;
    expect(await k.ensureSecret(ref, desired)).toBe('created');
    expect(k.getSecret(ref)?.labels).toEqual(k.expectedLabels(id));
    expect(await k.ensureSecret(ref, desired)).toBe('unchanged');
    expect(await k.ensureSecret(ref, { ...desired, data: { ...desired.data, SENTRY_TRACES_SAMPLE_RATE: '0.5' } })).toBe('updated');
    expect(await k.removeSecret(ref, id)).toBe('deleted');
    expect(await k.removeSecret(ref, id)).toBe('absent');
  });

  it('never overwrites or deletes a Secret it does not own', async () => {
    const k = new FakeKubernetesTargets();
    const ref = k.resolve(id)!;
    k.putForeignSecret(ref, { SENTRY_DSN: 'theirs' });
    await expect(k.ensureSecret(ref, desired)).rejects.toMatchObject({ code: ErrorCode.NotOwned, retryable: false });
    expect(await k.removeSecret(ref, id)).toBe('absent');
    expect(k.getSecret(ref)?.data).toEqual({ SENTRY_DSN: 'theirs' });
  });

  it('injects retryable outages and restarts labelled Deployments once per Secret version', async () => {
    const k = new FakeKubernetesTargets();
    const ref = k.resolve(id)!;
    k.failNext = 1;
    await expect(k.ensureSecret(ref, desired)).rejects.toMatchObject({ code: ErrorCode.ClusterUnavailable, retryable: true });
    await k.ensureSecret(ref, desired);
    k.putDeployment('default', ref.namespace, 'web', { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' });
    k.putDeployment('default', ref.namespace, 'other', { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'api' });
    expect(await k.rollout(ref, id)).toEqual({ restarted: ['web'] });
    expect(await k.rollout(ref, id)).toEqual({ restarted: [] });
  });
});
