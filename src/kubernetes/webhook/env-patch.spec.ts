import { applyEnvPatch, buildEnvPatch, MalformedPodError, RELEASE_VAR, SECRET_KEYS } from './env-patch';

const pod = (containers: unknown[], labels: Record<string, string> = {}) => ({ metadata: { labels }, spec: { containers } });
const names = (env: Array<{ name: string }>) => env.map((e) => e.name);

describe('buildEnvPatch', () => {
  it('adds the whole env array to a container without env, as secretKeyRef with optional: true', () => {
    const ops = buildEnvPatch(pod([{ name: 'web', image: 'x' }]), 'svc-sentry-default');
    expect(ops).toEqual([{
      op: 'add', path: '/spec/containers/0/env',
      value: SECRET_KEYS.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: 'svc-sentry-default', key, optional: true } } })),
    }]);
  });

  it('appends with /env/- to an existing env and leaves variables the container already sets alone', () => {
    const p = pod([{ name: 'web', env: [{ name: 'SENTRY_DSN', value: 'https://mine@example/1' }, { name: 'A', value: 'b' }] }]);
    const ops = buildEnvPatch(p, 's');
    expect(ops.map((o) => o.path)).toEqual(['/spec/containers/0/env/-', '/spec/containers/0/env/-']);
    expect(ops.map((o) => (o.value as { name: string }).name)).toEqual(['SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE']);
    const patched = applyEnvPatch(p, ops);
    expect(patched.spec.containers[0]).toMatchObject({ env: [{ name: 'SENTRY_DSN', value: 'https://mine@example/1' }, { name: 'A' },
      { name: 'SENTRY_ENVIRONMENT' }, { name: 'SENTRY_TRACES_SAMPLE_RATE' }] });
  });

  it('patches every container, including an empty env array', () => {
    const p = pod([{ name: 'a' }, { name: 'b', env: [] }, { name: 'c', env: [{ name: 'X', value: '1' }] }]);
    const patched = applyEnvPatch(p, buildEnvPatch(p, 's')) as any;
    for (const c of patched.spec.containers) expect(names(c.env)).toEqual(expect.arrayContaining([...SECRET_KEYS]));
    expect(names(patched.spec.containers[2].env)[0]).toBe('X');
  });

  it('adds SENTRY_RELEASE from the version label through the downward API only when the Pod carries it', () => {
    const withLabel = pod([{ name: 'web' }], { 'app.kubernetes.io/version': '1.2.3' });
    const [op] = buildEnvPatch(withLabel, 's', 'app.kubernetes.io/version');
    expect((op.value as any[]).find((e) => e.name === RELEASE_VAR)).toEqual({
      name: RELEASE_VAR, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app.kubernetes.io/version']" } },
    });
    const [op2] = buildEnvPatch(pod([{ name: 'web' }]), 's', 'app.kubernetes.io/version');
    expect(names(op2.value as any[])).not.toContain(RELEASE_VAR);
  });

  it('is idempotent: a second pass over the patched Pod yields no operations', () => {
    const p = pod([{ name: 'a' }, { name: 'b', env: [{ name: 'SENTRY_RELEASE', value: 'mine' }] }], { v: '7' });
    const once = applyEnvPatch(p, buildEnvPatch(p, 's', 'v'));
    expect(buildEnvPatch(once, 's', 'v')).toEqual([]);
    expect((once as any).spec.containers[1].env.filter((e: any) => e.name === 'SENTRY_RELEASE')).toEqual([{ name: 'SENTRY_RELEASE', value: 'mine' }]);
  });

  it('rejects shapes that are not a Pod', () => {
    expect(() => buildEnvPatch({ spec: {} } as any, 's')).toThrow(MalformedPodError);
    expect(() => buildEnvPatch(pod([null]), 's')).toThrow(MalformedPodError);
    expect(() => buildEnvPatch(pod([{ env: 'x' }]), 's')).toThrow(MalformedPodError);
  });
});
